public import PinModel
import SystemPackage

/// What a scanner judged a blob's bytes to be, as the store keeps it: `verdicts/<scanner>/<hex>`.
///
/// Trust that decides whether a file may be laid out lives here, written by the code that
/// scanned the bytes, and never in a lockfile (which anyone can edit in a pull request). The
/// store does not interpret verdicts (PinScan's types stay out of it): it keeps the strings a
/// scanner wrote and hands them back only for the same digest and the same scanner.
public struct StoredVerdict: Sendable, Equatable {
    public let verdict: String
    /// The format the scanner recognised (`pickle`, `safetensors`…).
    public let format: String
    /// Callables the verdict depended on the policy accepting (`--allow-global`): a verdict that
    /// needed them is only reused while they are still accepted.
    public let accepted: [String]

    public init(verdict: String, format: String, accepted: [String]) {
        self.verdict = verdict
        self.format = format
        self.accepted = accepted.sorted()
    }
}

extension Store {
    var verdictsDirectory: FilePath { root.appending("verdicts") }

    /// `verdicts/<scanner>/`: the scanner id made one safe path component (`modelpin-scan/1` →
    /// `modelpin-scan_1`). Two ids that map to one name only cost rescans: each record names its
    /// scanner in full and is ignored under any other.
    static func verdictDirectoryName(_ scanner: String) -> String {
        let safe = String(scanner.unicodeScalars.map { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
                ? Character(scalar) : "_"
        })
        return safe.isEmpty || safe.hasPrefix(".") ? "_" + safe : safe
    }

    func verdictPath(_ digest: SHA256Digest, scanner: String) -> FilePath {
        verdictsDirectory.appending(Self.verdictDirectoryName(scanner)).appending(digest.hex)
    }

    /// The verdict `scanner` recorded for these bytes, or nil. Read strictly: a record that is
    /// missing, unreadable, of another version, for another digest or scanner, or malformed in
    /// any way is nil — the blob is scanned again, never taken for safe.
    public func storedVerdict(for digest: SHA256Digest, scanner: String) -> StoredVerdict? {
        guard let bytes = try? readIfPresent(verdictPath(digest, scanner: scanner), limit: 64 << 10) else { return nil }
        return Self.parseVerdict(bytes, for: digest, scanner: scanner)
    }

    /// A verdict record's bytes, read strictly (see `storedVerdict`); an SPI for the fuzz target.
    @_spi(Fuzzing) public static func parseVerdict(_ bytes: [UInt8], for digest: SHA256Digest, scanner: String) -> StoredVerdict? {
        VerdictRecord(parsing: bytes, digest: digest, scanner: scanner)?.verdict
    }

    /// The record's bytes as `recordVerdict` writes them (nil: a verdict no record can hold); an
    /// SPI for the fuzz target.
    @_spi(Fuzzing) public static func renderVerdict(_ verdict: StoredVerdict, for digest: SHA256Digest, scanner: String) -> [UInt8]? {
        VerdictRecord(scanner: scanner, digest: digest, verdict: verdict).text.map { Array($0.utf8) }
    }

    /// Records what `scanner` judged the bytes with this digest to be (atomically replaced).
    /// Only the scanning code calls this, right after it read the bytes it names.
    public func recordVerdict(_ verdict: StoredVerdict, for digest: SHA256Digest, scanner: String) throws(StoreError) {
        let path = verdictPath(digest, scanner: scanner)
        let directory = path.removingLastComponent()
        do {
            try FileSystem.makeDirectories(directory)
        } catch {
            throw .writing(error, operation: "create", path: directory, root: root)
        }
        // A verdict with a word no record can hold is not kept: that only costs a rescan.
        guard let bytes = Self.renderVerdict(verdict, for: digest, scanner: scanner) else { return }
        // Read strictly, so a record a crash damages is a rescan: no fsync needed.
        try writeAtomically(bytes, to: path, durable: false)
    }

    /// Removes the records of blobs the store no longer holds, and records that cannot be read
    /// (they only ever cost a rescan). Part of `gc`.
    func removeStaleVerdicts() {
        for scanner in (try? FileSystem.listDirectory(verdictsDirectory)) ?? [] {
            let directory = verdictsDirectory.appending(scanner)
            for name in (try? FileSystem.listDirectory(directory)) ?? [] {
                let digest = try? SHA256Digest(parsing: SHA256Digest.algorithm + ":" + name)
                let blobThere = digest.map { ((try? FileSystem.entry(at: blobPath($0))) ?? nil) != nil } ?? false
                if !blobThere { try? FileSystem.unlink(directory.appending(name)) }
            }
        }
    }
}

/// The on-disk record, one line of words:
/// `modelpin-verdict/1 <scanner> <digest> <verdict> <format> [<accepted callable>…]`.
/// Plain text rather than JSON for the same reason as blob stamps: a pull with nothing to do reads
/// one record per locked file, and decoding JSON cost far more than the read. No field may hold
/// whitespace (scanner ids, verdicts and formats are identifiers; accepted callables are
/// `module.name` values `--allow-global` refuses whitespace in), so splitting on spaces is exact.
struct VerdictRecord: Equatable {
    static let magic = "modelpin-verdict/1"
    var scanner: String
    var digest: SHA256Digest
    var verdict: StoredVerdict

    init(scanner: String, digest: SHA256Digest, verdict: StoredVerdict) {
        self.scanner = scanner
        self.digest = digest
        self.verdict = verdict
    }

    /// The line, or nil when a field is empty or holds whitespace (it could not be read back).
    var text: String? {
        let words = [Self.magic, scanner, digest.description, verdict.verdict, verdict.format] + verdict.accepted
        // The same test `parse` applies, on the same bytes: what is written reads back as written.
        guard words.allSatisfy({ !$0.isEmpty && !$0.utf8.contains(where: Self.isASCIIWhitespace) }) else { return nil }
        return words.joined(separator: " ") + "\n"
    }

    /// nil for anything but one well-formed line of the current version, for exactly this
    /// digest and scanner. Parsed on bytes (the head compared with the one expected, the rest
    /// split on spaces): a thousand records are read on a pull with nothing to do.
    init?(parsing bytes: [UInt8], digest: SHA256Digest, scanner: String) {
        let head = Array("\(Self.magic) \(scanner) \(digest.description) ".utf8)
        guard bytes.count > head.count, bytes.last == UInt8(ascii: "\n"), bytes.starts(with: head) else { return nil }
        let words = bytes[head.count..<(bytes.count - 1)].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard words.count >= 2, words.allSatisfy({ !$0.isEmpty && !$0.contains(where: Self.isASCIIWhitespace) }),
              let strings = Optional(words.compactMap { String(validating: $0, as: UTF8.self) }), strings.count == words.count
        else { return nil }
        let accepted = Array(strings[2...])
        // Written sorted and without repeats: anything else was not written by `text`.
        guard zip(accepted, accepted.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
        self.init(scanner: scanner, digest: digest, verdict: StoredVerdict(verdict: strings[0], format: strings[1], accepted: accepted))
    }

    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }
}
