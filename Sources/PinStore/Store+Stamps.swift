import PinModel
import PinDigest
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// `stamps/<hex>`: the identity of a blob's file when the store last knew its bytes — device,
/// inode, size, modification and change times.
///
/// Blobs are read-only, but anyone who can write the store (or root) can swap one for other
/// bytes of the same size, and a size check cannot see that. Re-hashing every blob on every
/// pull would cost seconds per GiB; comparing a stamp costs one `lstat` and one small read.
/// Any change to a file's bytes moves its ctime (which no user can set back), and a swap by
/// rename changes its inode, so a blob whose stamp still matches holds the bytes that were
/// hashed. One that does not match is re-hashed before anything is laid out from it: intact, it
/// is stamped again; changed, it is refused (and the next fetch replaces it).
struct BlobStamp: Codable, Equatable {
    static let currentVersion = 1
    var version = currentVersion
    var digest: String
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: [Int64]
    var changed: [Int64]

    init(digest: SHA256Digest, status: Stat) {
        self.digest = digest.description
        device = UInt64(status.rawValue.st_dev)
        inode = UInt64(status.rawValue.st_ino)
        size = status.size
        modified = [Int64(status.st_mtim.tv_sec), Int64(status.st_mtim.tv_nsec)]
        changed = [Int64(status.st_ctim.tv_sec), Int64(status.st_ctim.tv_nsec)]
    }
}

extension Store {
    var stampsDirectory: FilePath { root.appending("stamps") }

    /// Records the blob's current identity as the one whose bytes were just verified. Best
    /// effort: a missing stamp only means one more re-hash later, never trust in wrong bytes.
    /// `status`: the identity taken before the bytes were hashed (so that a change during the
    /// hash still shows as a mismatch later); nil to take it now (right after a promotion).
    func recordStamp(_ digest: SHA256Digest, status: Stat? = nil) {
        guard let status = status ?? ((try? FileSystem.entry(at: blobPath(digest))) ?? nil), status.type == .regular else { return }
        try? FileSystem.makeDirectory(stampsDirectory)
        try? writeMetadata(BlobStamp(digest: digest, status: status), to: stampsDirectory.appending(digest.hex), durable: false)
    }

    /// Whether the blob's file is the one its stamp recorded (false without a readable stamp).
    func stampMatches(_ digest: SHA256Digest, _ status: Stat) -> Bool {
        guard let bytes = try? readIfPresent(stampsDirectory.appending(digest.hex), limit: 4096),
              let stamp = try? StoreJSON.decode(BlobStamp.self, from: bytes), stamp.version == BlobStamp.currentVersion
        else { return false }
        return stamp == BlobStamp(digest: digest, status: status)
    }

    /// Makes sure the blob at `path` (whose `lstat` is `status`) still holds the bytes its name
    /// says: free when its stamp matches, else a re-hash. Throws `.blobChanged` if it does not.
    func checkIntact(_ digest: SHA256Digest, at path: FilePath, _ status: Stat) throws(StoreError) {
        if stampMatches(digest, status) { return }
        let hashed: FileDigest
        do {
            hashed = try FileHasher.sha256(file: path)
        } catch {
            throw .unreadableSource(error)
        }
        guard hashed.digest == digest else { throw .blobChanged(digest, actual: hashed.digest) }
        recordStamp(digest, status: status)
    }

    /// Stamps of blobs that are gone. Part of `gc`.
    func removeStaleStamps() {
        for name in (try? FileSystem.listDirectory(stampsDirectory)) ?? [] {
            let digest = try? SHA256Digest(parsing: SHA256Digest.algorithm + ":" + name)
            let blobThere = digest.map { ((try? FileSystem.entry(at: blobPath($0))) ?? nil) != nil } ?? false
            if !blobThere { try? FileSystem.unlink(stampsDirectory.appending(name)) }
        }
    }
}
