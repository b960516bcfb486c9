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
