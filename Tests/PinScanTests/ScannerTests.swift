import PinModel
import Testing
@testable import PinScan

// MARK: Fixtures shared by the format tests (built by hand: no zip, numpy or torch library).

enum Fixture {
    static let policy = ScanPolicy()

    /// `{'a': 1}`, protocol 2.
    static let benignPickle: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x4B, 0x01, 0x73, 0x2E]
    /// `os.system('id')` as pickle protocol 2 writes it.
    static let maliciousPickle: [UInt8] =
        [0x80, 0x02] + Array("cposix\nsystem\n".utf8) + [0x71, 0x00, 0x58, 0x02, 0x00, 0x00, 0x00] + Array("id".utf8)
        + [0x71, 0x01, 0x85, 0x71, 0x02, 0x52, 0x71, 0x03, 0x2E]
    /// The same pickle, raw-DEFLATEd by Python's zlib (level 9, fixed Huffman block).
    static let maliciousPickleDeflated = hex("6b604a2ec82fceace02aae2c2e49cde52a648860626060c84c29646c2d640a2a64d60300")

    static func scan(_ bytes: [UInt8], path: String = "model.bin") -> ScanReport {
        Scanner.scan(MemorySource(bytes), path: path, policy: policy)
    }

    static func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(text.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
            chars = chars.dropFirst(2)
        }
        return out
    }

    static func le(_ value: UInt64, _ width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// An `.npy` v1 file.
    static func npy(descr: String, shape: String, payload: [UInt8]) -> [UInt8] {
        var header = Array("{'descr': \(descr), 'fortran_order': False, 'shape': \(shape), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        return NumpyScanner.magic + [1, 0] + le(UInt64(header.count), 2) + header + payload
    }

    static func safetensors(_ header: String, data: [UInt8]) -> [UInt8] {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        return le(UInt64(h.count), 8) + h + data
    }
}

/// A zip writer with knobs for building broken archives.
struct FixtureZip {
    struct Entry {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 0
        var uncompressedSize: Int? = nil
        var localName: String? = nil
        var flags: UInt16 = 0
        var centralOffset: Int? = nil
        var centralCompressedSize: Int? = nil
        /// The CRC-32 written in both headers: by default that of the content (`data`, inflated
        /// when deflated; 0 when it does not inflate).
        var crc: UInt32? = nil
    }

    var entries: [Entry] = []
    var zip64 = false

    mutating func add(_ name: String, _ data: [UInt8]) { entries.append(Entry(name: name, data: data)) }

    static func content(of entry: Entry) -> [UInt8] {
        guard entry.method == 8 else { return entry.data }
        if case .complete(let bytes) = Inflater.inflate(MemorySource(entry.data), limit: 1 << 26) { return bytes }
        return []
    }

    func build() -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for e in entries {
            let offset = out.count
            let usize = e.uncompressedSize ?? e.data.count
            let localName = Array((e.localName ?? e.name).utf8)
            let localExtra: [UInt8] = zip64 ? Fixture.le(1, 2) + Fixture.le(16, 2) + Fixture.le(UInt64(usize), 8) + Fixture.le(UInt64(e.data.count), 8) : []
            out += Fixture.le(0x0403_4B50, 4) + Fixture.le(zip64 ? 45 : 20, 2) + Fixture.le(UInt64(e.flags), 2) + Fixture.le(UInt64(e.method), 2)
            let crc = UInt64(e.crc ?? CRC32.update(0, Self.content(of: e)))
            out += Fixture.le(0, 4) + Fixture.le(crc, 4)  // time, date, crc
            out += zip64 ? Fixture.le(0xFFFF_FFFF, 4) + Fixture.le(0xFFFF_FFFF, 4) : Fixture.le(UInt64(e.data.count), 4) + Fixture.le(UInt64(usize), 4)
            out += Fixture.le(UInt64(localName.count), 2) + Fixture.le(UInt64(localExtra.count), 2) + localName + localExtra + e.data

            let name = Array(e.name.utf8)
            let csize = e.centralCompressedSize ?? e.data.count
            let lho = e.centralOffset ?? offset
            let extra: [UInt8] = zip64 ? Fixture.le(1, 2) + Fixture.le(24, 2) + Fixture.le(UInt64(usize), 8) + Fixture.le(UInt64(csize), 8) + Fixture.le(UInt64(lho), 8) : []
            central += Fixture.le(0x0201_4B50, 4) + Fixture.le(45, 2) + Fixture.le(zip64 ? 45 : 20, 2) + Fixture.le(UInt64(e.flags), 2) + Fixture.le(UInt64(e.method), 2)
            central += Fixture.le(0, 4) + Fixture.le(crc, 4)
            central += zip64 ? Fixture.le(0xFFFF_FFFF, 4) + Fixture.le(0xFFFF_FFFF, 4) : Fixture.le(UInt64(csize), 4) + Fixture.le(UInt64(usize), 4)
            central += Fixture.le(UInt64(name.count), 2) + Fixture.le(UInt64(extra.count), 2) + Fixture.le(0, 2) + Fixture.le(0, 2) + Fixture.le(0, 2) + Fixture.le(0, 4)
            central += (zip64 ? Fixture.le(0xFFFF_FFFF, 4) : Fixture.le(UInt64(lho), 4)) + name + extra
        }
        let cdOffset = out.count
        out += central
        if zip64 {
            let record = out.count
            out += Fixture.le(0x0606_4B50, 4) + Fixture.le(44, 8) + Fixture.le(45, 2) + Fixture.le(45, 2) + Fixture.le(0, 4) + Fixture.le(0, 4)
            out += Fixture.le(UInt64(entries.count), 8) + Fixture.le(UInt64(entries.count), 8) + Fixture.le(UInt64(central.count), 8) + Fixture.le(UInt64(cdOffset), 8)
            out += Fixture.le(0x0706_4B50, 4) + Fixture.le(0, 4) + Fixture.le(UInt64(record), 8) + Fixture.le(1, 4)
            out += Fixture.le(0x0605_4B50, 4) + Fixture.le(0, 2) + Fixture.le(0, 2) + Fixture.le(0xFFFF, 2) + Fixture.le(0xFFFF, 2)
            out += Fixture.le(0xFFFF_FFFF, 4) + Fixture.le(0xFFFF_FFFF, 4) + Fixture.le(0, 2)
        } else {
            out += Fixture.le(0x0605_4B50, 4) + Fixture.le(0, 2) + Fixture.le(0, 2) + Fixture.le(UInt64(entries.count), 2) + Fixture.le(UInt64(entries.count), 2)
            out += Fixture.le(UInt64(central.count), 4) + Fixture.le(UInt64(cdOffset), 4) + Fixture.le(0, 2)
        }
        return out
    }
}

// MARK: Dispatch

@Suite struct ScannerTests {
    @Test func textConfigIsSafe() {
        let report = Fixture.scan(Array(#"{"architectures": ["BertModel"], "hidden_size": 768}"#.utf8), path: "config.json")
        #expect(report.format == "text")
        #expect(report.verdict == .safe)
        #expect(report.findings.isEmpty)
    }

    @Test func readmeStartingWithOpcodeLettersIsText() {
        let report = Fixture.scan(Array("MIT License\n\nCopyright (c) 2024 someone\n".utf8), path: "LICENSE")
        #expect(report.verdict == .safe)
    }

    @Test func emptyIsSafeAndUnknownBinaryIsUnsupported() {
        // Empty: fine as `.gitkeep`, broken under a name that promises weights.
        #expect(Fixture.scan([], path: ".gitkeep").format == "empty")
        #expect(Fixture.scan([], path: ".gitkeep").verdict == .safe)
        let emptyWeights = Fixture.scan([], path: "pytorch_model.bin")
        #expect(emptyWeights.verdict == .malformed)
        #expect(emptyWeights.findings.first?.offset == 0)
        // Unknown binary was not checked: `unsupported`, never `safe`; under a name loaders open
        // as weights it is refused (`malformed`), with the reason at offset 0.
        let unknown: [UInt8] = [0x00, 0x01, 0x02, 0xFF, 0xFE, 0x00, 0x10]
        let report = Fixture.scan(unknown, path: "vocab.dat")
        #expect(report.format == "unknown")
        #expect(report.verdict == .unsupported)
        #expect(report.findings.map(\.kind) == ["unsupported"])
        for name in ["model.bin", "model.pt", "model.pth", "m.ckpt", "m.pkl", "m.joblib", "m.nemo", "m.h5", "m.keras"] {
            let weights = Fixture.scan(unknown, path: name)
            #expect(weights.verdict == .malformed, "\(name)")
            #expect(weights.findings.contains { $0.kind == "unrecognised-weights" && $0.offset == 0 }, "\(name)")
        }
        #expect(ScanPolicy().admits(.unsupported))
        var strict = ScanPolicy()
        strict.strict = true
        #expect(!strict.admits(.unsupported) && strict.admits(.safe))
        #expect(Verdict.safe < .unsupported && Verdict.unsupported < .suspicious)
    }

    @Test func rawPickleIsScannedWhateverTheName() {
        let report = Fixture.scan(Fixture.maliciousPickle, path: "weights.safetensors.txt")
        #expect(report.format == "pickle")
        #expect(report.verdict == .unsafe)
        #expect(Fixture.scan(Fixture.benignPickle).verdict == .safe)
    }

    @Test func extensionOnlyAddsFindings() {
        let report = Fixture.scan([], path: "model.safetensors")
        #expect(report.verdict == .malformed)
        #expect(Fixture.scan(Array("hello".utf8), path: "x.gguf").verdict == .malformed)
    }

    @Test func gzipAndZlibWrappedPicklesAreInspected() {
        let gz = Fixture.hex("1f8b08000000000002036b604a2ec82fceace02aae2c2e49cde52a648860626060c84c29646c2d640a2a64d6030050c126c922000000")
        let report = Fixture.scan(gz, path: "model.joblib")
        #expect(report.format == "gzip")
        #expect(report.verdict == .unsafe)
        let z = Fixture.hex("789c6b604a2ec82fceace02aae2c2e49cde52a648860626060c84c29646c2d640a2a64d60300be0e09c8")
        #expect(Fixture.scan(z).verdict == .unsafe)
    }

    @Test func aTruncatedCompressedStreamIsMalformed() {
        // xz is decoded now (libarchive); a stream cut after its header cannot be, and says where.
        let xz: [UInt8] = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04, 0xE6, 0xD6]
        let report = Fixture.scan(xz, path: "model.joblib")
        #expect(report.format == "xz")
        #expect(report.verdict == .malformed)
        #expect(report.findings.first?.offset != nil)
    }

    @Test func anyByteSourceCanBeScanned() {
        // The public entry point with a generic ByteSource other than MemorySource.
        let slice = SliceSource(MemorySource([0, 0] + Fixture.maliciousPickle), start: 2, size: Int64(Fixture.maliciousPickle.count))
        #expect(Scanner.scan(slice, path: "x", policy: ScanPolicy()).verdict == .unsafe)
    }
}
