public import Foundation
public import PinModel

/// What `modelpin serve` asks of the store. Every method may block for long (hashing, pull-through):
/// call it off any event loop; implementations are thread-safe.
public protocol ServeCatalog: Sendable {
    /// The snapshot `revision` (a 40-hex commit, or a branch/tag a snapshot was resolved from) of
    /// `repo` names. Throws .repoNotFound, .revisionNotFound, .gated, .unavailable.
    /// (`StoreServeCatalog` may also throw .integrity, when a file recorded without a git blob
    /// id has its id computed from a blob that fails its check: the listing cannot be given.)
    func snapshot(_ repo: RepoID, revision: String) async throws(ServeError) -> ServedSnapshot
    /// The bytes of `path` in `snapshot`, checked before they are first served in this process
    /// (or trusted because the blob's identity is unchanged since the last check).
    /// Throws .entryNotFound, .integrity (never serve), .unavailable.
    func open(_ path: String, in snapshot: ServedSnapshot) async throws(ServeError) -> ServedBlob
}

/// One commit of one repo as the server hands it out: the file listing the Hub's tree and
/// model-info endpoints describe.
public struct ServedSnapshot: Sendable, Equatable {
    public let repo: RepoID
    public let commit: CommitID
    /// Sorted by path (byte order).
    public let files: [ServedFile]
    /// When the commit was recorded, if known (the Hub's `lastModified`).
    public let lastModified: Date?

    /// Sorts `files` by path, in byte order, so every listing of one snapshot is the same.
    public init(repo: RepoID, commit: CommitID, files: [ServedFile], lastModified: Date?) {
        self.repo = repo
        self.commit = commit
        self.files = files.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        self.lastModified = lastModified
    }

    /// The file at exactly `path` (no normalisation: a path the snapshot does not list is nil).
    public func file(_ path: String) -> ServedFile? {
        // Binary search over the byte-ordered listing: a snapshot may hold thousands of files.
        var low = 0, high = files.count
        while low < high {
            let middle = (low + high) / 2
            let candidate = files[middle].path
            if candidate == path { return files[middle] }
            if candidate.utf8.lexicographicallyPrecedes(path.utf8) { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}

/// One file of a served snapshot.
public struct ServedFile: Sendable, Equatable {
    public let path: String
    public let size: Int64
    public let sha256: SHA256Digest
    public let isLFS: Bool
    /// The git blob id the Hub lists as `oid`: of the bytes for a regular file, of the LFS pointer
    /// text for an LFS file (computed, since the pointer is deterministic).
    public let gitOID: String

    public init(path: String, size: Int64, sha256: SHA256Digest, isLFS: Bool, gitOID: String) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.isLFS = isLFS
        self.gitOID = gitOID
    }

    /// What the Hub sends as ETag for `resolve`: the git blob id, or the sha256 hex for LFS files.
    public var etag: String { isLFS ? sha256.hex : gitOID }
}

/// A verified blob to serve: serve-http opens `path` with O_NOFOLLOW and serves it only if
/// fstat gives this device, inode and size (a blob swapped after the check is never served).
public struct ServedBlob: Sendable, Equatable {
    public let path: String
    public let size: Int64
    public let device: UInt64
    public let inode: UInt64

    public init(path: String, size: Int64, device: UInt64, inode: UInt64) {
        self.path = path
        self.size = size
        self.device = device
        self.inode = inode
    }
}

/// Why the catalog will not hand out a snapshot or a file. serve-http maps each case to a status
/// (404 for the not-found cases, 403 for `gated`, 5xx for `integrity` and `unavailable`).
public enum ServeError: Error, Sendable, Equatable {
    case repoNotFound(RepoID)
    case revisionNotFound(RepoID, revision: String)
    case entryNotFound(RepoID, path: String)
    /// The repo exists upstream but the server may not hand it out (names gate, policy, signers, scan).
    case gated(RepoID, reason: String)
    /// A blob failed its check: answer 5xx, log, count; never serve it.
    case integrity(RepoID, path: String, reason: String)
    /// Pull-through could not reach or use the upstream.
    case unavailable(RepoID, reason: String)
}
