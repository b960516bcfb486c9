public import PinLock
import PinModel
public import PinStore
public import SystemPackage

/// `mirror DIR`: copies every blob a lock names into DIR, which is laid out exactly like the
/// store (an OCI image layout: `oci-layout`, `blobs/sha256/<hex>`), plus the lock itself.
///
/// A mirror is a store: blobs enter it through the same checked path (temp file, hash,
/// compare with the lock, fsync, rename), so a mirror never holds a blob under a wrong name,
/// and serving DIR with any static HTTP server (or reading it as `file://`) is all a consumer
/// needs — `pull --mirror` checks every byte against its own lock again anyway.
public struct MirrorWriter: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public struct Outcome: Sendable, Encodable {
        public var directory: String
        public var blobs = 0
        public var copied = 0
        public var bytes: Int64 = 0
    }

    public func write(_ lock: Lockfile, lockText: String, to directory: FilePath) throws -> Outcome {
        var unique: [SHA256Digest: LockedFile] = [:]
        for file in lock.models.flatMap(\.files) { unique[file.sha256] = file }
        let missing = unique.keys.sorted().filter { (try? store.path(of: $0)) == nil }
        guard missing.isEmpty else {
            throw ProjectError.notInStore(missing.map { "\(unique[$0]!.path) (\($0))" })
        }
        let mirror = try Store.open(at: directory, access: .readWrite)
        var outcome = Outcome(directory: directory.string, blobs: unique.count)
        for (digest, file) in unique.sorted(by: { $0.key < $1.key }) {
            let result = try mirror.ingest(file: store.path(of: digest), expecting: BlobExpectation(digest: digest, size: file.size))
            if result.outcome != .present {
                outcome.copied += 1
                outcome.bytes += file.size
            }
        }
        do {
            try AtomicFile.write(Array(lockText.utf8), to: directory.appending(Lockfile.fileName))
        } catch {
            throw ProjectError.unwritable(directory.appending(Lockfile.fileName), error)
        }
        return outcome
    }
}
