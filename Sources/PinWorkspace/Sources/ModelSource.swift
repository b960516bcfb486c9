public import PinModel
import PinStore
public import PinTransport
public import SystemPackage

/// A snapshot as a source resolved it: the commit a revision names and every file of it, with
/// the facts that pin each file's bytes. Paths are checked (`PathSafety`) before one is returned.
public struct ResolvedSnapshot: Sendable {
    /// The id as the source spells it.
    public let repo: RepoID
    /// What was asked for: a branch, a tag or a commit.
    public let revision: String
    public let commit: CommitID
    /// Every file of the snapshot, sorted by path.
    public let files: [SnapshotFile]
    /// The source that answered, as events and summaries name it.
    public let source: String
    /// Where the snapshot was first resolved: the Hub endpoint. A lock and a stored snapshot
    /// keep it as provenance; it decides nothing about where bytes are fetched later.
    public let endpoint: String
    /// The commit's date as the source stated it (seconds since 1970); nil: not stated.
    public var commitDate: Int64?
    /// The card as the source stated it (the Hub's `cardData`); nil: not stated.
    public var card: ModelCardMetadata?
    /// For a snapshot resolved on an OCI registry: the repository as the lock names it
    /// (`oci://HOST[:PORT]/PATH`; `repo` is then the store's id of it, `OCIIdentity`) and the
    /// registry as the blob source its files are fetched from. nil: a Hub's snapshot.
    public var registry: (repository: String, blobs: any BlobSource)?

    /// What the source said beyond the files, for `ModelFacts` (nil for a source that said nothing).
    public var hubFacts: HubFacts { HubFacts(lastModified: commitDate, cardData: card) }

    public init(repo: RepoID, revision: String, commit: CommitID, files: [SnapshotFile], source: String, endpoint: String) {
        self.repo = repo
        self.revision = revision
        self.commit = commit
        self.files = files
        self.source = source
        self.endpoint = endpoint
    }
}

/// What a source needs to answer: how to reach the network, and when to stop.
public struct SourceContext: Sendable {
    public let policy: TransportPolicy
    public let cancellation: CancellationFlag
    public let transport: any HTTPTransport

    public init(policy: TransportPolicy, cancellation: CancellationFlag, transport: any HTTPTransport = CurlTransport()) {
        self.policy = policy
        self.cancellation = cancellation
        self.transport = transport
    }

    /// A client for this thread (one per thread: a connection is not shared), under the policy.
    func connection() throws -> HTTPClient {
        try HTTPClient(policy: policy, cancellation: cancellation, transport: transport)
    }
}

/// Resolves a name and a revision to a snapshot: the Hub's API today, a snapshot recorded in
/// the store (offline), and next an OCI registry tag.
public protocol ModelSource: Sendable, CustomStringConvertible {
    func resolve(_ repo: RepoID, revision: String, context: SourceContext) throws -> ResolvedSnapshot
}

/// A check a source makes of each answer's head before any byte is kept (`path`: the file).
public typealias ResponseCheck = @Sendable (_ head: HTTPResponseHead, _ path: String) throws -> Void

/// Where a blob source keeps one file's bytes.
public enum BlobLocation: Sendable {
    /// Fetched over http(s), each answer's head checked by `check` first. `credential` (an
    /// `Authorization: …` line, such as a registry's bearer token) goes to the URL's own origin
    /// only: a redirect to another host (a registry sending a blob to its storage) never
    /// carries it (`HTTPClient.get`).
    case remote(HTTPURL, check: ResponseCheck?, credential: String? = nil)
    /// A file on this machine, read without following symlinks.
    case local(FilePath)
}

/// Fetches bytes by digest or by path at a commit: the Hub's CDN, an http(s) or file mirror, and
/// next S3 buckets and OCI registries. Nothing a blob source serves is trusted because of where
/// it came from: every byte is checked against the size and digests the snapshot pins.
public protocol BlobSource: Sendable, CustomStringConvertible {
    /// Where `file` of `repo` at `commit` is, or nil when this source cannot serve it (a mirror
    /// addressed by SHA-256 cannot serve a file whose SHA-256 is not known yet).
    func location(of file: SnapshotFile, repo: String, commit: CommitID) -> BlobLocation?
    /// What the transport must allow for this source (plain http for one configured as http://).
    func configure(_ policy: inout TransportPolicy)
}
