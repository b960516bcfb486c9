import PinModel
import Testing
@testable import PinScan

// Where a pickle begins and ends for CPython's unpickler, and where two readers of the same bytes
// disagree: a printable tail after a payload, a first opcode outside the usual set, a frame
// boundary run across.

/// The rule: bytes from which CPython's unpickler would import (GLOBAL, INST, STACK_GLOBAL) are a
/// pickle, whatever follows; bytes that fail before any import keep their text verdict.
@Suite struct PickleImportThresholdTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var verdict: Verdict
        var format: String
        var callable: String? = nil
        var testDescription: String { name }
    }

    static let payload = pickleBytes("cos\nsystem\n(S'echo pwned'\ntR")

    static let judged: [Case] = [
        Case(name: "payload then #junk", bytes: payload + pickleBytes("#junk"), verdict: .unsafe, format: "pickle", callable: "os.system"),
        Case(
            name: "payload then a line of English", bytes: payload + pickleBytes("This model is released under the MIT license.\n"),
            verdict: .unsafe, format: "pickle", callable: "os.system"),
        Case(
            name: "an import with side effects, then a printable tail", bytes: pickleBytes("cacme_models.hooks\ninstall\n# notes\n"),
            verdict: .malformed, format: "pickle", callable: "acme_models.hooks.install"),
        Case(
            name: "first opcode LONG1 (outside the usual first opcodes)",
            bytes: pickleBytes("\u{8A}\u{01}\u{00}0") + payload + pickleBytes("."), verdict: .unsafe, format: "pickle", callable: "os.system"),
        Case(
            name: "protocol 1: a 4 KiB BINSTRING before the payload (longer than the sniffed window)",
            bytes: pickleBytes("N0T") + littleEndian(4096, width: 4) + [UInt8](repeating: 0, count: 4096) + pickleBytes("0") + payload
                + pickleBytes("."),
            verdict: .unsafe, format: "pickle", callable: "os.system"),
        Case(
            name: "GLOBAL cut by the end of the file (pickle.py still imports evil_mod)", bytes: pickleBytes("cevil_mod_"),
            verdict: .malformed, format: "pickle", callable: "evil_mod."),
        Case(
            name: "GLOBAL whose name line is cut by the end of the file", bytes: pickleBytes("cposix\nsystem"),
            verdict: .unsafe, format: "pickle", callable: "posix.syste"),
    ]

    static let text: [Case] = [
        Case(name: "LICENSE", bytes: pickleBytes("MIT License\n\nCopyright (c) 2024 someone\n"), verdict: .safe, format: "text"),
        Case(name: "README with opcode lines", bytes: pickleBytes("# Model card\n\ncos\nsystem\nThis model is (c) 2026.\n"), verdict: .safe, format: "text"),
        Case(name: "merges.txt", bytes: Array("#version: 0.2\nĠ t\nĠ a\n".utf8), verdict: .safe, format: "text"),
        Case(name: "vocab.txt", bytes: pickleBytes("[PAD]\n[unused0]\n[unused1]\n"), verdict: .safe, format: "text"),
        Case(name: ".gitattributes", bytes: pickleBytes("*.bin filter=lfs diff=lfs merge=lfs -text\n"), verdict: .safe, format: "text"),
        Case(name: "config.json", bytes: pickleBytes("{\"architectures\": [\"BertModel\"]}\n"), verdict: .safe, format: "text"),
        Case(
            name: "YAML whose first line starts with c (not a module name)",
            bytes: pickleBytes("compute_environment: LOCAL_MACHINE\ndistributed_type: NO\n"), verdict: .safe, format: "text"),
        Case(name: "Python source", bytes: pickleBytes("import torch\nmodel = torch.nn.Linear(2, 2)\n"), verdict: .safe, format: "text"),
        Case(name: "copyright line", bytes: pickleBytes("(c) 2024 the authors\nall rights reserved\n"), verdict: .safe, format: "text"),
    ]

    @Test(arguments: judged + text)
    func verdict(_ c: Case) {
        let report = Fixture.scan(c.bytes, path: "notes.txt")
        #expect(report.verdict == c.verdict, "\(report.findings.map(\.detail))")
        #expect(report.format == c.format)
        if let callable = c.callable {
            #expect(report.findings.contains { $0.callable == callable }, "\(report.findings.map(\.detail))")
        }
    }

    @Test(arguments: judged)
    func sameInsideAZip(_ c: Case) {
        var zip = FixtureZip()
        zip.add("README.md", Array("# notes\n".utf8))
        zip.add("payload.txt", c.bytes)
        let report = Fixture.scan(zip.build(), path: "bundle.zip")
        #expect(report.verdict == c.verdict, "\(report.findings.map(\.detail))")
        if let callable = c.callable {
            #expect(report.findings.contains { $0.callable == callable && $0.member == "payload.txt" })
        }
    }

    @Test func aPickleInAnHDF5UserBlockIsScanned() {
        // h5py finds the signature at 512; pickle.load reads the payload before it.
        let payload = Self.payload + pickleBytes(".")
        let bytes = payload + [UInt8](repeating: 0, count: 512 - payload.count) + KerasScanner.hdf5Magic + [UInt8](repeating: 0, count: 100)
        let report = Fixture.scan(bytes, path: "model.h5")
        #expect(report.verdict == .unsafe, "\(report.findings.map(\.detail))")
        #expect(report.findings.contains { $0.callable == "os.system" })
        // A user block of zeros or text is no pickle.
        let text = Array("created by acme\n".utf8)
        let plain = text + [UInt8](repeating: 0x20, count: 512 - text.count) + KerasScanner.hdf5Magic + [UInt8](repeating: 0, count: 100)
        #expect(Fixture.scan(plain, path: "model.h5").verdict == .safe)
    }

    @Test func aPickleAfterTheFirstIsFoundWhateverItsFirstOpcode() {
        let findings = scan(pickleBytes("N.\u{8A}\u{01}\u{00}0") + Self.payload + pickleBytes("."))
        #expect(findings.contains { $0.callable == "os.system" && $0.verdict == .unsafe }, "\(findings)")
    }

    @Test func importableModuleNames() {
        for name in ["os", "torch._utils", "_pickle", "a1.b_2", "módulo"] { #expect(PickleScanner.importable(name), "\(name)") }
        for name in ["", "1os", "os.", ".os", "a..b", "ompute_environment: LOCAL_MACHINE", "os ", "os\r", "foo-bar"] {
            #expect(!PickleScanner.importable(name), "\(name)")
        }
    }
}

/// Reads across a FRAME's end: `malformed`, and what each of CPython's readings would run is
/// scanned (PickleFrames.swift). Each layout was checked against CPython 3.11: `pickle.loads`,
/// `pickle.load(io.BytesIO(...))` (how torch.load reads data.pkl) and `pickle._Unpickler`.
@Suite struct PickleFrameTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var verdict: Verdict
        var callable: String? = nil
        var testDescription: String { name }
    }

    static let payload = pickleBytes("cos\nsystem\n(S'id'\ntR")

    /// PROTO 4, then a FRAME holding exactly `frame`, then `after`.
    static func framed(_ frame: [UInt8], then after: [UInt8]) -> [UInt8] {
        pickleBytes("\u{80}\u{04}\u{95}") + littleEndian(UInt64(frame.count), width: 8) + frame + after
    }

    static let cases: [Case] = [
        // BINBYTES whose 4-byte length runs across the frame end. Straight through: a byte string
        // that holds the payload. Dropping the frame's last 2 bytes: an empty byte string, then
        // the payload runs.
        Case(
            name: "payload hidden in BINBYTES data, run by the dropping reading",
            bytes: framed(pickleBytes("B") + littleEndian(UInt64(2 + payload.count), width: 2), then: [0, 0, 0, 0] + payload + pickleBytes(".")),
            verdict: .unsafe, callable: "os.system"),
        // A GLOBAL's module line runs across: straight through it names `xxbuiltins`, dropping
        // `xx` it names `os`.
        Case(name: "GLOBAL module line across the frame end", bytes: framed(pickleBytes("cxx"), then: pickleBytes("os\nsystem\n(S'id'\ntR.")),
             verdict: .unsafe, callable: "os.system"),
        Case(name: "GLOBAL name line across the frame end", bytes: framed(pickleBytes("cos\nsys"), then: pickleBytes("tem\n(S'id'\ntR.")),
             verdict: .unsafe, callable: "os.system"),
        // STOP before the frame's end: the next pickle.load starts at the frame's end in pickle.py
        // and in the dropping reading.
        Case(name: "STOP inside a frame, a second pickle at its end", bytes: framed(pickleBytes("N.XXXX"), then: pickleBytes("\u{80}\u{02}") + payload + pickleBytes(".")),
             verdict: .unsafe, callable: "os.system"),
        // BINBYTES contents are read straight through by every C reading; still not what a
        // pickler writes.
        Case(name: "BINBYTES data across the frame end", bytes: framed(pickleBytes("C\u{06}abc"), then: pickleBytes("def.")), verdict: .malformed),
        Case(name: "BINUNICODE data across the frame end", bytes: framed(pickleBytes("\u{8C}\u{06}abc"), then: pickleBytes("def.")), verdict: .malformed),
        Case(name: "FRAME inside a frame", bytes: framed(pickleBytes("N\u{95}") + littleEndian(1, width: 8), then: pickleBytes(".")), verdict: .malformed),
        Case(name: "BININT across the frame end", bytes: framed(pickleBytes("J\u{01}\u{00}"), then: pickleBytes("\u{00}\u{00}.")), verdict: .malformed),
        // The opcode byte is the frame's last and its argument follows: every reader agrees.
        Case(name: "opcode last in its frame, argument after it", bytes: framed(pickleBytes("N0B"), then: littleEndian(3, width: 4) + pickleBytes("abc.")), verdict: .safe),
    ]

    @Test(arguments: cases)
    func verdict(_ c: Case) {
        let report = Fixture.scan(c.bytes, path: "model.pkl")
        #expect(report.verdict == c.verdict, "\(report.findings.map(\.detail))")
        if c.verdict != .safe {
            #expect(report.findings.contains { $0.kind == "frame-boundary" && $0.offset != nil }, "\(report.findings.map(\.detail))")
        }
        if let callable = c.callable {
            #expect(report.findings.contains { $0.callable == callable && $0.verdict == .unsafe }, "\(report.findings.map(\.detail))")
        }
    }

    @Test func theDroppingReadingNamesRealOffsets() throws {
        let bytes = Self.cases[0].bytes
        let finding = try #require(Fixture.scan(bytes).findings.first { $0.callable == "os.system" })
        // The GLOBAL sits after the 4 zero bytes that follow the frame.
        let frameEnd = 2 + 9 + 3
        #expect(finding.offset == Int64(frameEnd + 4))
        #expect(Array(bytes[frameEnd + 4..<frameEnd + 7]) == pickleBytes("cos"))
    }

    @Test func picklesCPythonWritesWithFramesAreClean() throws {
        // Protocol 5 with a 200 KB bytes value: the pickler ends the frame after the BINBYTES8
        // length and writes the data outside any frame.
        let bytes = try #require(
            python("import pickle, sys; sys.stdout.buffer.write(pickle.dumps({'a': b'x' * 200000, 'b': list(range(5000)), 'c': 's' * 70000}, protocol=5))"))
        #expect(scan(bytes) == [])
    }

    @Test func aJoblibArrayInsideAFrameIsMalformed() {
        // NEWOBJ of the wrapper class then BUILD with a dict state, all inside one frame.
        let body = pickleBytes("cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\u{81}}b")
        let findings = scan(Self.framed(body + pickleBytes("xxxx"), then: pickleBytes(".")))
        #expect(findings.contains { $0.verdict == .malformed && $0.detail.contains("inside a FRAME") }, "\(findings)")
    }
}

extension PickleFrameTests {
    /// Read straight through, the BINUNICODE length is 0x00_00_FF_FF (past the end): that reading
    /// fails. Dropping the frame's last 2 bytes, the length is 0 and the payload after it runs.
    @Test func aReadingThatFailsStraightThroughIsStillFollowedTheDroppingWay() {
        let bytes = Self.framed(pickleBytes("X\u{FF}\u{FF}"), then: [0, 0, 0, 0] + pickleBytes("0") + Self.payload + pickleBytes("."))
        let findings = scan(bytes)
        #expect(findings.contains { $0.callable == "os.system" && $0.verdict == .unsafe }, "\(findings.map(\.detail))")
        #expect(findings.contains { $0.kind == "frame-boundary" })
    }
}
