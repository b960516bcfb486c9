// The zip reader (central directory, local headers, inflate) and the scans of the members it
// finds, on arbitrary bytes.
@testable import PinScan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZip(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let source = MemorySource(Array(UnsafeRawBufferPointer(start: start, count: count)))
    let first = ZipScanner.scan(source, member: nil, depth: 0, policy: ScanPolicy())
    let second = ZipScanner.scan(source, member: nil, depth: 0, policy: ScanPolicy())
    precondition(first.format == second.format && first.findings == second.findings, "the zip scan is not deterministic")
    return 0
}
