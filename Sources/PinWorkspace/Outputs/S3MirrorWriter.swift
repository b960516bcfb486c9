public import PinLock
import PinModel
public import PinStore
import PinDigest
import SystemPackage

/// `mirror s3://BUCKET/PREFIX`: every blob a lock names uploaded from the store to
/// `PREFIX/blobs/sha256/<hex>`, then the lock (and its signature) — the layout of a directory
/// mirror, so `pull --mirror s3://…`, `serve --blob-redirect` and ordinary S3 tools read it.
///
/// Each blob is hashed from the store before it is sent and must be the lock's digest and size
/// (a store blob damaged on disk is never published), and each PUT or part carries a checksum
/// the server checks. An object already there with the lock's size is skipped (HEAD first):
/// its name is its digest, and every reader checks the bytes against its lock anyway.
public struct S3MirrorWriter: Sendable {
    public let store: Store
    public let bucket: any S3Bucket
    public let events: any EventSink

    public init(store: Store, bucket: any S3Bucket, events: any EventSink) {
        self.store = store
        self.bucket = bucket
        self.events = events
    }

    public struct Outcome: Sendable, Encodable {
        public var mirror: String
        public var blobs = 0
        public var uploaded = 0
        public var skipped = 0
        /// Bytes sent now (parts already in an unfinished upload are not counted).
        public var bytes: Int64 = 0
        /// Parts of unfinished multipart uploads found on the server and not sent again.
        public var resumedParts = 0
    }

    /// Uploads the blobs, then `files` (the lock, its signature) under their names.
    public func write(_ lock: Lockfile, files: [(name: String, bytes: [UInt8])]) throws -> Outcome {
        var unique: [SHA256Digest: LockedFile] = [:]
        for file in lock.models.flatMap(\.files) { unique[file.sha256] = file }
        let missing = unique.keys.sorted().filter { (try? store.path(of: $0)) == nil }
        guard missing.isEmpty else {
            throw ProjectError.notInStore(missing.map { "\(unique[$0]!.path) (\($0))" })
        }
        var outcome = Outcome(mirror: bucket.description, blobs: unique.count)
        for (digest, file) in unique.sorted(by: { $0.key < $1.key }) {
            let key = MirrorLayout.blobKey(digest)
            if try bucket.size(of: key) == file.size {
                outcome.skipped += 1
                continue
            }
            let path = try store.path(of: digest)
            try Self.check(path, digest: digest, size: file.size, name: file.path)
            let sent = try bucket.upload(file: path, size: file.size, sha256: digest, to: key)
            outcome.uploaded += 1
            outcome.bytes += sent.bytes
            outcome.resumedParts += sent.resumedParts
        }
        // The lock last: a reader that finds it finds every blob it names.
        for (name, bytes) in files { try bucket.put(bytes, to: name) }
        return outcome
    }

    /// The store's blob is still the bytes the lock names (hashed now, from an fd opened
    /// without following symlinks): fail closed before anything is published.
    static func check(_ path: FilePath, digest: SHA256Digest, size: Int64, name: String) throws {
        let read = try FileHasher.sha256(file: path)
        guard read.digest == digest, read.size == size else {
            throw S3MirrorError.storeBlobDamaged(path: name, expected: digest, actual: read.digest, size: read.size, expectedSize: size)
        }
    }
}
