public import PinModel

/// Where `serve --blob-redirect` sends a client for an LFS file's bytes instead of sending them
/// itself: a short-lived URL (a presigned GET of the bucket's `blobs/sha256/<hex>`), or nil
/// when that store cannot serve this blob now (then serve sends the bytes as usual).
///
/// Called off any event loop, after the server has found the blob in its own store and checked
/// it: only what the server would serve is ever redirected.
public protocol BlobRedirect: Sendable {
    /// What the operator named (`s3://bucket/prefix`), for logs; never a secret.
    var description: String { get }
    /// A URL that serves exactly `size` bytes of `digest`, or nil to serve them directly.
    func location(of digest: SHA256Digest, size: Int64) async -> String?
}
