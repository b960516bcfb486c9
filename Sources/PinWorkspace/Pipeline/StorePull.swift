import PinPolicy
import PinLock
import PinModel
import PinScan
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
    /// file). Returns the digest of each file, by path, and the paths fetched now (the others
    /// were in the store already).
    ///
    /// `signers`: the files must be vouched for by a good signature of one of these keys (the
    /// signature gate, as a locked pull applies it), checked after they are in the store and
    /// before anything is recorded: a snapshot that fails is never recorded, so never served.
    func admitIntoStore(
        _ snapshot: ResolvedSnapshot, files: [SnapshotFile], signers: [SignerID] = []
    ) throws -> (digests: [String: SHA256Digest], fetched: [String]) {
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
        let fetchedPaths = missing.map(\.file.path)
        guard !admitted.isEmpty else { return (digests, fetchedPaths) }
        var signedBy: SignerID?
        if !signers.isEmpty {
            signedBy = try checkSignatures(snapshot, files: admitted, digests: digests, signers: signers, gate: gate)
        }
        // The admission policy, as at every gate: a blocked snapshot is never recorded, so
        // never served.
        if let policy {
            var model = Self.described(snapshot, files: admitted, digests: digests, verdicts: gate)
            model.setVouchedBy(signedBy)
            let subject = PolicySubject.gather(model, store: store, hub: snapshot.hubFacts)
            _ = try policy.check(subject.subject, name: snapshot.repo.description, decisions: decisions)
        }
        try record(
            ResolvedSnapshot(
                repo: snapshot.repo, revision: snapshot.revision, commit: snapshot.commit, files: admitted,
                source: snapshot.source, endpoint: snapshot.endpoint),
            digests: digests)
        return (digests, fetchedPaths)
    }

    /// The signature gate over `files` of `snapshot`, described as the lock a pull would write
    /// (the gate's input): every file vouched for by one of `signers`, or a refusal.
    private func checkSignatures(
        _ snapshot: ResolvedSnapshot, files: [SnapshotFile], digests: [String: SHA256Digest], signers: [SignerID], gate: ScanGate
    ) throws -> SignerID? {
        var model = Self.described(snapshot, files: files, digests: digests, verdicts: gate)
        model.pin(signers)
        // A review may let an unsigned snapshot through (nil vouch), as it may for a lock.
        return try signatureGate().check(model, signers: signers, decisions: decisions)?.signer
    }

    /// What the signature gate's events call a snapshot a server pulled through (it has no alias).
    static let servedAlias = "served"
}
