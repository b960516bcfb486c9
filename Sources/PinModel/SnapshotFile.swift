/// One file of a model snapshot: what every source resolves a file to and what the download
/// engine, the store and every output work on. A path and the facts that pin its bytes.
public struct SnapshotFile: Sendable, Hashable {
    /// Repo-relative, `/`-separated; checked by `PathSafety` wherever it is read.
    public let path: String
    public let size: Int64
    /// The git blob id the repository records (for an LFS file, that of its pointer).
    public let gitBlobID: GitBlobID
    /// The content's SHA-256: listed by the Hub for LFS files, known for every file once it is
    /// locked or stored; nil for a small git file not hashed yet.
    public let sha256: SHA256Digest?
    /// Stored in git LFS (then `gitBlobID` names the pointer, not these bytes).
    public let isLFS: Bool

    public init(path: String, size: Int64, gitBlobID: GitBlobID, sha256: SHA256Digest?, isLFS: Bool) {
        self.path = path
        self.size = size
        self.gitBlobID = gitBlobID
        self.sha256 = sha256
        self.isLFS = isLFS
    }

    /// The git blob id when it names these bytes (plain git files), to be checked with them.
    public var contentGitBlobID: GitBlobID? { isLFS ? nil : gitBlobID }

    /// What identifies the bytes before they are fetched: the SHA-256 when known, else the git
    /// blob id and size (the store's partial key makes the same distinction). Two files with
    /// the same key are fetched once.
    public var contentKey: String {
        sha256.map { "sha256:" + $0.hex } ?? "git:\(gitBlobID.hex):\(size)"
    }
}
