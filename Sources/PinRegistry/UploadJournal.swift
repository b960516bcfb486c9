import FoundationEssentials
import PinDigest
public import PinModel

#if canImport(Glibc)
import Glibc
#endif

/// What a push knows about one blob upload in progress: enough to ask the registry, after an
/// interruption, how much it has (`GET <location>` → `Range: 0-N`) and go on from there.
public struct UploadJournalEntry: Sendable, Equatable, Codable {
    /// `host[:port]` and repository the upload belongs to: an entry is never used elsewhere.
    public var registry: String
    public var repository: String
    public var digest: SHA256Digest
    public var size: Int64
    /// The upload session's latest `Location` (absolute).
    public var location: String
    /// Bytes the registry confirmed (its last `Range` end + 1).
    public var confirmed: Int64

    public init(registry: String, repository: String, digest: SHA256Digest, size: Int64, location: String, confirmed: Int64) {
        self.registry = registry
        self.repository = repository
        self.digest = digest
        self.size = size
        self.location = location
        self.confirmed = confirmed
    }
}

/// Upload journals: one small JSON file per (registry, repository, blob) in a directory the
/// caller owns (PinWorkspace puts it in the store), written atomically (temp file, fsync,
/// rename) after every chunk the registry confirms, removed when the blob is complete.
///
/// Files are read back as untrusted: an entry that does not parse, or names another registry,
/// repository, digest or size, is ignored (and the upload starts over), never followed.
public struct UploadJournal: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    static let sizeLimit = 64 << 10

    /// The file for one blob upload: the digest's hex and a short hash of where it goes, so the
    /// same blob pushed to two repositories keeps two journals.
    public func path(registry: String, repository: String, digest: SHA256Digest) -> String {
        let place = SHA256.hash(Array("\(registry)/\(repository)".utf8)).hex.prefix(16)
        return directory + "/" + digest.hex + "-" + place + ".upload.json"
    }

    /// The entry for this upload, if a valid one is there.
    public func read(registry: String, repository: String, digest: SHA256Digest, size: Int64) throws(RegistryError) -> UploadJournalEntry? {
        let file = path(registry: registry, repository: repository, digest: digest)
        let bytes: [UInt8]
        do {
            guard let read = try readSmallFile(file, limit: Self.sizeLimit) else { return nil }
            bytes = read
        } catch {
            throw .journal(path: file, reason: error.description)
        }
        guard let entry = Self.parse(bytes),
              entry.registry == registry, entry.repository == repository, entry.digest == digest, entry.size == size,
              (0...size).contains(entry.confirmed)
        else { return nil }
        return entry
    }

    /// Parses a journal file's bytes; nil when they are not an entry (fuzzed: FuzzRegistry).
    public static func parse(_ bytes: [UInt8]) -> UploadJournalEntry? {
        try? JSONDecoder().decode(UploadJournalEntry.self, from: Data(bytes))
    }

    /// Replaces the entry atomically: a crash leaves the old entry or the new one, never half.
    public func write(_ entry: UploadJournalEntry) throws(RegistryError) {
        let file = path(registry: entry.registry, repository: entry.repository, digest: entry.digest)
        let bytes: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            bytes = Array(try encoder.encode(entry))
        } catch {
            throw .journal(path: file, reason: "cannot encode the entry: \(error)")
        }
        try Self.makeDirectories(directory)
        let temporary = file + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .journal(path: temporary, reason: String(cString: strerror(errno))) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, file) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .journal(path: file, reason: reason)
        }
    }

    /// `mkdir -p`: the caller names a directory in the store that may not exist yet (nothing
    /// is journalled until the first chunked upload).
    static func makeDirectories(_ path: String) throws(RegistryError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw .journal(path: prefix, reason: String(cString: strerror(errno)))
            }
        }
    }

    /// Forgets the upload (it completed, or its session is gone).
    public func remove(registry: String, repository: String, digest: SHA256Digest) {
        // Nothing to act on if it is already gone; any other failure leaves a stale entry that
        // the next read validates against the registry anyway.
        _ = unlink(path(registry: registry, repository: repository, digest: digest))
    }
}
