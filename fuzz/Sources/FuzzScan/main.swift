// The whole scanner as `modelpin scan` runs it: recognition by content, then the format's
// scanner. Besides crashes, hangs and memory (libFuzzer, AddressSanitizer): the scan is a pure
// function of the bytes, and accepting every callable it named (`--allow-global`) may lift
// `suspicious` but never an `unsafe` verdict.
@testable import PinScan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScan(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let source = MemorySource(Array(UnsafeRawBufferPointer(start: start, count: count)))
    let report = Scanner.scan(source, path: "model.bin", policy: ScanPolicy())
    precondition(report == Scanner.scan(source, path: "model.bin", policy: ScanPolicy()), "the scan is not deterministic")
    let named = Set(report.findings.compactMap(\.callable))
    if !named.isEmpty {
        let allowed = Scanner.scan(source, path: "model.bin", policy: ScanPolicy(allowedGlobals: named))
        precondition(report.verdict != .unsafe || allowed.verdict == .unsafe, "--allow-global turned an unsafe file into \(allowed.verdict)")
    }
    return 0
}
