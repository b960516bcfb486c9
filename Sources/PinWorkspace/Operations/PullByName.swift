import PinModel
import PinStore
import SystemPackage

extension Workspace {
    /// `pull ORG/NAME[@REVISION]`: one model by name, outside any project, resolved against
    /// `--endpoint`, `MODELPIN_ENDPOINT`, `HF_ENDPOINT` or the Hub.
    public func pull(_ request: PullRequest) throws -> PullSummary {
        try audited("pull", checkpoint: true) { workspace in
            let store = try workspace.openStore(.readWrite)
            let puller = try workspace.puller(store: store, endpoint: workspace.configuration.resolveEndpoint(manifest: nil))
            var summary = try puller.pull(request)
            if let cache = request.hfCache {
                summary.hfCache = try workspace.exportPulled(summary, request, store: store, into: cache)
            }
            workspace.audit?.model(.model(summary))
            return summary
        }
    }

    /// `pull --hf-cache`: the snapshot just recorded, written into the cache with a ref for the
    /// revision asked for (not for a commit) and, when no pattern or file list narrowed the
    /// pull, the tree listing that tells the client the snapshot is whole.
    private func exportPulled(_ summary: PullSummary, _ request: PullRequest, store: Store, into cache: FilePath) throws -> HFCacheWriter.Outcome {
        let repo = try RepoID(parsing: summary.repo)
        guard let snapshot = try store.snapshot(repo: repo, revision: summary.commit) else {
            throw HFCacheError.snapshotNotInStore(repo: summary.repo, revision: summary.commit)
        }
        let whole = request.include.isEmpty && request.exclude.isEmpty && request.files.isEmpty
        return try HFCacheWriter(store: store, cacheRoot: cache).export(snapshot, revision: summary.revision, writeTree: whole)
    }
}
