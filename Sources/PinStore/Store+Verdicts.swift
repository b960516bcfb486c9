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
        guard let file = try? StoreJSON.decode(VerdictFileV1.self, from: bytes),
              file.version == VerdictFileV1.currentVersion, file.scanner == scanner, file.digest == digest.description,
              !file.verdict.isEmpty, !file.format.isEmpty
        else { return nil }
        return StoredVerdict(verdict: file.verdict, format: file.format, accepted: file.accepted)
    }

    /// The record's bytes as `recordVerdict` writes them; an SPI for the fuzz target.
    @_spi(Fuzzing) public static func renderVerdict(_ verdict: StoredVerdict, for digest: SHA256Digest, scanner: String) throws -> [UInt8] {
        try StoreJSON.encode(verdictFile(verdict, for: digest, scanner: scanner))
    }

    private static func verdictFile(_ verdict: StoredVerdict, for digest: SHA256Digest, scanner: String) -> VerdictFileV1 {
        VerdictFileV1(
            scanner: scanner, digest: digest.description, verdict: verdict.verdict, format: verdict.format, accepted: verdict.accepted)
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
        try writeMetadata(
            Self.verdictFile(verdict, for: digest, scanner: scanner),
            to: path, durable: false)  // read strictly: a record a crash damages is a rescan
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

/// The on-disk record. Versioned: a record of another version is ignored (rescanned).
private struct VerdictFileV1: Codable {
    static let currentVersion = 1
    var version = currentVersion
    var scanner: String
    var digest: String
    var verdict: String
    var format: String
    var accepted: [String]
}
