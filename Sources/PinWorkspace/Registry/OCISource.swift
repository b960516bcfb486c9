public import PinModel
import PinStore
import struct PinRegistry.FetchedManifest
public import PinTransport
import Synchronization

/// A model source on an OCI registry: `oci://HOST[:PORT]/PATH` at a tag or a `sha256:…`
/// digest resolves to a manifest — digest-checked, and read as a ModelPack model (modelpin's
/// own snapshot manifests, or another tool's: `OCIManifestFiles`) — whose layers are the
/// snapshot's files, each with the SHA-256 and size its descriptor pins. Its commit is the
/// manifest's digest (`OCIIdentity`). The files are then fetched, verified, scanned and
/// admitted by the same pipeline as a Hub's, from the registry's blobs (`OCIBlobSource`).
public struct OCISource: Sendable, CustomStringConvertible {
    /// `oci://HOST[:PORT]/PATH`, as the lock names it.
    public let repository: String
    /// The store's id of it.
    public let storeRepo: RepoID
    let access: RegistryAccess
    let cancellation: CancellationFlag

    init(repository: String, settings: PullSettings, cancellation: CancellationFlag) throws {
        guard let access = settings.registry else { throw OCIError.noRegistryAccess(repository) }
        self.repository = repository
        storeRepo = try OCIIdentity.storeRepo(for: repository)
        self.access = access
        self.cancellation = cancellation
    }

    public var description: String { repository }

    /// The registry as a blob source for this repository's blobs.
    func blobs() throws -> OCIBlobSource { try OCIBlobSource(repository: repository, access: access, cancellation: cancellation) }

    /// `revision` (a tag, or `sha256:…`) → the manifest → the snapshot. A manifest asked for by
    /// digest must hash to it.
    func resolve(revision: String) throws -> ResolvedSnapshot {
        let session = try access.connect(repository, access, cancellation)
        let fetched = try session.manifest(revision)
        if revision.hasPrefix("sha256:"), fetched.digest.description != revision {
            throw OCIError.manifestDigestMismatch(repository: repository, asked: revision, served: fetched.digest.description)
        }
        let files = try OCIManifestFiles.read(fetched, repository: repository)
        var snapshot = ResolvedSnapshot(
            repo: storeRepo, revision: revision, commit: CommitID(ociManifest: fetched.digest), files: files.sorted { $0.path < $1.path },
            source: repository, endpoint: repository)
        snapshot.registry = (repository, try blobs())
        return snapshot
    }
}

/// A registry repository as a blob source: `/v2/PATH/blobs/sha256:HEX`, with the registry's
/// token for the registry's own origin only (its redirects to storage carry none). It serves
/// any blob by digest, so it is both an OCI model's origin and a mirror for a Hub model's
/// locked blobs (`pull --mirror oci://…`); what it sends is checked like any source's bytes.
public final class OCIBlobSource: BlobSource {
    public let repository: String
    let access: RegistryAccess
    let cancellation: CancellationFlag
    /// The session that finds each blob's URL and token (one client: its token is reused).
    private let session: Mutex<any RegistrySession>

    /// Opens the session now: a reference or a `--plain-http` the client refuses stops the pull
    /// here, with the client's own error. Nothing is asked of the registry yet.
    init(repository: String, access: RegistryAccess, cancellation: CancellationFlag) throws {
        self.repository = repository
        self.access = access
        self.cancellation = cancellation
        session = Mutex(try access.connect(repository, access, cancellation))
    }

    public var description: String { repository }

    public func location(of file: SnapshotFile, repo: String, commit: CommitID) -> BlobLocation? {
        guard let digest = file.sha256 else { return nil }
        return session.withLock { session -> BlobLocation? in
            do {
                let (url, credential) = try session.blobLocation(digest)
                return .remote(url, check: nil, credential: credential)
            } catch {
                // No token (the registry refused the credentials, or its token server is down):
                // the GET goes without one, and the registry's own answer (401, 5xx) is what the
                // pull reports for this source, before the next source is tried.
                return OCIIdentity.blobURL(repository, digest: digest, plainHTTP: access.plainHTTP).map { .remote($0, check: nil) }
            }
        }
    }

    /// Plain http only where `--plain-http` allowed it for this registry.
    public func configure(_ policy: inout TransportPolicy) {
        guard access.plainHTTP, let origin = OCIIdentity.plainOrigin(of: repository) else { return }
        policy.plainHTTPOrigins.insert(origin)
    }
}

/// Why an OCI pull or push stopped, when the registry client did not say it already.
public enum OCIError: ModelpinError {
    /// The workspace was built without a way to reach registries (a library caller's setup).
    case noRegistryAccess(String)
    /// The registry served another manifest than the digest asked for.
    case manifestDigestMismatch(repository: String, asked: String, served: String)
    /// A manifest modelpin cannot read as a model: which field, and why.
    case unsupportedManifest(repository: String, digest: String, reason: String)
    /// `push` was given a target it cannot push to.
    case badTarget(String, reason: String)
    /// `push` without a model, in a project with several.
    case whichModel([String])

    public var kind: FailureKind {
        switch self {
        case .noRegistryAccess: .operational
        case .manifestDigestMismatch: .refused
        case .unsupportedManifest: .refused
        case .badTarget, .whichModel: .usage
        }
    }

    public var description: String {
        switch self {
        case .noRegistryAccess(let repository): "cannot reach `\(repository.escapedForDisplay)`: no registry access configured"
        case .manifestDigestMismatch(let repository, _, _): "`\(repository.escapedForDisplay)` served another manifest than the digest asked for"
        case .unsupportedManifest(let repository, let digest, _): "the manifest \(digest) in `\(repository.escapedForDisplay)` is not a model modelpin can read"
        case .badTarget(let target, _): "`\(target.escapedForDisplay)` is not a registry to push to"
        case .whichModel: "the project has several models: name the one to push"
        }
    }

    public var causes: [String] {
        switch self {
        case .manifestDigestMismatch(_, let asked, let served): ["asked:  \(asked)", "served: \(served)"]
        case .unsupportedManifest(_, _, let reason): [reason]
        case .badTarget(_, let reason): [reason]
        case .whichModel(let aliases): ["models: " + aliases.joined(separator: ", ")]
        default: []
        }
    }

    public var hint: String? {
        switch self {
        case .manifestDigestMismatch: "nothing was stored; the registry (or something between it and you) is not serving what was pushed"
        case .unsupportedManifest:
            "modelpin reads ModelPack manifests (application/vnd.cncf.model.*, the older vnd.cnai.model.*) with one raw layer per file; `skopeo inspect` shows what this one is"
        default: nil
        }
    }
}
