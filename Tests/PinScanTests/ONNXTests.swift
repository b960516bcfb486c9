import PinModel
import Testing
@testable import PinScan

@Suite struct ONNXTests {
    private func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }
    private func field(_ number: UInt64, _ bytes: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(UInt64(bytes.count)) + bytes }
    private func field(_ number: UInt64, _ s: String) -> [UInt8] { field(number, Array(s.utf8)) }
    private func field(_ number: UInt64, varint v: UInt64) -> [UInt8] { varint(number << 3) + varint(v) }

    private func model(location: String, inSubgraph: Bool = false) -> [UInt8] {
        let tensor = field(8, "w") + field(1, varint: 4) + field(13, field(1, "location") + field(2, location))
            + field(13, field(1, "offset") + field(2, "0")) + field(14, varint: 1) + field(9, [UInt8](repeating: 7, count: 64))
        var graph = field(2, "main") + field(5, tensor)
        if inSubgraph {
            let attribute = field(1, "then_branch") + field(6, field(2, "sub") + field(5, tensor))
            graph = field(2, "main") + field(1, field(4, "If") + field(5, attribute))
        }
        return field(1, varint: 8) + field(2, "pytorch") + field(3, "2.1") + field(7, graph) + field(8, field(2, varint: 17))
    }

    @Test func traversalLocationIsUnsafe() {
        let report = Fixture.scan(model(location: "../../etc/passwd"), path: "model.onnx")
        #expect(report.format == "onnx")
        #expect(report.verdict == .unsafe)
        #expect(report.findings.first?.kind == "external-data")
    }

    @Test func locationInANestedGraphIsFound() {
        #expect(Fixture.scan(model(location: "/etc/passwd", inSubgraph: true)).verdict == .unsafe)
    }

    @Test func relativeLocationIsSafe() {
        let report = Fixture.scan(model(location: "weights/model.onnx_data"))
        #expect(report.format == "onnx")
        #expect(report.verdict == .safe)
        #expect(report.findings.isEmpty)
    }

    @Test func locationRules() {
        #expect(ONNXScanner.unsafeLocation("a/../../b") != nil)
        #expect(ONNXScanner.unsafeLocation("..") != nil)
        #expect(ONNXScanner.unsafeLocation("a\\b") != nil)
        #expect(ONNXScanner.unsafeLocation("C:x") != nil)
        #expect(ONNXScanner.unsafeLocation("a\u{0}b") != nil)
        #expect(ONNXScanner.unsafeLocation("data..bin") == nil)
    }

    @Test func malformedProtobufIsMalformed() {
        var bytes = model(location: "x.bin")
        // Corrupt the opset_import length so it runs past the end: no longer recognised as a
        // well-formed ModelProto, but the graph walk inside the scanner must fail cleanly too.
        let report = ONNXScanner.scan(MemorySource(bytes + [0x3A, 0xFF, 0x01]), member: nil, policy: ScanPolicy())
        #expect(report.contains { $0.verdict == .malformed })
        bytes[bytes.count - 3] = 0x7F
        // Not ONNX any more: unknown binary, which is not checked, so never `safe`.
        #expect(Fixture.scan(bytes, path: "model.onnx").verdict == .unsupported)
    }
}
