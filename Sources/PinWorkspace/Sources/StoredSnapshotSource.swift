public import PinModel
public import PinStore

/// The snapshots the store recorded (`index.json`): what `pull ORG/NAME --offline` resolves
/// against, with no network. They were recorded only after every file was verified and
/// scanned; the record is still read as untrusted (`Store.snapshot` checks the manifest's
/// digest, every path, the repo and the commit), and every file is scanned again before it is
/// laid out, like any other stored blob.
public struct StoredSnapshotSource: ModelSource {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public var description: String { "the store" }

    public func resolve(_ repo: RepoID, revision: String, context: SourceContext) throws -> ResolvedSnapshot {
        guard let stored = try store.snapshot(repo: repo, revision: revision) else {
            throw PullError.notRecorded(repo: repo.description, revision: revision)
        }
        let commit: CommitID
        do {
            // A snapshot from an OCI registry is recorded under its manifest digest's 64 digits.
            if stored.commit.utf8.count == 64, let manifest = try? SHA256Digest(parsing: "sha256:" + stored.commit) {
                commit = CommitID(ociManifest: manifest)
            } else {
                commit = try CommitID(parsing: stored.commit)
            }
        } catch {
            throw StoreError.invalidSnapshot(repo: repo.description, ["commit: \(error)"])
        }
        let files = try stored.files.map { file in
            // Every snapshot recorded today comes from the Hub or a lock, both of which name the
            // git blob id; one without it cannot be described to the engine and its summaries.
            guard let gitBlobID = file.gitBlobID else {
                throw StoreError.invalidSnapshot(repo: repo.description, ["`\(file.path)`: no git blob id recorded"])
            }
            return SnapshotFile(path: file.path, size: file.size, gitBlobID: gitBlobID, sha256: file.sha256, isLFS: file.lfs)
        }
        return ResolvedSnapshot(
            repo: stored.repo, revision: revision, commit: commit, files: files, source: description,
            endpoint: stored.endpoint ?? "")
    }
}
