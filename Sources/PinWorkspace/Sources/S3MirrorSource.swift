public import PinModel
public import PinTransport

/// A bucket in the mirror layout (`blobs/sha256/<hex>` under its prefix), as
/// `modelpin mirror s3://…` writes it. Each blob is handed to the download engine as a
/// presigned GET URL, so the ordinary fetch path reads it (ranged parts, resume, hashing on the
/// fly) and no credential is ever sent: the signature is in the URL, valid for `expiry` only,
/// and a redirect cannot carry anything more. What it serves is checked against the lock like
/// any other source's bytes; a missing object (403/404) or other bytes fall through.
public struct S3MirrorSource: BlobSource {
    public let bucket: any S3Bucket
    /// How long each presigned URL stays valid: long enough for a slow multi-GiB download
    /// (a retry after the expiry fails with 403 and falls through), short enough to be useless
    /// when it shows up in someone's log later.
    public var expiry = 6 * 3600

    public init(bucket: any S3Bucket) {
        self.bucket = bucket
    }

    public var description: String { bucket.description }

    public func location(of file: SnapshotFile, repo: String, commit: CommitID) -> BlobLocation? {
        guard let digest = file.sha256 else { return nil }
        // Presigning is local computation (no request); it fails only for a key the signer
        // cannot express, which a hex digest never is. nil: this source cannot serve it.
        guard let url = try? bucket.presignedGET(MirrorLayout.blobKey(digest), expiry: expiry) else { return nil }
        return .remote(url, check: nil)
    }

    /// A bucket endpoint given as http:// (a loopback test server, a cluster-internal Ceph)
    /// was chosen explicitly, like an http:// mirror.
    public func configure(_ policy: inout TransportPolicy) {
        bucket.configure(&policy)
    }
}
