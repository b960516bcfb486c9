import PinHub
import PinLock
import PinModel
import PinStore

/// The one mapping from the workspace's file lists to the store's snapshot record
/// (`Store.recordSnapshot`): every way a snapshot is resolved or fetched ends by recording it
/// here, after each of its files was verified, scanned and admitted (never before), so that the
/// store's `index.json` knows every snapshot it holds (skopeo reads it; offline pulls use it).
enum SnapshotRecording {
    /// A pull by name: `snapshot` was resolved from `endpoint` for `snapshot.revision`, which
    /// becomes an alias of the commit.
    static func record(_ snapshot: Snapshot, files: [PullSummary.File], endpoint: String, in store: Store) throws {
        let stored = StoredSnapshot(
            repo: snapshot.repo, commit: snapshot.commit, endpoint: endpoint,
            files: files.map { .init(path: $0.path, sha256: $0.sha256, size: $0.size, gitBlobID: $0.gitBlobID, lfs: $0.lfs) })
        try store.recordSnapshot(stored, revision: snapshot.revision)
    }

    /// A locked model. `resolved`: it was resolved just now (lock, add), so its requested
    /// revision becomes an alias of the commit; a pull from a lock resolves nothing, so it
    /// records the commit only and moves no alias back to an older commit.
    static func record(_ model: LockedModel, resolved: Bool, in store: Store) throws {
        let stored = StoredSnapshot(
            repo: try RepoID(parsing: model.repo), commit: model.commit, endpoint: model.endpoint,
            files: model.files.map { .init(path: $0.path, sha256: $0.sha256, size: $0.size, gitBlobID: $0.gitBlobID, lfs: $0.lfs) })
        try store.recordSnapshot(stored, revision: resolved ? model.requestedRevision : nil)
    }
}
