import PinModel
import Testing
@testable import PinScan

@Suite struct SafeTensorsTests {
    private let valid = Fixture.safetensors(
        #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]}}"#,
        data: [UInt8](repeating: 1, count: 12))

    private func verdict(_ header: String, data count: Int) -> ScanReport {
        Fixture.scan(Fixture.safetensors(header, data: [UInt8](repeating: 0, count: count)), path: "model.safetensors")
    }

    @Test func validFileIsSafe() {
        let report = Fixture.scan(valid, path: "model.safetensors")
        #expect(report.format == "safetensors")
        #expect(report.verdict == .safe)
        #expect(report.findings.isEmpty)
    }

    @Test func headerLengthRules() {
        #expect(Fixture.scan([], path: "model.safetensors").verdict == .malformed)
        #expect(SafeTensorsValidator.validate(MemorySource([]), member: nil).count == 1)
        let huge = Fixture.le(1 << 63, 8) + Array(#"{"a":1}"#.utf8)
        let report = Fixture.scan(huge, path: "x.bin")
        #expect(report.format == "safetensors")
        #expect(report.verdict == .malformed)
        let pastEnd = Fixture.le(1000, 8) + Array(#"{}"#.utf8)
        #expect(Fixture.scan(pastEnd).verdict == .malformed)
        #expect(SafeTensorsValidator.validate(MemorySource(Fixture.le(0, 8)), member: nil).count == 1)
    }

    @Test func eachTensorRuleIsEnforced() {
        // Unknown dtype, negative dim, float offsets, begin > end, size mismatch, extra field.
        #expect(verdict(#"{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#, data: 4).verdict == .malformed)
        #expect(verdict(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: 4).verdict == .malformed)
        #expect(verdict(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}"#, data: 4).verdict == .malformed)
        #expect(verdict(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, data: 4).verdict == .malformed)
        #expect(verdict(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: 4).verdict == .malformed)
        #expect(verdict(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}"#, data: 4).verdict == .malformed)
        #expect(verdict(#"{"a":{"dtype":"F32","shape":[1]}}"#, data: 4).verdict == .malformed)
        // Past the data region.
        #expect(verdict(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 4).verdict == .malformed)
        // Element count overflow.
        #expect(verdict(#"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: 8).verdict == .malformed)
        // Sub-byte dtype that does not fill whole bytes.
        #expect(verdict(#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"#, data: 1).verdict == .malformed)
        #expect(verdict(#"{"a":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}"#, data: 2).verdict == .safe)
    }

    @Test func tilingRules() {
        // Overlap.
        #expect(verdict(#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#, data: 6).verdict == .malformed)
        // Gap.
        #expect(verdict(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}"#, data: 6).verdict == .malformed)
        // Trailing data.
        #expect(verdict(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: 6).verdict == .malformed)
        // Zero-size tensors are fine.
        #expect(verdict(#"{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: 2).verdict == .safe)
    }

    @Test func headerJSONRules() {
        #expect(verdict(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: 2).verdict == .malformed)
        #expect(verdict(#"{"__metadata__":{"n":1}}"#, data: 0).verdict == .malformed)
        #expect(verdict(#"{"__metadata__":{"n":"1"}}"#, data: 0).verdict == .safe)
        #expect(verdict(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}"#, data: 2).verdict == .malformed)
        #expect(verdict(#"{"a\ud800":1}"#, data: 0).verdict == .malformed)
        #expect(verdict("{\"a\": [\(String(repeating: "[", count: 200))]}", data: 0).verdict == .malformed)
    }

    @Test func jsonParser() throws {
        let value = try ScanJSONParser.parse(Array(#" {"s":"\u00e9\n\ud83d\ude00","n":[-1,2.5e3,null,true,false]} "#.utf8))
        #expect(value["s"]?.stringValue == "é\n😀")
        guard case .array(let items)? = value["n"] else {
            Issue.record("not an array")
            return
        }
        #expect(items.count == 5)
        for bad in ["01", "[1,]", "{\"a\" 1}", "\"\u{01}\"", "tru", "[1] x", "-", "1.", "\"\\x\""] {
            #expect(throws: FormatError.self) { try ScanJSONParser.parse(Array(bad.utf8)) }
        }
    }
}
