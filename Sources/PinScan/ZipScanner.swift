import PinModel

// What a zip archive is (PyTorch checkpoint, `.npz`, Keras v3 `.keras`, or a generic zip) and
// the scan of its members. Members are recognised BY CONTENT, whatever their names: a pickle
// renamed `archive/data/0` or `notes.txt` is scanned as a pickle (CVE-2025-1889). Tensor payload
// members are never read beyond their first bytes.

enum ZipScanner {
    private enum MemberKind {
        case pickle, numpy, zip, compressed, kerasConfig, unreadable, other
        /// Opcodes that may reach an import further on: judged the way a file is (`Scanner.scanPickle`).
        case content
        /// Bytes named like tensor data outside a PyTorch archive: a pickle only if they import.
        case importing
        /// Content no rule above picks, under a name loaders act on (`*.ckpt`, `*.py`,
        /// `*.jinja`…): scanned like a file, so that the name rules have a format to judge.
        case named
    }

    static func scan<S: ByteSource>(
        _ source: S, member: String?, depth: Int, policy: ScanPolicy
    ) -> (format: String, findings: [Finding]) {
        let archive = ZipArchive(source, member: member)
        var findings = archive.findings
        let files = archive.entries.filter { !$0.isDirectory }
        let names = Set(files.map(\.name))

        let isKeras = names.contains("config.json") && (names.contains("metadata.json") || names.contains("model.weights.h5"))
        let torch = TorchZipRecords(archive.entries)
        var kinds: [MemberKind] = []
        for entry in files {
            kinds.append(kind(of: entry, in: archive, keras: isKeras, torch: torch))
        }
        let format: String
        if isKeras {
            format = "keras"
        } else if names.contains(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }) || kinds.contains(where: { $0 == .pickle }) {
            format = "pytorch-zip"
        } else if !files.isEmpty, zip(files, kinds).allSatisfy({ $0.name.hasSuffix(".npy") || $1 == .numpy }) {
            format = "numpy-zip"
        } else {
            format = "zip"
        }

        for (entry, kind) in zip(files, kinds) where kind != .other {
            let label = [member, entry.name].compactMap { $0 }.joined(separator: "/")
            switch archive.content(of: entry) {
            case .failed(let finding):
                findings.append(finding)
            case .stored(let slice):
                findings += checksum(slice, of: entry, kind: kind, label: label)
                findings += inspect(slice, of: entry, kind: kind, label: label, depth: depth, policy: policy)
            case .inflated(let memory):
                findings += checksum(memory, of: entry, kind: kind, label: label)
                findings += inspect(memory, of: entry, kind: kind, label: label, depth: depth, policy: policy)
            }
        }
        return (format, findings)
    }

    /// The member's findings by content, then by its name (`Scanner.memberNameExpectation`,
    /// given the format its content was recognised as).
    private static func inspect<T: ByteSource>(
        _ content: T, of entry: ZipEntry, kind: MemberKind, label: String, depth: Int, policy: ScanPolicy
    ) -> [Finding] {
        let (format, findings) = scanByContent(content, kind: kind, label: label, depth: depth, policy: policy)
        guard Scanner.hasNameRule(entry.name) else { return findings }
        return findings + Scanner.memberNameExpectation(content, name: entry.name, format: format, label: label, policy: policy)
    }

    private static func scanByContent<T: ByteSource>(
        _ content: T, kind: MemberKind, label: String, depth: Int, policy: ScanPolicy
    ) -> (format: String, findings: [Finding]) {
        switch kind {
        case .pickle: ("pickle", PickleScanner.scan(content, member: label, policy: policy))
        case .numpy: ("numpy", NumpyScanner.scan(content, member: label, policy: policy))
        case .kerasConfig: ("json", KerasScanner.scanConfig(content, member: label, policy: policy))
        case .zip, .compressed, .content, .named: Scanner.scanContent(content, member: label, depth: depth + 1, policy: policy)
        case .importing: ("pickle", importingPickle(content, label: label, policy: policy))
        // Undecodable prefix: reading the whole member reports why (content(of:) fails).
        case .unreadable: ("unreadable", [Scanner.malformed("member content cannot be read", member: label)])
        case .other: ("other", [])
        }
    }

    /// A member read whole anyway (a pickle, a Keras config) whose bytes do not match the
    /// directory's CRC-32: Python's zipfile refuses it, PyTorch's reader does not check it.
    /// Tensor and array members are not read whole for this: the scan never reads tensor bytes.
    private static func checksum<T: ByteSource>(_ content: T, of entry: ZipEntry, kind: MemberKind, label: String) -> [Finding] {
        guard kind == .pickle || kind == .kerasConfig || kind == .content, let crc = CRC32.of(content), crc != entry.crc else {
            return []
        }
        return [Finding(
            verdict: .malformed, kind: "zip-inconsistent",
            detail: "the content's CRC-32 is \(hex(crc)) but the directory says \(hex(entry.crc)): Python's zipfile refuses the member, PyTorch reads it unchecked (it is scanned as PyTorch reads it)",
            offset: entry.localHeaderOffset, member: label)]
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func kind<S: ByteSource>(
        of entry: ZipEntry, in archive: ZipArchive<S>, keras: Bool, torch: TorchZipRecords
    ) -> MemberKind {
        if keras, entry.name == "config.json" { return .kerasConfig }
        // Unsupported methods and undecodable data are reported when the content is read.
        guard entry.method == 0 || entry.method == 8 else { return .unreadable }
        guard let prefix = archive.prefix(of: entry, count: 64) else { return .unreadable }
        if Scanner.startsWith(prefix, NumpyScanner.magic) { return .numpy }
        if Scanner.startsWith(prefix, [0x50, 0x4B, 0x03, 0x04]) || Scanner.startsWith(prefix, [0x50, 0x4B, 0x05, 0x06]) {
            return .zip
        }
        let lower = entry.name.lowercased()
        // A storage record of a PyTorch archive: raw tensor bytes to torch.load (TorchZipRecords).
        if torch.isStorage(entry) { return .other }
        if isTensorPayload(entry.name) {
            // Raw tensor bytes: only a PROTO-framed pickle counts, so that arbitrary weights that
            // happen to start with a protocol-0 opcode byte are not taken for a pickle.
            if looksLikeFramedPickle(prefix) { return .pickle }
            return PickleScanner.mayReachImport(prefix, complete: Int64(prefix.count) >= entry.uncompressedSize) ? .importing : .other
        }
        if PickleScanner.looksLikePickle(prefix) { return .pickle }
        for suffix in [".pkl", ".pickle", ".joblib"] where lower.hasSuffix(suffix) { return .pickle }
        if Scanner.compressionKind(prefix) != nil { return .compressed }
        if PickleScanner.mayReachImport(prefix, complete: Int64(prefix.count) >= entry.uncompressedSize) { return .content }
        // Named for a rule: read, unless it is deflated past what may be inflated to inspect it
        // (a large `model.weights.h5` in a `.keras`), which would turn benign weights that were
        // never read before into "too large" refusals. Stored members are read in place.
        guard Scanner.hasNameRule(entry.name), entry.method == 0 || entry.uncompressedSize <= Int64(Inflater.memberLimit) else {
            return .other
        }
        return .named
    }

    /// The findings of a pickle walk over `content` if it reaches an import (the bytes are a
    /// pickle from there on, PickleScanner.mayReachImport), none otherwise.
    private static func importingPickle<T: ByteSource>(_ content: T, label: String, policy: ScanPolicy) -> [Finding] {
        var (findings, reachedImport) = PickleScanner.walk(content, start: 0, end: content.size, depth: 0, policy: policy)
        guard reachedImport else { return [] }
        for index in findings.indices { findings[index].member = label }
        return findings
    }

    /// `archive/data/0`, `model/data/123`: PyTorch's tensor storage members.
    static func isTensorPayload(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, let last = parts.last, !last.isEmpty,
            last.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return false }
        return parts[parts.count - 2] == "data"
    }

    /// PROTO 2–5 followed by an opcode a pickler writes first.
    static func looksLikeFramedPickle(_ p: [UInt8]) -> Bool {
        guard p.count >= 3, p[0] == 0x80, (2...5).contains(p[1]) else { return false }
        let firstOpcodes: Set<UInt8> = [
            0x95, 0x7D, 0x5D, 0x28, 0x63, 0x8C, 0x58, 0x29, 0x4E, 0x88, 0x89, 0x4B, 0x4A, 0x4D, 0x8A,
            0x55, 0x54, 0x43, 0x42, 0x47, 0x93, 0x8F, 0x2E,
        ]
        return firstOpcodes.contains(p[2])
    }
}
