public import PinModel

/// A file of the model as the caller knows it (for modelpin: a file of a stored snapshot).
public struct ModelFile: Sendable, Hashable {
    /// POSIX path relative to the model root, as the statement names it.
    public var path: String
    public var size: Int64
    /// The file's SHA-256 when the caller already proved it (the store verified every blob on
    /// admission): a `files`/`sha256` statement is then checked without reading the file.
    public var sha256: SHA256Digest?

    public init(path: String, size: Int64, sha256: SHA256Digest? = nil) {
        self.path = path
        self.size = size
        self.sha256 = sha256
    }
}

/// Reads byte ranges of model files for hashing: the caller's access to its bytes (for modelpin,
/// the store's blobs), so this module needs no knowledge of where they live.
public protocol ModelFileReader {
    /// Feeds the bytes `range` of `file` to `consume`, in order, in chunks of any size. Fewer
    /// bytes than the range asks for is an error the reader reports.
    func read(_ file: ModelFile, range: Range<Int64>, into consume: (UnsafeRawBufferPointer) -> Void) throws
}

/// What `checkResources` checked.
public struct ResourceCheck: Sendable, Equatable {
    /// Resources whose digests matched.
    public var verified: Int
    /// Of those, how many were read and hashed (the rest matched a digest the caller knew).
    public var hashed: Int
    /// Model files left out because an ignore path (the statement's, the git paths or the
    /// signature file itself) covers them.
    public var ignored: [String]
}
