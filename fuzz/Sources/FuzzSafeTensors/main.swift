// The safetensors validator on arbitrary bytes: no crash, no hang, bounded memory (a header
// length of 2^63 must not allocate), and the same findings twice.
@testable import PinScan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let source = MemorySource(Array(UnsafeRawBufferPointer(start: start, count: count)))
    let first = SafeTensorsValidator.validate(source, member: nil)
    precondition(first == SafeTensorsValidator.validate(source, member: nil), "the safetensors validator is not deterministic")
    return 0
}
