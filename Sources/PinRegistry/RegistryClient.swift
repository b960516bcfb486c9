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
    let base: HTTPURL

    public init(
        reference: RegistryReference, options: RegistryOptions, credentials: RegistryCredentials?,
        cancellation: CancellationFlag = CancellationFlag(), transport: any HTTPTransport = CurlTransport()
    ) throws(RegistryError) {
        self.reference = reference
        self.options = options
        self.credentials = credentials
        let scheme = options.plainHTTP ? "http" : "https"
        if options.plainHTTP, !reference.isLoopback, !options.allowInsecureRegistry {
            throw .plainHTTPRefused(registry: reference.authority)
        }
        guard let base = HTTPURL("\(scheme)://\(reference.authority)/v2/") else {
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

    /// GET `/v2/<name>/manifests/<reference>` (a tag or `sha256:…`), at most
    /// `options.manifestLimit` bytes. The digest is the sha256 of the bytes; when `reference`
    /// is a digest it must match, and a `Docker-Content-Digest` that disagrees is refused.
    public func manifest(_ reference: String, accept: [String] = RegistryMediaType.manifests) throws(RegistryError) -> FetchedManifest {
        throw notYet("manifest")
    }

    /// PUT `/v2/<name>/manifests/<reference>` with `Content-Type: mediaType`. When the manifest
    /// has a `subject` and the registry does not answer `OCI-Subject`, the subject's
    /// `sha256-<hex>` fallback index tag is updated to list it.
    public func putManifest(_ bytes: [UInt8], mediaType: String, reference: String) throws(RegistryError) -> PutManifestOutcome {
        throw notYet("putManifest")
    }

    /// HEAD `/v2/<name>/blobs/<digest>`: the size, or nil when the registry does not have it.
    public func blobSize(_ digest: SHA256Digest) throws(RegistryError) -> Int64? {
        throw notYet("blobSize")
    }

    /// GET a blob, streamed, following redirects (credentials never sent to another host).
    /// The caller hashes what `onBody` gets and checks it.
    public func getBlob(
        _ digest: SHA256Digest, range: ByteRange? = nil,
        onResponse: (HTTPResponseHead) throws -> Void = { _ in },
        onBody: (UnsafeRawBufferPointer) throws -> Void
    ) throws(RegistryError) {
        throw notYet("getBlob")
    }

    /// The blob's URL and the `Authorization` line for the registry's origin (a pull token is
    /// fetched now if the registry wants one), for a download engine making its own GETs.
    public func blobLocation(_ digest: SHA256Digest) throws(RegistryError) -> BlobLocation {
        throw notYet("blobLocation")
    }

    /// Makes the registry have the blob `digest` (`size` bytes, read from `file`): skipped when
    /// present, mounted from one of `mountFrom` (repositories of the same registry) when it can
    /// be, else uploaded (monolithic or chunked), resuming a journalled upload when there is one.
    public func pushBlob(
        _ digest: SHA256Digest, size: Int64, file: String, mountFrom: [String] = [],
        progress: (Int64) -> Void = { _ in }
    ) throws(RegistryError) -> BlobPushOutcome {
        throw notYet("pushBlob")
    }

    /// The manifests whose `subject` is `digest`: the referrers API when the registry has it,
    /// else the `sha256-<hex>` fallback tag's index (empty when neither lists any).
    public func referrers(of digest: SHA256Digest, artifactType: String? = nil) throws(RegistryError) -> [Descriptor] {
        throw notYet("referrers")
    }

    /// GET `/v2/<name>/tags/list`, following `Link` pagination.
    public func tags() throws(RegistryError) -> [String] {
        throw notYet("tags")
    }

    private func notYet(_ what: String) -> RegistryError {
        .badResponse(registry: reference.authority, repository: reference.repository, what: what, reason: "not implemented yet")
    }
}

@available(*, unavailable, message: "a RegistryClient's HTTPClient belongs to one thread")
extension RegistryClient: Sendable {}
