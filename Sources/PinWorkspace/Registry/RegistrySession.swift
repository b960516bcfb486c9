public import PinModel
public import PinRegistry
import PinStore
public import PinTransport
public import SystemPackage

/// What the OCI workflows (pull, push, mirror, attachments) ask of one repository on one
/// registry. PinRegistry's `RegistryClient` answers it; the workflows are written against this
/// so that each registry call they make is visible in one list, and so that they can be tested
/// with a registry that lies in exactly one way.
///
/// One session per thread (a client owns its HTTP connection).
public protocol RegistrySession: AnyObject {
    /// The manifest `reference` (a tag, or `sha256:…`) names, size-bounded, its bytes checked
    /// against their digest (and against `reference` when that is a digest).
    func manifest(_ reference: String) throws -> FetchedManifest
    /// Where a blob's bytes are, and the `Authorization: …` line for that URL's origin only
    /// (a registry's token). Authenticates first when the session has no token yet.
    func blobLocation(_ digest: SHA256Digest) throws -> (url: HTTPURL, credential: String?)
    /// A small blob read whole (an attachment's layer), at most `limit` bytes, digest-checked.
    func smallBlob(_ digest: SHA256Digest, limit: Int) throws -> [UInt8]
    /// The manifests whose `subject` is `digest` (the referrers API, or the tag fallback), each
    /// with its `artifactType` when the registry lists one.
    func referrers(of digest: SHA256Digest) throws -> [Descriptor]
    /// Makes the registry hold `digest` (`size` bytes, read from `file`): skipped when it has it,
    /// mounted from `mountFrom` repositories of the same registry when it can, else uploaded
    /// (resumed from the registry's offset when an earlier push was interrupted).
    func pushBlob(_ digest: SHA256Digest, size: Int64, file: FilePath, mountFrom: [String]) throws -> PushedBlob
    /// Puts a manifest under `reference` (a tag or its digest), `Content-Type` = `mediaType`.
    /// Returns its digest as the registry computed it (checked against the bytes).
    @discardableResult
    func putManifest(_ bytes: [UInt8], mediaType: String, reference: String) throws -> SHA256Digest
}

/// What pushing one blob took: PinRegistry's own answer (present, mounted, uploaded and from
/// where a resumed upload went on), so a fake registry in tests speaks the same values.
public typealias PushedBlob = BlobPushOutcome

/// How to reach registries: the transport policy, `--plain-http` and its loud widening, where
/// credentials come from and where upload journals live. Made by `WorkspaceConfiguration`.
public struct RegistryAccess: Sendable {
    public var policy: TransportPolicy
    public var plainHTTP = false
    public var allowInsecure = false
    /// For credentials: `MODELPIN_REGISTRY_USER`/`PASSWORD`, `DOCKER_CONFIG`, `HOME`.
    public var environment: [String: String] = [:]
    /// Where interrupted uploads are journaled (inside the store); nil: no journal.
    public var journalDirectory: FilePath?
    /// Opens a session on `repository` (`oci://HOST[:PORT]/PATH`). Set by the workspace to
    /// PinRegistry's client; tests set a fake.
    public var connect: @Sendable (_ repository: String, _ access: RegistryAccess, _ cancellation: CancellationFlag) throws -> any RegistrySession

    public init(policy: TransportPolicy, connect: @escaping @Sendable (String, RegistryAccess, CancellationFlag) throws -> any RegistrySession) {
        self.policy = policy
        self.connect = connect
    }
}
