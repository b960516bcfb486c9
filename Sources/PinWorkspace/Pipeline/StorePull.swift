import PinModel
import PinStore

/// The pipeline without an output: what a server's pull-through runs (`serve --upstream`).
/// The same names gate, Hub resolution, fetch, verification, scan gate, admission and snapshot
/// record as `pull`, and no directory: the store is the output. Split in two because a server
/// resolves a revision once and then fetches its files one request at a time.
extension Puller {
    /// Names gate (never `--allow-unlisted`: a server does not widen its own allowlist for a
    /// client) → resolve `revision` of `repo` at the Hub the settings name. Nothing is fetched.
    func resolveForStore(_ repo: RepoID, revision: String) throws -> ResolvedSnapshot {
        try resolve(name: repo.description, revision: revision, include: [], exclude: [], allowUnlisted: false)
    }

    /// Makes `files` of `snapshot` present in the store (each fetched one verified against its
    /// size and digests and scanned before it gets its digest name; each one already there
    /// scanned under today's policy) and records the snapshot with them, merged into what the
    /// store recorded of that commit before (`Store.recordSnapshot` grows a record file by
    /// file). Returns the digest of each file, by path.
    func admitIntoStore(_ snapshot: ResolvedSnapshot, files: [SnapshotFile]) throws -> [String: SHA256Digest] {
        let present = files.map { store.digest(of: $0) }
        let gate = ScanGate(policy: settings.scanPolicy, store: store, decisions: decisions)
        let missing = zip(files, present).filter { $0.1 == nil }.map { file, _ in
            FetchItem(file: file, repo: snapshot.repo.description, commit: snapshot.commit, label: "\(snapshot.repo)/\(file.path)")
        }
        let fetched = try fetcher(admission: gate.admission).fetch(missing, from: [hub], stopOnFailure: true)
        var digests: [String: SHA256Digest] = [:]
        for (file, stored) in zip(files, present) {
            if let stored {
                try gate.check(blobOf: stored, in: store, name: file.path)
                events.emit(.verified(path: file.path, digest: stored, size: file.size, origin: .store))
            }
            digests[file.path] = stored ?? fetched.digests[file.contentKey]
        }
        let admitted = files.filter { digests[$0.path] != nil }
        guard !admitted.isEmpty else { return digests }
        try record(
            ResolvedSnapshot(
                repo: snapshot.repo, revision: snapshot.revision, commit: snapshot.commit, files: admitted,
                source: snapshot.source, endpoint: snapshot.endpoint),
            digests: digests)
        return digests
    }
}
