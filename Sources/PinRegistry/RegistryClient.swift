import Foundation
import PinDigest
public import PinModel
public import PinTransport

/// One repository on one registry, spoken to by one thread (it owns an `HTTPClient`, whose
/// libcurl handle keeps the connection alive across requests).
///
/// Anonymous first; a 401 is answered per its `WWW-Authenticate` challenge (a Bearer token
/// from the realm for the scope asked, or Basic), and tokens are cached per scope. Credentials
/// only ever go to the registry's origin and its token realm, never to a redirect's host.
public final class RegistryClient {
    public let reference: RegistryReference
    public let options: RegistryOptions
    let credentials: RegistryCredentials?
    let http: HTTPClient
    let transport: any HTTPTransport
    /// `scheme://host[:port]/v2/`.
    let base: HTTPURL
    var authMode = AuthMode.anonymous
    /// Scopes the registry's challenge named, added to every token request.
    var challengeScopes: [String] = []
    var tokens: [String: CachedToken] = [:]
    var tokenClients: [Origin: HTTPClient] = [:]

    public init(
        reference: RegistryReference, options: RegistryOptions, credentials: RegistryCredentials?,
        cancellation: CancellationFlag = CancellationFlag(), transport: any HTTPTransport = CurlTransport()
    ) throws(RegistryError) {
        self.reference = reference
        self.options = options
        self.credentials = credentials
        self.transport = transport
        if options.plainHTTP, !reference.isLoopback, !options.allowInsecureRegistry {
            throw .plainHTTPRefused(registry: reference.authority)
        }
        guard let base = HTTPURL("\(options.plainHTTP ? "http" : "https")://\(reference.authority)/v2/") else {
            throw .badReference(reference.description, reason: "the host does not make a URL")
        }
        self.base = base
        var policy = options.policy
        if options.plainHTTP { policy.plainHTTPOrigins.insert(base.origin) }
        do {
            http = try HTTPClient(policy: policy, cancellation: cancellation, transport: transport)
        } catch {
            throw .transport(registry: reference.authority, repository: reference.repository, error)
        }
    }

    /// `/v2/<name>/<rest>`.
    func url(_ rest: String) -> HTTPURL {
        base.appending(path: HTTPURL.encodePath(reference.repository) + "/" + rest)
    }

    var registry: String { reference.authority }
    var repository: String { reference.repository }

    // MARK: Manifests

    /// GET `/v2/<name>/manifests/<reference>` (a tag or `sha256:…`), at most
    /// `options.manifestLimit` bytes. The digest is the sha256 of the bytes; when `reference`
    /// is a digest it must match, and a `Docker-Content-Digest` that disagrees is refused.
    public func manifest(_ reference: String, accept: [String] = RegistryMediaType.manifests) throws(RegistryError) -> FetchedManifest {
        let pinned = try checkManifestReference(reference)
        let what = "the manifest `\(reference)`"
        let limit = options.manifestLimit
        let (head, bytes): (HTTPResponseHead, [UInt8])
        do {
            (head, bytes) = try retrying { () throws(RegistryError) in
                try authorized(pullScopes, what: "pull") { credential throws(TransportError) in
                    var body: [UInt8] = []
                    let head = try http.get(url("manifests/" + reference), headers: ["Accept: " + accept.joined(separator: ", ")], credential: credential) { chunk in
                        guard body.count + chunk.count <= limit else { throw RegistryResponseTooLarge(limit: limit) }
                        body.append(contentsOf: chunk)
                    }
                    return (head, body)
                }
            }
        } catch {
            if Self.status(of: error) == 404 { throw .notFound(registry: registry, repository: repository, what: what) }
            if Self.isTooLarge(error) { throw .tooLarge(registry: registry, repository: repository, what: what, limit: limit) }
            throw error
        }
        let digest = SHA256.hash(bytes)
        if let pinned, pinned != digest {
            throw .digestMismatch(registry: registry, repository: repository, what: what, expected: pinned.description, actual: digest.description)
        }
        try checkContentDigest(head, digest, what: what)
        let mediaType = try manifestMediaType(head: head, bytes: bytes, what: what)
        return FetchedManifest(mediaType: mediaType, digest: digest, bytes: bytes)
    }

    /// PUT `/v2/<name>/manifests/<reference>` with `Content-Type: mediaType`. When the manifest
    /// has a `subject` and the registry does not answer `OCI-Subject`, the subject's
    /// `sha256-<hex>` fallback index tag is updated to list it.
    public func putManifest(_ bytes: [UInt8], mediaType: String, reference: String) throws(RegistryError) -> PutManifestOutcome {
        _ = try checkManifestReference(reference)
        let digest = SHA256.hash(bytes)
        let what = "the manifest `\(reference)`"
        if let pinned = try? SHA256Digest(parsing: reference), pinned != digest {
            throw .digestMismatch(registry: registry, repository: repository, what: what, expected: reference, actual: digest.description)
        }
        let head = try retrying { () throws(RegistryError) in
            try authorized(pushScopes, what: "push") { credential throws(TransportError) in
                try http.send(.put, url("manifests/" + reference), headers: ["Content-Type: " + mediaType], credential: credential, body: .bytes(bytes), limit: 64 << 10).0
            }
        }
        try checkContentDigest(head, digest, what: what)
        let subjectAccepted = head.header("oci-subject") != nil
        var fallbackUpdated = false
        if !subjectAccepted, let referrer = ManifestSummary.parse(bytes), let subject = referrer.subject {
            let descriptor = Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count),
                                        artifactType: referrer.artifactType, annotations: referrer.annotations)
            try addToFallbackIndex(subject: subject, descriptor)
            fallbackUpdated = true
        }
        return PutManifestOutcome(digest: digest, subjectAccepted: subjectAccepted, fallbackTagUpdated: fallbackUpdated)
    }

    /// A tag or a sha256 digest, nothing that could change the URL path. Returns the digest.
    func checkManifestReference(_ text: String) throws(RegistryError) -> SHA256Digest? {
        if text.hasPrefix("sha256:") {
            do { return try SHA256Digest(parsing: text) } catch {
                throw .badReference(text, reason: "`\(text)` is not a sha256 digest: \(error)")
            }
        }
        guard RegistryReference.isValidTag(text) else {
            throw .badReference(text, reason: "`\(text)` is neither a tag nor a sha256 digest")
        }
        return nil
    }

    /// A registry's `Docker-Content-Digest` must name exactly the bytes we hold.
    func checkContentDigest(_ head: HTTPResponseHead, _ digest: SHA256Digest, what: String) throws(RegistryError) {
        guard let header = head.header("docker-content-digest")?.trimmingCharacters(in: .whitespaces) else { return }
        guard header == digest.description else {
            throw .digestMismatch(registry: registry, repository: repository, what: what, expected: digest.description, actual: "\(header) (Docker-Content-Digest)")
        }
    }

    /// The manifest's media type: `Content-Type`, and the JSON's `mediaType` where it has one;
    /// the two must agree (one document must not be read as two different things).
    func manifestMediaType(head: HTTPResponseHead, bytes: [UInt8], what: String) throws(RegistryError) -> String {
        let header = head.header("content-type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
        let inner = ManifestSummary.parse(bytes)?.mediaType
        switch (header, inner) {
        case (let header?, let inner?) where header != inner && header != "application/json":
            throw .badResponse(registry: registry, repository: repository, what: what,
                               reason: "Content-Type `\(header)` disagrees with the manifest's mediaType `\(inner)`")
        case (_, let inner?): return inner
        case (let header?, nil) where header != "application/json": return header
        default:
            throw .badResponse(registry: registry, repository: repository, what: what, reason: "neither Content-Type nor the manifest names a media type")
        }
    }

    // MARK: Blobs

    /// HEAD `/v2/<name>/blobs/<digest>`: the size, or nil when the registry does not have it.
    public func blobSize(_ digest: SHA256Digest) throws(RegistryError) -> Int64? {
        try blobSize(digest, scopes: pullScopes)
    }

    func blobSize(_ digest: SHA256Digest, scopes: [String]) throws(RegistryError) -> Int64? {
        do throws(RegistryError) {
            let head = try retrying { () throws(RegistryError) in
                try authorized(scopes, what: "pull") { credential throws(TransportError) in
                    try http.send(.head, url("blobs/" + digest.description), credential: credential).0
                }
            }
            if (300..<400).contains(head.status) {
                // Storage behind a redirect: asked again there, without credentials.
                guard let target = head.header("location").flatMap({ resolve($0, against: head.url) }) else {
                    throw RegistryError.badResponse(registry: registry, repository: repository, what: "the blob \(digest)", reason: "a redirect without a usable Location")
                }
                do {
                    return try http.send(.head, target).0.contentLength
                } catch {
                    throw wrap(error)
                }
            }
            guard let length = head.contentLength else {
                throw RegistryError.badResponse(registry: registry, repository: repository, what: "the blob \(digest)", reason: "HEAD answered without a Content-Length")
            }
            return length
        } catch {
            if Self.status(of: error) == 404 { return nil }
            throw error
        }
    }

    /// GET a blob, streamed, following redirects (credentials never sent to another host).
    /// The caller hashes what `onBody` gets and checks it.
    public func getBlob(
        _ digest: SHA256Digest, range: ByteRange? = nil,
        onResponse: (HTTPResponseHead) throws -> Void = { _ in },
        onBody: (UnsafeRawBufferPointer) throws -> Void
    ) throws(RegistryError) {
        do {
            try authorized(pullScopes, what: "pull") { credential throws(TransportError) in
                _ = try http.get(url("blobs/" + digest.description), range: range, credential: credential, onResponse: onResponse, onBody: onBody)
            }
        } catch {
            if Self.status(of: error) == 404 { throw .notFound(registry: registry, repository: repository, what: "the blob \(digest)") }
            throw error
        }
    }

    /// The blob's URL and the `Authorization` line for the registry's origin (a pull token is
    /// fetched now if the registry wants one), for a download engine making its own GETs.
    /// Throws `.notFound` when the registry does not have the blob.
    public func blobLocation(_ digest: SHA256Digest) throws(RegistryError) -> BlobLocation {
        guard try blobSize(digest) != nil else {
            throw .notFound(registry: registry, repository: repository, what: "the blob \(digest)")
        }
        return BlobLocation(url: url("blobs/" + digest.description), credential: try currentCredential(pullScopes))
    }

    // MARK: Listing

    /// GET `/v2/<name>/tags/list`, following `Link` pagination.
    public func tags() throws(RegistryError) -> [String] {
        struct Page: Decodable { var tags: [String]? }
        var tags: [String] = []
        var next: HTTPURL? = url("tags/list")
        var pages = 0
        while let page = next {
            pages += 1
            guard pages <= 10_000 else { throw .badResponse(registry: registry, repository: repository, what: "the tag list", reason: "more than 10000 pages") }
            let (head, body) = try retrying { () throws(RegistryError) in
                try authorized(pullScopes, what: "pull") { credential throws(TransportError) in
                    try http.send(.get, page, credential: credential, limit: 16 << 20)
                }
            }
            guard let decoded = try? JSONDecoder().decode(Page.self, from: Data(body)) else {
                throw .badResponse(registry: registry, repository: repository, what: "the tag list", reason: "it is not JSON with `tags`")
            }
            tags += decoded.tags ?? []
            next = head.header("link").flatMap(Self.nextLink).flatMap { resolve($0, against: page) }
            if let target = next, target.origin != base.origin { next = nil }
        }
        return tags
    }

    /// `<…>; rel="next"` from a Link header.
    static func nextLink(_ header: String) -> String? {
        for link in header.split(separator: ",") {
            let parts = link.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = parts.first, target.hasPrefix("<"), target.hasSuffix(">"),
                  parts.dropFirst().contains(where: { $0.replacingOccurrences(of: " ", with: "") == "rel=\"next\"" || $0 == "rel=next" })
            else { continue }
            return String(target.dropFirst().dropLast())
        }
        return nil
    }

    // MARK: Helpers

    /// A Location (absolute, or relative to the registry as distribution's `relativeurls` sends).
    func resolve(_ location: String, against url: HTTPURL) -> HTTPURL? {
        if location.hasPrefix("/") {
            return HTTPURL("\(url.scheme)://\(url.host)\(url.port == (url.isSecure ? 443 : 80) ? "" : ":\(url.port)")\(location)")
        }
        return HTTPURL(location)
    }

    /// Runs `body`, again after a pause while it fails transiently (network, 5xx, 429), up to
    /// the policy's attempts. Only for requests that are safe to repeat.
    func retrying<T>(_ body: () throws(RegistryError) -> T) throws(RegistryError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try body()
            } catch {
                guard case .transport(_, _, let cause) = error, cause.isTransient, attempt < options.policy.retry.maxAttempts else { throw error }
                do {
                    try http.pause(options.policy.retry.delay(afterAttempt: attempt, retryAfter: cause.retryAfter))
                } catch {
                    throw wrap(error)
                }
            }
        }
    }

    static func status(of error: RegistryError) -> Int? {
        if case .transport(_, _, .http(_, let status, _, _)) = error { return status }
        return nil
    }

    static func isTooLarge(_ error: RegistryError) -> Bool {
        if case .transport(_, _, .bodyRejected(_, let cause)) = error { return cause is RegistryResponseTooLarge }
        return false
    }
}

@available(*, unavailable, message: "a RegistryClient's HTTPClient belongs to one thread")
extension RegistryClient: Sendable {}
