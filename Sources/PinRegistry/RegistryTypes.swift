public import PinModel
public import PinTransport

/// How a `RegistryClient` talks to its registry, decided once by the caller (PinWorkspace).
public struct RegistryOptions: Sendable {
    /// Talk plain http instead of https (CLI `--plain-http`). Allowed only for a loopback
    /// registry (127.0.0.0/8, ::1, localhost) unless `allowInsecureRegistry` is set too.
    public var plainHTTP = false
    /// Plain http to a registry that is not loopback (CLI `--plain-http --allow-insecure-registry`),
    /// a loud, explicit choice: credentials and blobs then cross the network in the clear.
    public var allowInsecureRegistry = false
    /// Where in-progress uploads are journalled (one small file per blob) so an interrupted push
    /// resumes; nil: no journal, every interrupted upload starts over. PinWorkspace passes a
    /// directory in the store.
    public var journalDirectory: String?
    /// Blobs at least this large are uploaded in chunks (PATCH), smaller ones in one PUT.
    public var chunkedThreshold: Int64 = 64 << 20
    /// The size of one PATCH, raised to the registry's `OCI-Chunk-Min-Length` when it asks more.
    public var chunkSize: Int64 = 32 << 20
    /// The largest manifest or index read (the spec suggests registries accept at least 4 MiB).
    public var manifestLimit = 4 << 20
    /// CA bundle, timeouts, retries, user agent. Its `plainHTTPOrigins` is filled in by the
    /// client from `plainHTTP` (for the registry's origin only, and a loopback token realm).
    public var policy = TransportPolicy()

    public init() {}
}

/// A manifest or index as the registry served it: its bytes, checked against `digest` (the
/// sha256 of exactly these bytes, equal to the pinned digest and to any
/// `Docker-Content-Digest` the registry sent).
public struct FetchedManifest: Sendable {
    public var mediaType: String
    public var digest: SHA256Digest
    public var bytes: [UInt8]

    public init(mediaType: String, digest: SHA256Digest, bytes: [UInt8]) {
        self.mediaType = mediaType
        self.digest = digest
        self.bytes = bytes
    }
}

/// What a manifest PUT did.
public struct PutManifestOutcome: Sendable, Equatable {
    /// The sha256 of the bytes sent (checked against the registry's `Docker-Content-Digest`).
    public var digest: SHA256Digest
    /// The registry answered `OCI-Subject`: it indexes referrers itself (referrers API).
    public var subjectAccepted: Bool
    /// The manifest had a `subject` the registry did not acknowledge, so the `sha256-<hex>`
    /// fallback index tag was updated to list it.
    public var fallbackTagUpdated: Bool

    public init(digest: SHA256Digest, subjectAccepted: Bool, fallbackTagUpdated: Bool) {
        self.digest = digest
        self.subjectAccepted = subjectAccepted
        self.fallbackTagUpdated = fallbackTagUpdated
    }
}

/// What pushing one blob did.
public enum BlobPushOutcome: Sendable, Equatable {
    /// The registry already had it (HEAD): nothing sent.
    case present
    /// Mounted from another repository of the same registry: nothing sent.
    case mounted(from: String)
    /// Uploaded; `resumedFrom` bytes were already on the registry from an earlier, interrupted
    /// push (0 for a fresh upload).
    case uploaded(resumedFrom: Int64)
}

/// Where a blob is read from, for a download engine that makes its own ranged GETs:
/// `credential` is an `Authorization: …` line for `url`'s origin only (pass it as
/// `HTTPClient.get(…, credential:)`, which never sends it on to a redirect's host).
public struct BlobLocation: Sendable {
    public var url: HTTPURL
    public var credential: String?

    public init(url: HTTPURL, credential: String?) {
        self.url = url
        self.credential = credential
    }
}

/// Media types the client asks for and knows.
public enum RegistryMediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"
    /// What a pull accepts: OCI manifests and indexes, and Docker v2 (Docker Model Runner).
    public static let manifests = [ociManifest, ociIndex, dockerManifest, dockerManifestList]
}
