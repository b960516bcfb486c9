// The GGUF validator on arbitrary bytes: counts and lengths come from the file and must be
// bounded before anything is allocated or read.
@testable import PinScan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let source = MemorySource(Array(UnsafeRawBufferPointer(start: start, count: count)))
    let first = GGUFValidator.validate(source, member: nil)
    precondition(first == GGUFValidator.validate(source, member: nil), "the GGUF validator is not deterministic")
    return 0
}
