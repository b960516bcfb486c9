public import PinModel
import PinDigest
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// `stamps/<hex>` (one line of text, see `text`): the identity of a blob's file when the store last knew its bytes — device,
/// inode, size, modification and change times.
///
/// Blobs are read-only, but anyone who can write the store (or root) can swap one for other
/// bytes of the same size, and a size check cannot see that. Re-hashing every blob on every
/// pull would cost seconds per GiB; comparing a stamp costs one `lstat` and one small read.
/// Any change to a file's bytes moves its ctime (which no user can set back), and a swap by
/// rename changes its inode, so a blob whose stamp still matches holds the bytes that were
/// hashed. One that does not match is re-hashed before anything is laid out from it: intact, it
/// is stamped again; changed, it is refused (and the next fetch replaces it).
@_spi(Fuzzing) public struct BlobStamp: Equatable {
    /// The first word of a stamp file: the format and its version.
    static let magic = "modelpin-stamp/1"
    @_spi(Fuzzing) public var digest: SHA256Digest
    @_spi(Fuzzing) public var fields: [Int64]

    init(digest: SHA256Digest, status: Stat) {
        self.digest = digest
        fields = [
            Int64(bitPattern: UInt64(status.rawValue.st_dev)), Int64(bitPattern: UInt64(status.rawValue.st_ino)), status.size,
            Int64(status.st_mtim.tv_sec), Int64(status.st_mtim.tv_nsec), Int64(status.st_ctim.tv_sec), Int64(status.st_ctim.tv_nsec),
        ]
    }

    /// One line: `modelpin-stamp/1 <digest> <device> <inode> <size> <mtime s> <ns> <ctime s> <ns>`.
    /// Plain text rather than JSON: every use of a blob reads its stamp, and decoding JSON cost
    /// about a millisecond per blob where splitting a line costs microseconds.
    var text: String { ([Self.magic, digest.description] + fields.map(String.init)).joined(separator: " ") + "\n" }
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
        try? writeAtomically(Array(BlobStamp(digest: digest, status: status).text.utf8), to: stampsDirectory.appending(digest.hex), durable: false)
    }

    /// Whether the blob's file is the one its stamp recorded (false without a readable stamp).
    /// The stamp the blob's current identity would have is rendered and compared byte for byte
    /// with the recorded one: no parsing, and anything but an exact, current-version line is a
    /// mismatch (a re-hash), never a match.
    func stampMatches(_ digest: SHA256Digest, _ status: Stat) -> Bool {
        let expected = Array(BlobStamp(digest: digest, status: status).text.utf8)
        guard let bytes = try? readIfPresent(stampsDirectory.appending(digest.hex), limit: expected.count + 1) else { return false }
        return bytes == expected
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
