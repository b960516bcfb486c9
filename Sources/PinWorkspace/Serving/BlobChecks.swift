import PinDigest
import PinModel
import PinStore
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The check of a store blob before it is first served: its bytes re-hashed against the digest
/// the snapshot's manifest names, once per blob per process, and again whenever its file's
/// identity changes.
///
/// What was checked is remembered here, in this process's memory, and deliberately not taken
/// from the store's stamps (`stamps/HEX`, which `pull` trusts): a stamp is a plain file beside
/// the blobs, and anyone who can write the store can write a stamp that matches bytes they
/// swapped in. A pull lays out files for one user, who owns that store; a server hands the bytes
/// to every machine of a team, and with `--lock` the lock, not the store, names the digests, so
/// a forged stamp would be the one way to get other bytes served. The cost of not trusting it is
/// one read of each blob actually requested, per process start, at disk speed, and a client
/// waiting that long for the first byte of a very large file after a restart.
///
/// An identity is (device, inode, size, mtime, ctime): any write to the bytes moves ctime, which
/// no user can set back, and a swap by rename moves the inode. A changed identity is re-hashed;
/// a failure is remembered with its identity too, so a bad blob requested again is refused at
/// once rather than re-read each time (and re-checked if someone replaces it).
final class BlobChecks: Sendable {
    struct Identity: Hashable, Sendable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let modified: Int64
        let modifiedNanoseconds: Int64
        let changed: Int64
        let changedNanoseconds: Int64

        init(_ status: Stat) {
            device = UInt64(status.deviceID.rawValue)
            inode = UInt64(status.inode.rawValue)
            size = status.size
            modified = Int64(status.st_mtim.tv_sec)
            modifiedNanoseconds = Int64(status.st_mtim.tv_nsec)
            changed = Int64(status.st_ctim.tv_sec)
            changedNanoseconds = Int64(status.st_ctim.tv_nsec)
        }
    }

    /// What a check found: the blob's identity when it was read, and its git blob id when asked.
    enum Outcome: Sendable {
        case intact(Identity, gitBlobID: GitBlobID?)
        /// No blob under that name: removed (`store gc`), or not pulled through yet.
        case absent
        case failed(Identity?, reason: String)
    }

    let store: Store
    private let known = Mutex<[SHA256Digest: Outcome]>([:])
    private let flights = SingleFlight<FlightKey, Outcome>()

    private struct FlightKey: Hashable, Sendable {
        let digest: SHA256Digest
        let identity: Identity
        let gitBlobID: Bool
    }
    private let hashes = Atomic<Int>(0)
    /// Blobs hashed at once: one per core, since hashing is what a core does at disk speed.
    private let hashing = AsyncLimiter(width: DigestConcurrency.defaultWidth)

    /// `blobs/sha256/` as text: a request's path is built by concatenation, since appending
    /// to a `FilePath` (which re-checks the whole path each time) cost more than the rest of an
    /// open whose check is remembered.
    private let blobsDirectory: String

    init(store: Store) {
        self.store = store
        blobsDirectory = store.blobsDirectory.string
    }

    /// Where the blob of `digest` is (whether or not it is there).
    func path(of digest: SHA256Digest) -> String { blobsDirectory + "/" + digest.hex }

    /// How many times a blob was read and hashed in this process.
    var blobsHashed: Int { hashes.load(ordering: .relaxed) }

    /// The blob of `digest`, expected at `size` bytes, checked unless its identity is the one
    /// checked before. `gitBlobID`: also compute its git blob id (a file whose snapshot lacks
    /// one); returned only for intact bytes.
    func check(_ digest: SHA256Digest, size: Int64, gitBlobID: Bool = false) async -> Outcome {
        let path = path(of: digest)
        let status: Stat
        do {
            status = try path.withCString { try Stat($0, followTargetSymlink: false) }
        } catch .noSuchFileOrDirectory {
            return .absent
        } catch {
            return .failed(nil, reason: "cannot be inspected: \(error)")
        }
        let current = Identity(status)
        let remembered = known.withLock { $0[digest] }
        switch remembered {
        case .intact(current, let git)? where !gitBlobID || git != nil: return .intact(current, gitBlobID: git)
        case .failed(current?, let reason)?: return .failed(current, reason: reason)
        default: break
        }
        // Concurrent first opens of one blob read it once; the key includes the identity so that
        // a check of a since-replaced file is not handed to a caller who saw the new one.
        let outcome = await flights.run(FlightKey(digest: digest, identity: current, gitBlobID: gitBlobID)) { [self] in
            await hashing.run { await onOwnThread { [self] in hash(FilePath(path), digest: digest, size: size, gitBlobID: gitBlobID) } }
        }
        known.withLock { $0[digest] = outcome }
        return outcome
    }

    /// Reads the blob through one descriptor opened without following a link, and compares
    /// identity before and after: bytes that changed while they were read are not called intact.
    private func hash(_ path: FilePath, digest: SHA256Digest, size: Int64, gitBlobID wantGit: Bool) -> Outcome {
        hashes.add(1, ordering: .relaxed)
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(path, .readOnly, options: [.noFollow, .closeOnExec, .nonBlocking])
        } catch {
            // O_NOFOLLOW: a link planted in place of a blob fails with ELOOP, and is not followed.
            return .failed(nil, reason: (error as? Errno) == .tooManySymbolicLinkLevels ? "the blob is a symbolic link" : "cannot be opened: \(error)")
        }
        defer { try? descriptor.close() }
        guard let before = try? descriptor.stat() else { return .failed(nil, reason: "cannot be inspected") }
        let identity = Identity(before)
        guard before.type == .regular else { return .failed(identity, reason: "not a regular file") }
        guard before.size == size else { return .failed(identity, reason: "\(before.size) bytes, the snapshot says \(size)") }
        var sha = SHA256()
        var git = wantGit ? GitBlobHasher(size: size) : nil
        do {
            _ = try FileHasher.stream(descriptor, path: path) { chunk in
                sha.update(chunk)
                git?.update(chunk)
                return true
            }
        } catch {
            return .failed(identity, reason: "cannot be read: \(error.description)")
        }
        guard let after = try? descriptor.stat(), Identity(after) == identity else {
            return .failed(nil, reason: "changed while it was read")
        }
        let actual = sha.finalize()
        guard actual == digest else { return .failed(identity, reason: "its bytes hash to \(actual)") }
        return .intact(identity, gitBlobID: git?.finalize())
    }
}
