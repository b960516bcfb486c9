import PinModel
import PinDigest
import PinS3
import PinTransport
import SystemPackage

/// `S3Bucket` on PinS3: a client per call (HTTPClient is one per thread, and the mirror's
/// calls are few next to the bytes), the uploader for blobs (single PUT signed with the blob's
/// SHA-256, or resumable multipart with Content-MD5 per part), presigned GETs for readers.
struct PinS3Bucket: S3Bucket {
    let location: S3Location
    let configuration: S3Configuration
    let policy: TransportPolicy
    let options: S3UploadOptions

    var description: String { location.description }

    func size(of key: String) throws -> Int64? {
        try client().headObject(key: location.key(key))?.size
    }

    func upload(file: FilePath, size: Int64, sha256: SHA256Digest, to key: String) throws -> S3UploadReport {
        let uploader = S3Uploader(bucket: location.bucket, configuration: configuration, policy: policy, options: options)
        let result = try uploader.upload(file: file.string, size: size, sha256: sha256, key: location.key(key))
        return S3UploadReport(bytes: result.bytesSent, resumedParts: result.partsReused)
    }

    func put(_ bytes: [UInt8], to key: String) throws {
        let digest = SHA256.hash(bytes)
        try client().putObject(key: location.key(key), body: .bytes(bytes), sha256: Self.raw(digest))
    }

    func presignedGET(_ key: String, expiry: Int) throws -> HTTPURL {
        try client().presignedGetURL(key: location.key(key), expires: expiry)
    }

    /// The presigned URLs' origin, when the endpoint was given as http:// (a loopback or
    /// cluster-internal store): named by the user, as an http:// mirror is.
    func configure(_ policy: inout TransportPolicy) {
        guard let url = try? presignedGET("blobs", expiry: 60), !url.isSecure else { return }
        policy.plainHTTPOrigins.insert(url.origin)
    }

    private func client() throws -> S3Client {
        try S3Client(bucket: location.bucket, configuration: configuration, policy: policy)
    }

    static func raw(_ digest: SHA256Digest) -> [UInt8] {
        let hex = Array(digest.hex.utf8)
        return stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }
}

extension Workspace {
    /// `s3://BUCKET/PREFIX` with credentials, endpoint and region from the environment
    /// (AWS_* variables, ~/.aws/credentials), and this workspace's transport settings.
    func bucket(_ text: String) throws -> any S3Bucket {
        let location = try S3Location(parsing: text)
        let s3 = try S3Configuration(environment: configuration.environment)
        var options = S3UploadOptions()
        options.parallelism = configuration.connections
        // `--part-size` as for pulls: blobs larger than a part go up in parts of that size.
        options.partSize = configuration.partSize
        options.multipartThreshold = configuration.partSize + 1
        return PinS3Bucket(location: location, configuration: s3, policy: try configuration.transportPolicy(), options: options)
    }
}
