public import PinHub
public import PinModel
public import PinTransport

/// A Hugging Face Hub (or a server that speaks its API): a model source through its API
/// (revision → commit, the tree with sizes and digests) and a blob source through
/// `/{repo}/resolve/{commit}/{path}`, whose answers must name the commit they were asked for.
public struct HubSource: ModelSource, BlobSource {
    public let endpoint: HubEndpoint
    /// As a blob source: the repos it serves (a locked pull asks each model's own endpoint);
    /// nil: any.
    public var repos: Set<String>?

    public init(endpoint: HubEndpoint) {
        self.endpoint = endpoint
    }

    public var description: String { endpoint.description }

    /// Resolve the revision to a commit, then list the files (unsafe paths are refused there).
    public func resolve(_ repo: RepoID, revision: String, context: SourceContext) throws -> ResolvedSnapshot {
        let hub = HubClient(endpoint: endpoint)
        do {
            let client = try context.connection()
            let snapshot = try hub.resolve(repo, revision: revision, using: client)
            let files = try hub.files(of: snapshot, using: client)
            var resolved = ResolvedSnapshot(
                repo: snapshot.repo, revision: snapshot.revision, commit: snapshot.commit,
                files: files.sorted { $0.path < $1.path }, source: description, endpoint: description)
            resolved.commitDate = snapshot.lastModified
            resolved.card = snapshot.cardData
            return resolved
        } catch {
            // Ctrl-C while the Hub was asked: an interruption (exit 130, "run it again"), not a
            // network failure.
            if context.cancellation.isCancelled { throw PullError.interrupted }
            throw error
        }
    }

    public func location(of file: SnapshotFile, repo: String, commit: CommitID) -> BlobLocation? {
        guard repos?.contains(repo) ?? true, let repo = try? RepoID(parsing: repo) else { return nil }
        let url = HubClient(endpoint: endpoint).url(of: file.path, in: Snapshot(repo: repo, revision: commit.hex, commit: commit))
        return .remote(url, check: { head, path in try HubClient.checkCommit(head, path: path, commit: commit) })
    }

    /// The endpoint's own transport settings are part of `PullSettings.policy` already
    /// (`HubEndpoint.configure`); an override endpoint adds plain http only if given as http://.
    public func configure(_ policy: inout TransportPolicy) {
        if !endpoint.base.isSecure { policy.plainHTTPOrigins.insert(endpoint.base.origin) }
    }
}
