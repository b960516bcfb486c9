// The pickle walker on arbitrary bytes. Beyond "no crash, no hang, bounded memory" (libFuzzer
// and AddressSanitizer watch those), a scan must be a pure function of the bytes: scanning the
// same input twice gives the same findings, or state leaked between pickles or runs.
@testable import PinScan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let source = MemorySource(Array(UnsafeRawBufferPointer(start: start, count: count)))
    let first = PickleScanner.scan(source, policy: ScanPolicy())
    let second = PickleScanner.scan(source, policy: ScanPolicy())
    precondition(first == second, "the pickle walker is not deterministic")
    return 0
}
