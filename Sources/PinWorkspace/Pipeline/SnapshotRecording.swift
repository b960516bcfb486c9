import PinLock
import PinModel
import PinStore

/// The one mapping from the workspace's snapshots to the store's record of them
/// (`Store.recordSnapshot`, a ModelPack manifest in `index.json`): every way a snapshot is
/// resolved or fetched records it here, after each of its files was verified, scanned and
/// admitted and its signatures checked (never before), and before it is laid out anywhere, so
/// that every output is a view of a recorded snapshot (skopeo reads it; offline pulls use it).
///
/// A record the store refuses (the same commit recorded with other bytes for a path: one source
/// lied) stops the pull. A record that cannot be written (a damaged `index.json`, a full disk)
/// is a warning: the files are verified and in the store, only the record is missing.
extension Puller {
    /// A pull by name: the requested revision becomes an alias of the commit.
    func record(_ snapshot: ResolvedSnapshot, digests: [String: SHA256Digest]) throws {
        let stored = StoredSnapshot(
            repo: snapshot.repo, commit: snapshot.commit.hex, endpoint: snapshot.endpoint.isEmpty ? nil : snapshot.endpoint,
            files: snapshot.files.map {
                .init(path: $0.path, sha256: digests[$0.path]!, size: $0.size, gitBlobID: $0.gitBlobID, lfs: $0.isLFS)
            })
        try record(stored, revision: snapshot.revision)
    }

    /// Locked models, in one update of `index.json`. `resolved`: they were resolved just now
    /// (lock, add), so each requested revision becomes an alias of the commit; a pull from a lock
    /// resolves nothing, so it records the commits only and moves no alias back to an older one.
    func record(_ models: [LockedModel], resolved: Bool) throws {
        let snapshots = try models.map { model in
            (snapshot: try model.storedSnapshot, revision: resolved ? model.requestedRevision : nil)
        }
        try record(snapshots)
    }

    private func record(_ snapshot: StoredSnapshot, revision: String?) throws {
        try record([(snapshot, revision)])
    }

    private func record(_ snapshots: [(snapshot: StoredSnapshot, revision: String?)]) throws {
        do {
            try store.recordSnapshots(snapshots)
        } catch {
            if error.kind == .refused { throw error }
            let names = snapshots.map { "\($0.snapshot.repo)@\($0.snapshot.commit.prefix(12))" }.joined(separator: ", ")
            events.emit(.warning("not recorded in the store (\(names)): \(error.description)"
                + (error.causes.isEmpty ? "" : ": " + error.causes.joined(separator: ": "))))
        }
    }
}
