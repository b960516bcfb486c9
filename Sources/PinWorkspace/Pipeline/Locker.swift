import PinHub
import PinPolicy
public import PinLock
import PinModel
import PinScan
import PinStore
import PinTransport
import PinVerify

/// `lock`: turns the manifest's requests into exact, verifiable facts — the commit each
/// revision names today and every selected file's size, SHA-256 and git blob id.
///
/// LFS files come with their SHA-256 in the Hub's listing; small (non-LFS) files are listed
/// with a git blob id only, so they are downloaded into the store (checked against that id)
/// and their SHA-256 is recorded: trust on first use, as the design notes say.
public struct Locker: Sendable {
    public let puller: Puller

    public init(puller: Puller) {
        self.puller = puller
    }

    /// What happened to one model.
    public enum Change: Sendable, Equatable {
        case unchanged
        case added(commit: String)
        case updated(from: String, to: String)
        case removed
        /// A model adopted from a cache (`source = "hf-cache"`) that the Hub now confirmed at
        /// the same commit: the Hub lists its files with the same bytes, and the mark is gone.
        case confirmed(commit: String)
    }

    /// A new lock for `project`. Models whose request did not change keep their locked entry
    /// (a branch that moved changes nothing) unless they are in `update` (`lock --update`;
    /// all models when `updateAll`).
    public func lock(
        _ project: Project, previous: Lockfile?, update: Set<String> = [], updateAll: Bool = false, endpoint: String
    ) throws -> (Lockfile, [(alias: String, change: Change)]) {
        var models: [LockedModel] = []
        var changes: [(String, Change)] = []
        let drifted = Set((previous?.drift(from: project.manifest) ?? []).map(Self.alias(of:)))
        for request in project.manifest.models {
            let old = previous?.model(request.alias)
            if let old, !drifted.contains(request.alias.rawValue), !updateAll, !update.contains(request.alias.rawValue) {
                models.append(old)
                changes.append((request.alias.rawValue, .unchanged))
                continue
            }
            let locked = try resolve(request, previous: old, endpoint: endpoint)
            models.append(locked)
            switch old {
            case nil: changes.append((request.alias.rawValue, .added(commit: locked.commit.hex)))
            case let old? where old == locked: changes.append((request.alias.rawValue, .unchanged))
            case let old? where old.source != nil && old.commit == locked.commit:
                changes.append((request.alias.rawValue, .confirmed(commit: locked.commit.hex)))
            case let old?: changes.append((request.alias.rawValue, .updated(from: old.commit.hex, to: locked.commit.hex)))
            }
        }
        for old in previous?.models ?? [] where project.manifest.model(old.alias) == nil {
            changes.append((old.alias.rawValue, .removed))
        }
        let kept = Set(changes.filter { $0.1 == .unchanged }.map(\.0))
        models = try models.map { model in
            kept.contains(model.alias.rawValue) ? try rejudged([model], previousDigest: previous?.policyDigest)[0] : model
        }
        return (Lockfile(models: models, policyDigest: puller.policy?.digest), changes)
    }

    /// Entries kept from a lock made under `previousDigest`, judged again when the policy in
    /// force is another (or none): a lock records one policy's decisions, never a mix.
    func rejudged(_ models: [LockedModel], previousDigest: SHA256Digest?) throws -> [LockedModel] {
        guard previousDigest != puller.policy?.digest else { return models }
        return try models.map { model in
            var model = model
            model.policy = try judge(model, hub: nil)
            return model
        }
    }

    /// Resolves one request now: name check, commit, files, digests.
    public func resolve(_ request: ModelRequest, previous: LockedModel?, endpoint: String) throws -> LockedModel {
        let snapshot = try puller.resolve(
            name: request.repo, revision: request.revision, include: request.include, exclude: request.exclude,
            allowUnlisted: false, signatureDocuments: !request.pinnedSigners.isEmpty, modelSignature: !request.omsSigners.isEmpty)
        let files = snapshot.files
        if let previous, previous.commit == snapshot.commit {
            try Self.checkUnchanged(previous, files, alias: request.alias.rawValue, repo: snapshot.repo.description)
        }
        let known = Dictionary(uniqueKeysWithValues: (previous?.files ?? []).map { ($0.path, $0) })
        var digests: [String: SHA256Digest] = [:]
        for file in files {
            if let sha = file.sha256 {
                digests[file.path] = sha
            } else if let old = known[file.path], old.gitBlobID == file.gitBlobID, old.size == file.size, previous?.commit == snapshot.commit {
                digests[file.path] = old.sha256
            } else if let sha = puller.store.blob(gitBlobID: file.gitBlobID, size: file.size) {
                digests[file.path] = sha
            }
        }
        // A lock vouches only for bytes modelpin has seen: every file is in the store (fetched
        // now if need be, hashed, scanned before admission), and files stored earlier are
        // judged by the verdict the store keeps (or scanned now). The previous lock's accepted
        // callables stay accepted (the user reviewed them there); its verdicts count for nothing.
        var policy = puller.settings.scanPolicy
        policy.allowedGlobals.formUnion(previous?.files.flatMap(\.accepted) ?? [])
        let gate = ScanGate(policy: policy, store: puller.store, decisions: puller.decisions)
        let missing = files.filter { file in digests[file.path].map { (try? puller.store.path(of: $0)) == nil } ?? true }
        if !missing.isEmpty {
            let items = missing.map { FetchItem(file: $0, repo: snapshot.repo.description, commit: snapshot.commit, label: "\(snapshot.repo)/\($0.path)") }
            let fetched = try puller.fetcher(admission: gate.admission).fetch(items, from: [puller.origin(of: snapshot)], stopOnFailure: true)
            for file in missing { digests[file.path] = fetched.digests[file.contentKey] }
        }
        let fetchedPaths = Set(missing.map(\.path))
        for file in files where !fetchedPaths.contains(file.path) {
            try gate.check(blobOf: digests[file.path]!, in: puller.store, name: file.path)
        }

        var model = Puller.described(snapshot, files: files, digests: digests, verdicts: gate)
        model.alias = request.alias
        model.requestedRepo = request.repo
        model.requestedRevision = request.revision
        model.include = request.include
        model.exclude = request.exclude
        // A registry's model was resolved on its registry, whatever Hub the project names.
        model.endpoint = snapshot.registry?.repository ?? endpoint
        guard !request.pinnedSigners.isEmpty else {
            model.policy = try judge(model, hub: snapshot.hubFacts)
            try puller.record([model], resolved: true)
            return model
        }

        // Signers required: every file must be vouched for (all are in the store by now).
        model.pin(request.pinnedSigners)
        guard let vouch = try puller.signatureGate().check(model, signers: request.pinnedSigners, decisions: puller.decisions) else {
            return model  // a review let it through unsigned: no signer is recorded
        }
        if let previous, previous.pinnedSigners == request.pinnedSigners, let old = previous.vouchedBy, old != vouch.signer {
            throw ProjectError.signerChanged(alias: request.alias.rawValue, locked: old.description, now: vouch.signer.description)
        }
        model.setVouchedBy(vouch.signer)
        model.signatures = vouch.documents
        model.policy = try judge(model, hub: snapshot.hubFacts)
        try puller.record([model], resolved: true)
        return model
    }

    /// The policy gate over `model`'s stored facts (nil when no policy is in force): throws
    /// when it blocks; else what the lock records.
    func judge(_ model: LockedModel, hub: HubFacts?) throws -> LockedPolicy? {
        try puller.policy?.judge(model, store: puller.store, hub: hub, decisions: puller.decisions)
    }

    static func alias(of drift: LockDrift) -> String {
        switch drift {
        case .added(let alias), .removed(let alias), .changed(let alias, _, _, _): alias
        }
    }

    /// Trust on first use: at the commit the lock names, the Hub must describe every file the
    /// lock has exactly as it did then. A difference means rewritten history or a tampered
    /// server; it is refused, never silently re-locked.
    static func checkUnchanged(_ locked: LockedModel, _ files: [SnapshotFile], alias: String, repo: String) throws {
        let listed = Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0) })
        var differences: [String] = []
        for file in locked.files {
            guard let now = listed[file.path] else { continue }  // a narrower include, not a rewrite
            if now.size != file.size {
                differences.append("`\(file.path)`: size \(file.size) in the lock, \(now.size) on the Hub")
            }
            if now.isLFS, let sha = now.sha256, sha != file.sha256 {
                differences.append("`\(file.path)`: sha256\n  locked: \(file.sha256)\n  Hub:    \(sha)")
            }
            if now.gitBlobID != file.gitBlobID {
                differences.append("`\(file.path)`: git blob id \(file.gitBlobID) in the lock, \(now.gitBlobID) on the Hub")
            }
            if now.isLFS != file.lfs {
                differences.append("`\(file.path)`: \(file.lfs ? "an LFS file" : "a plain git file") in the lock, \(now.isLFS ? "an LFS file" : "a plain git file") on the Hub")
            }
        }
        guard differences.isEmpty else {
            throw ProjectError.historyRewritten(alias: alias, repo: repo, commit: locked.commit.hex, differences: differences)
        }
    }
}
