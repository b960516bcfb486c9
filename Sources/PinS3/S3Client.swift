public import PinModel
public import PinTransport


#if canImport(Glibc)
import Glibc
#endif

/// Where and as whom: an endpoint and credentials, usually both from the environment.
public struct S3Configuration: Sendable {
    public let endpoint: S3Endpoint
    public let credentials: S3Credentials

    public init(endpoint: S3Endpoint, credentials: S3Credentials) {
        self.endpoint = endpoint
        self.credentials = credentials
    }

    /// `S3Endpoint(environment:)` and `S3Credentials.resolve(environment:)`.
    public init(environment: [String: String]) throws(S3Error) {
        endpoint = try S3Endpoint(environment: environment)
        credentials = try S3Credentials.resolve(environment: environment)
    }
}

/// What HEAD says about an object.
public struct S3ObjectInfo: Sendable, Equatable {
    public let size: Int64
    /// Without quotes; for a single-part upload, the MD5 of the bytes in hex.
    public let etag: String?
}

/// A part of a multipart upload, as sent or as ListParts reports it.
public struct S3Part: Sendable, Equatable {
    public let number: Int
    /// Without quotes; the MD5 of the part's bytes in hex on every S3 we know.
    public let etag: String
    public let size: Int64
    /// Base64, when the server reports it.
    public let checksumSHA256: String?

    public init(number: Int, etag: String, size: Int64, checksumSHA256: String? = nil) {
        self.number = number
        self.etag = etag
        self.size = size
        self.checksumSHA256 = checksumSHA256
    }
}

/// An unfinished multipart upload.
public struct S3MultipartUpload: Sendable, Equatable {
    public let key: String
    public let uploadID: String
    /// As the server wrote it (ISO 8601).
    public let initiated: String
}

/// The S3 API on one bucket, over one `HTTPClient` (so one thread at a time; give each worker
/// its own client). Every request is signed with SigV4; transient failures (SlowDown,
/// InternalError, 5xx, network) are retried under the transport policy's `RetryPolicy`, which
/// is safe because every operation here is idempotent (a part or object sent twice with the
/// same bytes is the same part or object).
public final class S3Client {
    public let bucket: String
    public let configuration: S3Configuration
    let http: HTTPClient
    let signer: SigV4
    let clock: @Sendable () -> Int64

    /// `policy` is the caller's transport policy; the client adds the endpoint's origin to its
    /// plain-http origins when the endpoint is `http://` (the user configured it), and drops any
    /// bearer token (the Hub's token never goes to a bucket).
    public init(
        bucket: String, configuration: S3Configuration, policy: TransportPolicy,
        cancellation: CancellationFlag = CancellationFlag(), transport: any HTTPTransport = CurlTransport(),
        clock: @escaping @Sendable () -> Int64 = S3Client.now
    ) throws(S3Error) {
        if let reason = S3Location.bucketProblem(bucket) { throw .badLocation("s3://" + bucket, reason: reason) }
        self.bucket = bucket
        self.configuration = configuration
        var policy = policy
        policy.bearerToken = nil
        policy.tokenOrigin = nil
        if let origin = configuration.endpoint.plainHTTPOrigin(bucket: bucket) { policy.plainHTTPOrigins.insert(origin) }
        do {
            http = try HTTPClient(policy: policy, cancellation: cancellation, transport: transport)
        } catch {
            throw .transport(bucket: bucket, operation: "connect", error)
        }
        signer = SigV4(credentials: configuration.credentials, region: configuration.endpoint.region)
        self.clock = clock
    }

    public var cancellation: CancellationFlag { http.cancellation }

    /// Unix seconds now: the clock requests are signed with.
    @Sendable public static func now() -> Int64 { Int64(time(nil)) }

    // MARK: Objects

    /// The object's size and ETag, or nil when there is none (404).
    public func headObject(key: String) throws(S3Error) -> S3ObjectInfo? {
        do throws(S3Error) {
            let (head, _) = try request(.head, "HeadObject", key: key)
            guard let size = head.contentLength else {
                throw S3Error.malformedResponse(bucket: bucket, operation: "HeadObject", reason: "no Content-Length")
            }
            return S3ObjectInfo(size: size, etag: head.header("etag").map(Self.unquote))
        } catch {
            if case .noSuchKey = error { return nil }
            throw error
        }
    }

    /// Uploads `body` (a file region, streamed) as `key` in one request. The server checks the
    /// bytes twice: against the signed payload hash (`sha256`, hex) and against
    /// `x-amz-checksum-sha256`; a mismatch is `checksumRefused`. Returns the ETag.
    @discardableResult
    public func putObject(key: String, body: HTTPBody, sha256: [UInt8], md5: [UInt8]? = nil) throws(S3Error) -> String {
        var headers: [(name: String, value: String)] = [("x-amz-checksum-sha256", Base64.encode(sha256))]
        if let md5 { headers.append(("content-md5", Base64.encode(md5))) }
        let (head, _) = try request(.put, "PutObject", key: key, headers: headers, body: body, payloadHash: SigV4.hex(sha256))
        return head.header("etag").map(Self.unquote) ?? ""
    }

    /// Streams the object (or `range` of it) to `onBody`, after `onResponse` saw the head.
    @discardableResult
    public func getObject(
        key: String, range: ByteRange? = nil,
        onResponse: (HTTPResponseHead) throws -> Void = { _ in },
        onBody: (UnsafeRawBufferPointer) throws -> Void
    ) throws(S3Error) -> HTTPResponseHead {
        let url = configuration.endpoint.objectURL(bucket: bucket, key: key)
        var lines = signer.signedHeaders(method: "GET", url: url, payloadHash: SigV4.emptyPayloadHash, time: clock())
        let authorization = lines.removeLast()
        do {
            // Authorization goes as the credential: only to the bucket's own origin, never to a
            // host a redirect names. (Not retried here: a caller streaming bytes resumes by range.)
            return try http.get(url, range: range, headers: lines, credential: authorization, onResponse: onResponse, onBody: onBody)
        } catch {
            throw map(error, operation: "GetObject", key: key)
        }
    }

    /// A URL anyone may GET `key` with, without any header, for `expires` seconds (≤ 7 days).
    public func presignedGetURL(key: String, expires: Int) -> HTTPURL {
        signer.presign(url: configuration.endpoint.objectURL(bucket: bucket, key: key), expires: expires, time: clock())
    }

    public func deleteObject(key: String) throws(S3Error) {
        _ = try request(.delete, "DeleteObject", key: key)
    }

    /// Keys (and sizes) under `prefix`, all pages.
    public func listObjects(prefix: String) throws(S3Error) -> [(key: String, size: Int64)] {
        var found: [(key: String, size: Int64)] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let document = try xmlRequest(.get, "ListObjectsV2", key: "", query: query, root: "ListBucketResult")
            for item in document.children("Contents") {
                guard let key = item.value("Key"), let size = item.value("Size").flatMap({ Int64($0) }) else {
                    throw S3Error.malformedResponse(bucket: bucket, operation: "ListObjectsV2", reason: "a Contents entry without Key or Size")
                }
                found.append((key, size))
            }
            let truncated = document.value("IsTruncated") == "true"
            let next = truncated ? document.value("NextContinuationToken") : nil
            guard !truncated || (next != nil && next != token) else {
                throw S3Error.malformedResponse(bucket: bucket, operation: "ListObjectsV2", reason: "a truncated page without a new NextContinuationToken")
            }
            token = next
        } while token != nil
        return found
    }

    // MARK: Multipart uploads

    /// Starts a multipart upload of `key`; returns its upload id.
    public func createMultipartUpload(key: String) throws(S3Error) -> String {
        let document = try xmlRequest(.post, "CreateMultipartUpload", key: key, query: [("uploads", "")], root: "InitiateMultipartUploadResult")
        guard let id = document.value("UploadId"), !id.isEmpty else {
            throw .malformedResponse(bucket: bucket, operation: "CreateMultipartUpload", reason: "no UploadId")
        }
        return id
    }

    /// Sends part `number` (1…10000). The server checks its bytes against the signed payload
    /// hash and against `Content-MD5`; returns the part as the server recorded it.
    public func uploadPart(key: String, uploadID: String, number: Int, body: HTTPBody, sha256: [UInt8], md5: [UInt8]) throws(S3Error) -> S3Part {
        let query = [("partNumber", String(number)), ("uploadId", uploadID)]
        let (head, _) = try request(.put, "UploadPart", key: key, query: query, headers: [("content-md5", Base64.encode(md5))],
                                    body: body, payloadHash: SigV4.hex(sha256))
        guard let etag = head.header("etag").map(Self.unquote), !etag.isEmpty else {
            throw .malformedResponse(bucket: bucket, operation: "UploadPart", reason: "no ETag for part \(number)")
        }
        return S3Part(number: number, etag: etag, size: body.count, checksumSHA256: Base64.encode(sha256))
    }

    /// The parts the server holds for an unfinished upload, in order (all pages).
    public func listParts(key: String, uploadID: String) throws(S3Error) -> [S3Part] {
        var parts: [S3Part] = []
        var marker: String?
        repeat {
            var query = [("uploadId", uploadID)]
            if let marker { query.append(("part-number-marker", marker)) }
            let document = try xmlRequest(.get, "ListParts", key: key, query: query, root: "ListPartsResult")
            for item in document.children("Part") {
                guard let number = item.value("PartNumber").flatMap({ Int($0) }), (1...10_000).contains(number),
                      let etag = item.value("ETag").map(Self.unquote),
                      let size = item.value("Size").flatMap({ Int64($0) }), size >= 0 else {
                    throw S3Error.malformedResponse(bucket: bucket, operation: "ListParts", reason: "a Part without a valid PartNumber, ETag or Size")
                }
                parts.append(S3Part(number: number, etag: etag, size: size, checksumSHA256: item.value("ChecksumSHA256")))
            }
            let truncated = document.value("IsTruncated") == "true"
            let next = truncated ? document.value("NextPartNumberMarker") : nil
            // A truncated page without a new marker would end the listing early or loop forever.
            guard !truncated || (next != nil && next != marker) else {
                throw S3Error.malformedResponse(bucket: bucket, operation: "ListParts", reason: "a truncated page without a new NextPartNumberMarker")
            }
            marker = next
        } while marker != nil
        return parts.sorted { $0.number < $1.number }
    }

    /// Assembles the upload from `parts` (in order). A 200 answer whose body is an Error (S3
    /// sends those when assembling fails after it started answering) is an error here.
    @discardableResult
    public func completeMultipartUpload(key: String, uploadID: String, parts: [S3Part]) throws(S3Error) -> String {
        var body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            body += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\"\(part.etag)\"</ETag></Part>"
        }
        body += "</CompleteMultipartUpload>"
        let document = try xmlRequest(.post, "CompleteMultipartUpload", key: key, query: [("uploadId", uploadID)],
                                      body: Array(body.utf8), root: "CompleteMultipartUploadResult")
        return document.value("ETag").map(Self.unquote) ?? ""
    }

    public func abortMultipartUpload(key: String, uploadID: String) throws(S3Error) {
        _ = try request(.delete, "AbortMultipartUpload", key: key, query: [("uploadId", uploadID)])
    }

    /// Unfinished uploads of exactly `key` (the listing is by prefix; others are dropped).
    public func listMultipartUploads(key: String) throws(S3Error) -> [S3MultipartUpload] {
        var uploads: [S3MultipartUpload] = []
        var markers: (String, String)?
        repeat {
            var query = [("uploads", ""), ("prefix", key)]
            if let markers { query += [("key-marker", markers.0), ("upload-id-marker", markers.1)] }
            let document = try xmlRequest(.get, "ListMultipartUploads", key: "", query: query, root: "ListMultipartUploadsResult")
            for item in document.children("Upload") {
                guard let itemKey = item.value("Key"), let id = item.value("UploadId"), !id.isEmpty else {
                    throw S3Error.malformedResponse(bucket: bucket, operation: "ListMultipartUploads", reason: "an Upload without Key or UploadId")
                }
                if itemKey == key { uploads.append(S3MultipartUpload(key: itemKey, uploadID: id, initiated: item.value("Initiated") ?? "")) }
            }
            let truncated = document.value("IsTruncated") == "true"
            let next = truncated
                ? document.value("NextKeyMarker").flatMap { k in document.value("NextUploadIdMarker").map { (k, $0) } } : nil
            guard !truncated || (next != nil && next! != markers ?? ("", "")) else {
                throw S3Error.malformedResponse(bucket: bucket, operation: "ListMultipartUploads", reason: "a truncated page without new NextKeyMarker and NextUploadIdMarker")
            }
            markers = next
        } while markers != nil
        return uploads
    }

    // MARK: Requests

    /// A request whose 2xx answer is an XML document with root `root`.
    private func xmlRequest(
        _ method: HTTPMethod, _ operation: String, key: String, query: [(String, String)], body: [UInt8]? = nil, root: String
    ) throws(S3Error) -> S3XMLElement {
        let payload = body ?? []
        let (_, bytes) = try request(method, operation, key: key, query: query, body: body.map { .bytes($0) },
                                     payloadHash: SigV4.hex(Digests.sha256(payload)))
        let document: S3XMLElement
        do {
            document = try S3XML.parse(bytes)
        } catch {
            throw .malformedResponse(bucket: bucket, operation: operation, reason: error.description)
        }
        if document.name == "Error" { throw errorDocument(document, status: 200, operation: operation, key: key) }
        guard document.name == root else {
            throw .malformedResponse(bucket: bucket, operation: operation, reason: "the document is <\(document.name)>, not <\(root)>")
        }
        return document
    }

    /// One signed request, retried while the failure is transient.
    private func request(
        _ method: HTTPMethod, _ operation: String, key: String, query: [(String, String)] = [],
        headers: [(name: String, value: String)] = [], body: HTTPBody? = nil, payloadHash: String = SigV4.emptyPayloadHash
    ) throws(S3Error) -> (HTTPResponseHead, [UInt8]) {
        let url = configuration.endpoint.objectURL(bucket: bucket, key: key, query: SigV4.encodeQuery(query))
        var attempt = 0
        while true {
            attempt += 1
            // Signed afresh each attempt: a signature is valid for 15 minutes only.
            var lines = signer.signedHeaders(method: method.rawValue, url: url, headers: headers, payloadHash: payloadHash, time: clock())
            let authorization = lines.removeLast()
            lines += headers.map { "\($0.name): \($0.value)" }
            do {
                return try http.send(method, url, headers: lines, credential: authorization, body: body)
            } catch {
                let mapped = map(error, operation: operation, key: key)
                guard mapped.isTransient, attempt < http.policy.retry.maxAttempts else { throw mapped }
                do {
                    try http.pause(http.policy.retry.delay(afterAttempt: attempt, retryAfter: error.retryAfter))
                } catch {
                    throw .cancelled
                }
            }
        }
    }

    /// A transport failure in S3's terms: the error document's code when there is one.
    func map(_ error: TransportError, operation: String, key: String) -> S3Error {
        switch error {
        case .cancelled:
            return .cancelled
        case .http(_, let status, _, let body):
            if let document = try? S3XML.parse(Array(body.utf8)), document.name == "Error" {
                return errorDocument(document, status: status, operation: operation, key: key)
            }
            // HEAD answers have no body: the status is all there is.
            let code = switch status {
            case 404: key.isEmpty ? "NoSuchBucket" : "NoSuchKey"
            case 403: "AccessDenied"
            case 400: "BadRequest"
            default: ""
            }
            return classify(code: code, message: "", status: status, operation: operation, key: key)
        default:
            return .transport(bucket: bucket, operation: operation, error)
        }
    }

    private func errorDocument(_ document: S3XMLElement, status: Int, operation: String, key: String) -> S3Error {
        classify(code: document.value("Code") ?? "", message: document.value("Message") ?? "", status: status, operation: operation, key: key)
    }

    private func classify(code: String, message: String, status: Int, operation: String, key: String) -> S3Error {
        // The server's message is shown as a cause: scrub anything that could echo a secret
        // (some servers quote the string to sign or the canonical request).
        let message = Self.scrub(message, secrets: [configuration.credentials.secretAccessKey, configuration.credentials.sessionToken])
        switch code {
        case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
             "TokenRefreshRequired", "InvalidSecurity", "AuthorizationHeaderMalformed", "AccountProblem":
            return .credentialsRefused(bucket: bucket, accessKeyID: configuration.credentials.accessKeyID, code: code, message: message)
        case "NoSuchBucket":
            return .noSuchBucket(bucket: bucket)
        case "NoSuchKey":
            return .noSuchKey(bucket: bucket, key: key)
        case "BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum":
            return .checksumRefused(bucket: bucket, key: key, code: code, message: message)
        default:
            let transient = ["SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"].contains(code)
                || RetryPolicy.isRetryable(status: status)
            return .service(bucket: bucket, key: key.isEmpty ? nil : key, operation: operation, status: status, code: code, message: message, transient: transient)
        }
    }

    static func scrub(_ text: String, secrets: [String?]) -> String {
        var text = text
        for case let secret? in secrets where !secret.isEmpty { text = text.replacing(secret, with: "<redacted>") }
        return text
    }

    static func unquote(_ etag: String) -> String {
        var etag = etag.trimmingWhitespace
        if etag.hasPrefix("W/") { etag.removeFirst(2) }
        if etag.hasPrefix("\""), etag.hasSuffix("\""), etag.count >= 2 { etag = String(etag.dropFirst().dropLast()) }
        return etag
    }
}
