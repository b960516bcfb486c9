import PinModel
import Testing
@testable import PinScan

@Suite("decompression")
struct DecompressionTests {
    /// `os.system('id')` (Fixture.maliciousPickle) as Python's `bz2.compress(…, 9)` writes it.
    static let bz2Pickle = Fixture.hex(
        "425a6839314159265359fc4bc65600001053c07810000110400e22ec6042002000229ea000687a9a1468c81a34c8d1c100a0f0d1a4e610bcf0f13aa7cb1ae02afc5dc914e14243f12f1958")

    @Test func aBz2WrappedPickleIsDecodedAndScanned() {
        let report = Fixture.scan(Self.bz2Pickle)
        #expect(report.format == "bzip2")
        #expect(report.verdict == .unsafe)
        #expect(report.findings.contains { $0.callable == "posix.system" })
    }

    @Test func theAbsoluteCapStopsADecodeWithAnOffset() {
        let tight = Decompressor.Limits(maxOutput: 16, maxRatio: 1000, ratioFloor: 1 << 20)
        guard case .failure(let error) = Decompressor.stream(MemorySource(Self.bz2Pickle), filter: .bzip2, limits: tight) else {
            Issue.record("a 30-byte output passed a 16-byte cap")
            return
        }
        #expect(error.detail.contains("decompression bomb"))
        #expect(error.offset != nil)
    }

    @Test func theRatioCapStopsADecodePastItsFloor() {
        let tight = Decompressor.Limits(maxOutput: 1 << 20, maxRatio: 0, ratioFloor: 8)
        guard case .failure(let error) = Decompressor.stream(MemorySource(Self.bz2Pickle), filter: .bzip2, limits: tight) else {
            Issue.record("no ratio failure")
            return
        }
        #expect(error.detail.contains("more than 0×"))
    }

    @Test func garbageAfterAMagicIsMalformedNotACrash() {
        for magic: [UInt8] in [[0x1F, 0x8B, 0x08], Array("BZh9".utf8), [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], [0x5D, 0x00, 0, 0, 1] + [UInt8](repeating: 0xFF, count: 8),
                               [0x04, 0x22, 0x4D, 0x18], [0x28, 0xB5, 0x2F, 0xFD], [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]] {
            let report = Fixture.scan(magic + [UInt8](repeating: 0xAB, count: 64))
            #expect(report.verdict == .malformed, "\(magic): \(report.findings.map(\.detail))")
        }
    }

    /// joblib reads the ZF length with `int(x, 16)`: every form Python accepts is a ZF file.
    static let zfLengths: [(String, Bool)] = [
        ("0x1e", true), ("1e", true), ("0X1E", true), (" 0x1e", true), ("+0x1e", true), ("0x_1_e", true), ("\t1e\n", true),
        ("1__e", false), ("0x", false), ("_1e", false), ("1e_", false), ("1g", false),
    ]

    @Test(arguments: zfLengths)
    func joblibZFLengthFollowsPythonsInt(_ text: String, _ accepted: Bool) {
        var field = Array(text.utf8)
        while field.count < 19 { field.append(0x20) }
        #expect((PythonInt.parse(field[...], base: 16, whitespace: PythonInt.bytesWhitespace) != nil) == accepted, "\(text)")
        let prefix = Array("ZF".utf8) + field + [0x78, 0x9C] + [UInt8](repeating: 0, count: 8)
        #expect((Scanner.compressionKind(prefix) == .joblibZlib) == accepted, "\(text)")
    }
}
