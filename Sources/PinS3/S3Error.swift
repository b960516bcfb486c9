public import PinModel
public import PinTransport

/// What can go wrong talking to an S3-compatible bucket.
///
/// Messages name the bucket, the key and the access key id where they help; never the secret
/// key nor the session token (S3ErrorTests greps every message for them).
public enum S3Error: ModelpinError {
    /// An `s3://` address that is not one (the text, and why).
    case badLocation(String, reason: String)
    /// A setting (environment variable or config) with a value we cannot use.
    case badSetting(name: String, reason: String)
    /// No credentials: neither the environment nor the shared credentials file has any.
    case noCredentials(profile: String, file: String)
    /// The shared credentials file is malformed (file, 1-based line, why).
    case badCredentialsFile(file: String, line: Int, reason: String)
    /// The profile was asked for but is not in the file, or lacks a key.
    case incompleteProfile(profile: String, file: String, reason: String)
    /// The credentials were refused (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch…).
    case credentialsRefused(bucket: String, accessKeyID: String, code: String, message: String)
    case noSuchBucket(bucket: String)
    case noSuchKey(bucket: String, key: String)
    /// The server checked the bytes we sent against their checksum and refused them.
    case checksumRefused(bucket: String, key: String, code: String, message: String)
    /// The bucket answered with an S3 error document (or a bare status) we have no better words for.
    case service(bucket: String, key: String?, operation: String, status: Int, code: String, message: String, transient: Bool)
    /// An answer that should be an S3 XML document but is not (why).
    case malformedResponse(bucket: String, operation: String, reason: String)
    /// A multipart upload's state contradicts what we sent (a part's size or checksum).
    case uploadMismatch(bucket: String, key: String, reason: String)
    /// Reading the local file we upload failed.
    case localFile(path: String, reason: String)
    /// The transport failed (network, TLS, policy…) on the way to the bucket.
    case transport(bucket: String, operation: String, TransportError)
    case cancelled

    public var kind: FailureKind {
        switch self {
        case .badLocation, .badSetting: .usage
        case .noCredentials, .badCredentialsFile, .incompleteProfile, .localFile: .operational
        case .credentialsRefused, .noSuchBucket, .noSuchKey, .malformedResponse, .uploadMismatch: .operational
        case .checksumRefused: .refused
        case .service(_, _, _, _, _, _, let transient): transient ? .unavailable : .operational
        case .transport(_, _, let error): error.kind
        case .cancelled: .operational
        }
    }

    /// Worth another attempt: SlowDown, InternalError, 5xx, a network hiccup.
    public var isTransient: Bool {
        switch self {
        case .service(_, _, _, _, _, _, let transient): transient
        case .transport(_, _, let error): error.isTransient
        default: false
        }
    }

    public var description: String {
        switch self {
        case .badLocation(let text, _): "`\(text)` is not a usable s3://BUCKET/PREFIX address"
        case .badSetting(let name, _): "the setting \(name) has a value modelpin cannot use"
        case .noCredentials(let profile, let file): "no S3 credentials: AWS_ACCESS_KEY_ID is not set and \(file) has no profile `\(profile)`"
        case .badCredentialsFile(let file, let line, _): "cannot read the credentials file \(file) (line \(line))"
        case .incompleteProfile(let profile, let file, _): "the profile `\(profile)` in \(file) is not usable"
        case .credentialsRefused(let bucket, let keyID, let code, _):
            "credentials for key id \(keyID) were refused by bucket \(bucket) (\(code))"
        case .noSuchBucket(let bucket): "the bucket \(bucket) does not exist"
        case .noSuchKey(let bucket, let key): "the bucket \(bucket) has no object \(key)"
        case .checksumRefused(let bucket, let key, let code, _):
            "the bucket \(bucket) refused the bytes sent for \(key): their checksum did not match (\(code))"
        case .service(let bucket, let key, let operation, let status, let code, _, _):
            "\(operation) on bucket \(bucket)\(key.map { " for \($0)" } ?? "") failed: HTTP \(status)\(code.isEmpty ? "" : " \(code)")"
        case .malformedResponse(let bucket, let operation, _): "the answer of bucket \(bucket) to \(operation) is not a valid S3 document"
        case .uploadMismatch(let bucket, let key, _): "the unfinished upload of \(key) in bucket \(bucket) does not match the file"
        case .localFile(let path, _): "cannot read \(path) to upload it"
        case .transport(let bucket, let operation, let error): "\(operation) on bucket \(bucket): \(error)"
        case .cancelled: "cancelled"
        }
    }

    public var causes: [String] {
        switch self {
        case .badLocation(_, let reason), .badSetting(_, let reason), .badCredentialsFile(_, _, let reason),
             .incompleteProfile(_, _, let reason), .malformedResponse(_, _, let reason),
             .uploadMismatch(_, _, let reason), .localFile(_, let reason):
            [reason]
        case .credentialsRefused(_, _, _, let message), .checksumRefused(_, _, _, let message),
             .service(_, _, _, _, _, let message, _):
            message.isEmpty ? [] : [message]
        case .transport(_, _, let error): error.causes
        default: []
        }
    }

    public var hint: String? {
        switch self {
        case .noCredentials:
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add the profile to the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE)"
        case .credentialsRefused:
            "check that the key id and secret belong together, that the key may use this bucket, and AWS_REGION"
        case .noSuchBucket:
            "check the bucket name, the endpoint (AWS_ENDPOINT_URL_S3) and MODELPIN_S3_ADDRESSING"
        case .uploadMismatch:
            "the next run starts that upload afresh"
        case .transport(_, _, let error): error.hint
        case .service(_, _, _, _, _, _, true): "the bucket is busy or failing; rerunning resumes where this stopped"
        default: nil
        }
    }
}
