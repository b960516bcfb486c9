// The shared protobuf wire reader through its users: TensorFlow SavedModel/GraphDef and
// sentencepiece recognition and scanning, and ONNX. Besides crashes, hangs and memory: results
// are deterministic, and a recognised TensorFlow graph scans to findings whose offsets lie
// inside the input.
@testable import PinScan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtobuf(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let source = MemorySource(bytes)
    let prefix = Array(bytes.prefix(Scanner.sniffLength))
    if let kind = TensorFlowScanner.recognise(source, prefix: prefix) {
        precondition(TensorFlowScanner.recognise(source, prefix: prefix) == kind, "recognition is not deterministic")
        let findings = TensorFlowScanner.scan(source, kind: kind, member: nil)
        precondition(findings == TensorFlowScanner.scan(source, kind: kind, member: nil), "the scan is not deterministic")
        for finding in findings {
            precondition((finding.offset ?? 0) >= 0 && (finding.offset ?? 0) <= Int64(count), "finding outside the input")
        }
    }
    let budget = ProtobufBudget(100_000)
    var fields = 0
    try? ProtobufWire.forEachField(source, start: 0, end: source.size, budget: budget) { field throws(FormatError) in
        fields += 1
        precondition(field.wire != 2 || (field.start >= 0 && field.start <= field.end && field.end <= Int64(count)), "field outside the input")
    }
    precondition(fields < 100_000, "the budget did not bound the walk")
    _ = ONNXScanner.scan(source, member: nil, policy: ScanPolicy())
    return 0
}
