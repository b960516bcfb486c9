import PinModel
import Testing
@testable import PinScan

@Suite struct TorchTests {
    private func legacy(main: [UInt8]) -> [UInt8] {
        let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A] + TorchLegacy.magicNumber + [0x2E]
        let protocolVersion: [UInt8] = [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]
        let sysInfo: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E]
        let keys: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00, 0x30, 0x61, 0x2E]
        // Storage: an element count then raw bytes that are not a pickle.
        let storage = Fixture.le(2, 8) + [0xFF, 0x00, 0xFE, 0x01, 0x00, 0x00, 0x80, 0x3F]
        return magic + protocolVersion + sysInfo + main + keys + storage
    }

    @Test func legacyBenignIsSafe() {
        let report = Fixture.scan(legacy(main: Fixture.benignPickle), path: "model.pt")
        #expect(report.format == "pytorch-legacy")
        #expect(report.verdict == .safe)
        #expect(report.findings.isEmpty)
    }

    @Test func legacyMaliciousMainPickleIsUnsafe() {
        let report = Fixture.scan(legacy(main: Fixture.maliciousPickle), path: "model.pt")
        #expect(report.format == "pytorch-legacy")
        #expect(report.verdict == .unsafe)
    }

    @Test func pickleExtentFollowsArguments() {
        let stream = Fixture.maliciousPickle + Fixture.benignPickle
        #expect(PickleExtent.end(of: MemorySource(stream), from: 0) == Int64(Fixture.maliciousPickle.count))
        #expect(PickleExtent.end(of: MemorySource(stream), from: Int64(Fixture.maliciousPickle.count)) == Int64(stream.count))
        #expect(PickleExtent.end(of: MemorySource([0x80, 0x02, 0x58, 0xFF]), from: 0) == nil)
    }

    @Test func magicIsRecognised() {
        #expect(TorchLegacy.hasMagic([0x80, 0x02, 0x8A, 0x0A] + TorchLegacy.magicNumber + [0x2E]))
        #expect(!TorchLegacy.hasMagic(Fixture.benignPickle))
    }
}
