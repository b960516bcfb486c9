public import PinModel
public import PinTransport
public import SystemPackage

/// What the S3 mirror, its blob source and serve's redirects need of a bucket, with keys
/// relative to the mirror's prefix. `PinS3Bucket` implements it with PinS3's client and
/// uploader; the workspace code above it speaks only this, so it reads as the mirror layout
/// and not as S3 calls.
public protocol S3Bucket: RedirectableMirror {
    /// Uploads `size` bytes of `file` (whose SHA-256 is `sha256`) to `key`: one PUT, or a
    /// multipart upload in bounded parallel parts that resumes an unfinished one, each request
    /// carrying a checksum the server checks.
    func upload(file: FilePath, size: Int64, sha256: SHA256Digest, to key: String) throws -> S3UploadReport
    /// A small object (the lock, its signature) in one checksummed PUT.
    func put(_ bytes: [UInt8], to key: String) throws
    /// A GET of `key` signed in its query string, valid `expiry` seconds: the URL alone is the
    /// permission, so no credential header is sent with it (local computation, no request).
    func presignedGET(_ key: String, expiry: Int) throws -> HTTPURL
    /// What the transport must allow to reach the endpoint (plain http for an http:// one).
    func configure(_ policy: inout TransportPolicy)
}

extension S3Bucket {
    public func clientURL(of key: String, expiry: Int) throws -> HTTPURL { try presignedGET(key, expiry: expiry) }
}

/// What one `upload` sent.
public struct S3UploadReport: Sendable, Equatable {
    /// Bytes sent now.
    public var bytes: Int64
    /// Parts an unfinished upload already held (not sent again).
    public var resumedParts: Int

    public init(bytes: Int64, resumedParts: Int) {
        self.bytes = bytes
        self.resumedParts = resumedParts
    }
}

