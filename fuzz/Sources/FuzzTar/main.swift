// The tar reader (tarfile's rules, refusals where readers diverge) and the scan of the members
// it lists, legacy torch walks included, on arbitrary bytes.
@testable import PinScan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let source = MemorySource(Array(UnsafeRawBufferPointer(start: start, count: count)))
    let listing = TarReader.members(source)
    for member in listing.members where member.hasData {
        precondition(member.dataOffset >= 0 && member.size >= 0 && member.dataOffset + member.size <= source.size,
                     "a listed member's data lies outside the archive")
    }
    let first = TarScanner.scan(source, member: nil, depth: 0, policy: ScanPolicy())
    let second = TarScanner.scan(source, member: nil, depth: 0, policy: ScanPolicy())
    precondition(first.format == second.format && first.findings == second.findings, "the tar scan is not deterministic")
    if listing.error != nil {
        precondition(first.findings.contains { $0.verdict == .malformed }, "a refused tar was not reported malformed")
    }
    return 0
}
