import PinModel
import Testing
@testable import PinScan

@Suite struct NumpyTests {
    @Test func numericArrayIsSafe() {
        let report = Fixture.scan(Fixture.npy(descr: "'<f4'", shape: "(2,)", payload: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]), path: "a.npy")
        #expect(report.format == "numpy")
        #expect(report.verdict == .safe)
        #expect(report.findings.isEmpty)
    }

    @Test func structuredNumericArrayIsSafe() {
        let npy = Fixture.npy(descr: "[('x', '<i4'), ('y', '<f8', (2,))]", shape: "(1,)", payload: [UInt8](repeating: 0, count: 20))
        #expect(Fixture.scan(npy).verdict == .safe)
    }

    @Test func objectArrayWithPayloadIsUnsafe() {
        let report = Fixture.scan(Fixture.npy(descr: "'|O'", shape: "(1,)", payload: Fixture.maliciousPickle))
        #expect(report.format == "numpy")
        #expect(report.verdict == .unsafe)
    }

    @Test func objectFieldInStructuredDtypeIsScanned() {
        let npy = Fixture.npy(descr: "[('x', '<i4'), ('o', 'O')]", shape: "(1,)", payload: Fixture.maliciousPickle)
        #expect(Fixture.scan(npy).verdict == .unsafe)
    }

    @Test func truncatedOrInvalidHeaderIsMalformed() {
        #expect(Fixture.scan(Fixture.npy(descr: "'<f4'", shape: "(100,)", payload: [0, 0])).verdict == .malformed)
        #expect(Fixture.scan(Fixture.npy(descr: "'<f4'", shape: "(1,", payload: [0, 0, 0, 0])).verdict == .malformed)
        #expect(Fixture.scan(NumpyScanner.magic + [1, 0, 0xFF, 0xFF]).verdict == .malformed)
    }

    @Test func npzWithMaliciousObjectArrayIsUnsafe() {
        var zip = FixtureZip()
        zip.add("weights.npy", Fixture.npy(descr: "'<f4'", shape: "(1,)", payload: [0, 0, 0x80, 0x3F]))
        zip.add("labels.npy", Fixture.npy(descr: "'|O'", shape: "(1,)", payload: Fixture.maliciousPickle))
        let report = Fixture.scan(zip.build(), path: "data.npz")
        #expect(report.format == "numpy-zip")
        #expect(report.verdict == .unsafe)
        #expect(report.findings.contains { $0.member == "labels.npy" })
    }

    @Test func benignNpzIsSafe() {
        var zip = FixtureZip()
        zip.add("weights.npy", Fixture.npy(descr: "'<f4'", shape: "(1,)", payload: [0, 0, 0x80, 0x3F]))
        let report = Fixture.scan(zip.build())
        #expect(report.format == "numpy-zip")
        #expect(report.verdict == .safe)
    }
}
