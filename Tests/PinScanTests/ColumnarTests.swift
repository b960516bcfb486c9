import Foundation
import PinModel
import Testing
@testable import PinScan

/// Datasets' Parquet and Arrow files are data: `safe` when their structure holds, `unsafe`
/// when the schema declares the pickled `arrow.py_extension_type`, `malformed` when a length
/// does not fit, and never mistaken for a pickle because `PAR1` starts with an opcode.
@Suite struct ColumnarTests {
    // MARK: Fixtures (thrift compact protocol, as Parquet footers are written)

    static func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value), out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return out + [UInt8(value)]
    }

    static func binary(_ text: String) -> [UInt8] { varint(text.utf8.count) + Array(text.utf8) }

    /// A valid Parquet file with no columns and no rows: FileMetaData {version 1, schema [root],
    /// num_rows 0, row_groups []}, and key-value metadata when given (pyarrow's `ARROW:schema`).
    static func parquet(metadata: [(String, String)] = []) -> [UInt8] {
        var footer: [UInt8] = [0x15, 0x02]  // 1: version = 1
        footer += [0x19, 0x1C, 0x48] + binary("schema") + [0x15, 0x00, 0x00]  // 2: [SchemaElement{name, num_children 0}]
        footer += [0x16, 0x00]  // 3: num_rows = 0
        footer += [0x19, 0x0C]  // 4: row_groups = []
        if !metadata.isEmpty {
            footer += [0x19, UInt8(metadata.count << 4) | 0x0C]  // 5: key_value_metadata
            for (key, value) in metadata { footer += [0x18] + binary(key) + [0x18] + binary(value) + [0x00] }
        }
        footer.append(0x00)
        return Array("PAR1".utf8) + footer + Fixture.le(UInt64(footer.count), 4) + Array("PAR1".utf8)
    }

    /// An IPC message: the continuation marker, the metadata length, the metadata (padded to 8).
    static func message(_ metadata: [UInt8]) -> [UInt8] {
        var padded = metadata
        while padded.count % 8 != 0 { padded.append(0) }
        return [0xFF, 0xFF, 0xFF, 0xFF] + Fixture.le(UInt64(padded.count), 4) + padded
    }

    static let endOfStream: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]

    static func arrowStream(schema: String = "schema: text: string") -> [UInt8] {
        message(Array(schema.utf8)) + endOfStream
    }

    static func arrowFile(schema: String = "schema: text: string", footer: String = "footer: schema, blocks") -> [UInt8] {
        let magic = Array("ARROW1".utf8)
        let footerBytes = Array(footer.utf8)
        return magic + [0, 0] + arrowStream(schema: schema) + footerBytes + Fixture.le(UInt64(footerBytes.count), 4) + magic
    }

    // MARK: Tests

    @Test(arguments: [
        ("train.parquet", parquet(), "parquet"),
        ("train.parquet", parquet(metadata: [("pandas", #"{"columns": []}"#), ("ARROW:schema", "/////w==")]), "parquet"),
        ("data-00000-of-00001.arrow", arrowStream(), "arrow-stream"),
        ("table.feather", arrowFile(), "arrow"),
        // By content: the name does not matter.
        ("shard.bin", parquet(), "parquet"),
    ])
    func recognisedDataIsSafe(path: String, bytes: [UInt8], format: String) {
        let report = Fixture.scan(bytes, path: path)
        #expect(report.format == format)
        #expect(report.verdict == .safe, "\(report.findings)")
    }

    /// The extension name raw (Arrow) or base64-encoded at each alignment (Parquet's
    /// `ARROW:schema`), anywhere in the schema.
    @Test(arguments: [0, 1, 2])
    func aPickledExtensionTypeIsUnsafe(alignment: Int) {
        let schema = Data(Array("x".utf8) + [UInt8](repeating: 0x41, count: alignment) + Array("arrow.py_extension_type".utf8) + [1, 2])
        let parquet = Fixture.scan(Self.parquet(metadata: [("ARROW:schema", schema.base64EncodedString())]), path: "t.parquet")
        #expect(parquet.verdict == .unsafe, "\(parquet.findings)")
        #expect(parquet.findings.first?.kind == "pickled-extension-type")
        #expect(parquet.findings.first?.detail.contains("CVE-2023-47248") == true)
        let raw = String(repeating: "m", count: alignment) + "ARROW:extension:name arrow.py_extension_type"
        #expect(Fixture.scan(Self.arrowStream(schema: raw), path: "t.arrow").verdict == .unsafe)
        #expect(Fixture.scan(Self.arrowFile(schema: raw), path: "t.feather").verdict == .unsafe)
        #expect(Fixture.scan(Self.arrowFile(footer: raw), path: "t.feather").verdict == .unsafe)
    }

    /// The precomputed base64 spellings are what an encoder writes.
    @Test func theBase64SpellingsMatchAnEncoder() {
        let name = Array(ColumnarScanner.pickledExtension.utf8)
        for (offset, spelling) in ColumnarScanner.pickledExtensionBase64.enumerated() {
            for extra in 0..<3 {
                let encoded = Data([UInt8](repeating: 7, count: offset + 3 * extra) + name + [9]).base64EncodedString()
                #expect(encoded.contains(spelling), "offset \(offset): \(encoded)")
            }
        }
    }

    static let badLengths: [(bytes: [UInt8], says: String)] = {
        let par1 = Array("PAR1".utf8), arrow1 = Array("ARROW1".utf8)
        var cases: [(bytes: [UInt8], says: String)] = []
        // A footer length past the start of the file, or none.
        cases.append((par1 + [0x15, 0x02, 0x00] + Fixture.le(1000, 4) + par1, "Parquet footer length 1000"))
        cases.append((par1 + Fixture.le(0, 4) + par1, "Parquet footer length 0"))
        cases.append((arrow1 + [0, 0] + arrowStream() + Fixture.le(UInt64(UInt32.max), 4) + arrow1, "Arrow footer length -1"))
        // An Arrow file whose schema message is not where it belongs.
        cases.append((arrow1 + [0, 0] + Array("not a message".utf8) + Fixture.le(4, 4) + arrow1, "continuation marker"))
        let stream: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF] + Fixture.le(1 << 20, 4) + [UInt8](repeating: 0, count: 8)
        cases.append((stream + endOfStream, "schema message length"))
        return cases
    }()

    @Test(arguments: badLengths)
    func lengthsThatDoNotFitAreMalformed(bytes: [UInt8], says: String) {
        let report = Fixture.scan(bytes, path: "x.parquet")
        #expect(report.verdict == .malformed, "\(report.format) \(report.findings)")
        #expect(report.findings.first?.detail.contains(says) == true, "\(report.findings)")
    }

    /// Without the closing magic it is not Parquet: unrecognised content, as before.
    @Test func oneMagicIsNotEnough() {
        let report = Fixture.scan(Array("PAR1".utf8) + [UInt8](repeating: 0x80, count: 64), path: "x.parquet")
        #expect(report.format != "parquet")
        #expect(report.verdict != .safe)
    }

    /// `PAR1` opens with PERSID: bytes that are Parquet at both ends and also run to an import
    /// under `pickle.load` keep the pickle's findings.
    @Test func aParquetPickledPolyglotKeepsThePicklesFindings() {
        let pickle = Array("PAR1\ncos\nsystem\n(S'id'\ntR.".utf8)
        let bytes = pickle + Fixture.le(UInt64(pickle.count - 4), 4) + Array("PAR1".utf8)
        let report = Fixture.scan(bytes, path: "data.parquet")
        #expect(report.format == "parquet")
        #expect(report.verdict == .unsafe, "\(report.findings)")
        #expect(report.findings.contains { $0.kind == "polyglot" })
        #expect(report.findings.contains { $0.callable == "os.system" })
    }

    /// A dataset's other files keep their verdicts: text is safe, a pickle is judged as one.
    @Test func aDatasetsOtherFilesKeepTheirVerdicts() {
        #expect(Fixture.scan(Array("a,b\n1,2\n".utf8), path: "train.csv").verdict == .safe)
        #expect(Fixture.scan(Array(#"{"text": "hello"}\n{"text": "world"}\n"#.utf8), path: "train.jsonl").verdict == .safe)
        #expect(Fixture.scan(Fixture.maliciousPickle, path: "features.pkl").verdict == .unsafe)
        #expect(Fixture.scan(Fixture.benignPickle, path: "features.pkl").format == "pickle")
    }
}
