import PinModel
import Testing
@testable import PinScan

@Suite struct GGUFTests {
    private func string(_ s: String) -> [UInt8] { Fixture.le(UInt64(s.utf8.count), 8) + Array(s.utf8) }

    /// One metadata entry (general.architecture = "llama"), one array entry, one F32 tensor [4].
    private func file(tensorCount: UInt64 = 1, kvCount: UInt64 = 2, nameLength: UInt64? = nil, dims: UInt64 = 4, type: UInt32 = 0) -> [UInt8] {
        var out = Array("GGUF".utf8) + Fixture.le(3, 4) + Fixture.le(tensorCount, 8) + Fixture.le(kvCount, 8)
        out += string("general.architecture") + Fixture.le(8, 4) + string("llama")
        out += string("tokenizer.ggml.tokens") + Fixture.le(9, 4) + Fixture.le(8, 4) + Fixture.le(2, 8) + string("a") + string("b")
        if let nameLength {
            out += Fixture.le(nameLength, 8) + Array("weight".utf8)
        } else {
            out += string("weight")
        }
        out += Fixture.le(1, 4) + Fixture.le(dims, 8) + Fixture.le(UInt64(type), 4) + Fixture.le(0, 8)
        while out.count % 32 != 0 { out.append(0) }
        return out + [UInt8](repeating: 0, count: 16)
    }

    @Test func validMinimalFileIsSafe() {
        let report = Fixture.scan(file(), path: "model.gguf")
        #expect(report.format == "gguf")
        #expect(report.verdict == .safe)
        #expect(report.findings.isEmpty)
    }

    @Test func hugeCountsAreMalformed() {
        #expect(Fixture.scan(file(tensorCount: 1 << 40)).verdict == .malformed)
        #expect(Fixture.scan(file(kvCount: UInt64.max)).verdict == .malformed)
    }

    @Test func stringLengthPastTheEndIsMalformed() {
        let report = Fixture.scan(file(nameLength: 1 << 62))
        #expect(report.verdict == .malformed)
        #expect(report.findings.first?.detail.contains("past the end") == true)
    }

    @Test func tensorDataPastTheEndIsMalformed() {
        #expect(Fixture.scan(file(dims: 1000)).verdict == .malformed)
    }

    @Test func unknownTypeAndBadVersionAreMalformed() {
        #expect(Fixture.scan(file(type: 99)).verdict == .malformed)
        var v1 = file()
        v1[4] = 1
        #expect(Fixture.scan(v1).verdict == .malformed)
    }
}
