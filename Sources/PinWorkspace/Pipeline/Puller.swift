import PinHub
import PinPolicy
import PinModel
import PinLock
import PinNames
import PinScan
public import PinStore
import PinVerify
public import PinTransport
import SystemPackage
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// `pull ORG/NAME`: every byte goes through the same pipeline, in order —
/// names gate → resolve (a model source: commit, file list, sizes, digests) → plan (what the
/// store lacks) → fetch (blob sources, streamed into partials, hashed as it lands) → verify →
/// scan gate → promote → record the snapshot → materialize. Everything that happens is an
/// event on `events`; every gate's answer is a decision acted on in one place (`Decisions`).
public struct Puller: Sendable {
    public let store: Store
    public let settings: PullSettings
    public let events: any EventSink
    public let cancellation: CancellationFlag
    /// Sees every gate's decision before it is acted on (a policy); nil: decisions stand.
    public var review: (any DecisionReview)?
    /// The admission policy in force (`Workspace.policyGate`); nil: none.
    public var policy: PolicyGate?

    public init(store: Store, settings: PullSettings, events: any EventSink, cancellation: CancellationFlag) {
        self.store = store
        self.settings = settings
        self.events = events
        self.cancellation = cancellation
    }

    var decisions: Decisions { Decisions(events: events, review: review) }

    /// The Hub the settings name: where names are resolved and, by default, bytes fetched.
    var hub: HubSource { HubSource(endpoint: settings.endpoint) }

    /// Where `snapshot`'s files are fetched from: the registry it was resolved on, else the Hub.
    func origin(of snapshot: ResolvedSnapshot) -> any BlobSource {
        snapshot.registry?.blobs ?? hub
    }

    public func pull(_ request: PullRequest) throws -> PullSummary {
        let started = DispatchTime.now()
        let ledger = PullLedger()
        let puller = withEvents(EventFanout([events, ledger]))
        let snapshot = try puller.resolve(
            name: request.name, revision: request.revision, include: request.include, exclude: request.exclude,
            files: request.files, allowUnlisted: request.allowUnlisted, offline: request.offline)

        // Plan: what the store already holds needs no network.
        let present = snapshot.files.map { store.digest(of: $0) }
        puller.events.emit(.resolved(snapshot, present: zip(snapshot.files, present).filter { $0.1 != nil }.map(\.0.path)))

        // Fetch, verify, promote. In copy mode each download also writes the directory's copy as
        // it is hashed, so laying the model out afterwards is a rename, not a second pass.
        let destination = try request.destination.map(ModelDirectory.chosen)
            ?? ModelDirectory.below(
                request.workingDirectory,
                relative: snapshot.registry.map { ModelsIgnore.defaultDirectory(for: $0.repository) } ?? ModelsIgnore.defaultDirectory(for: snapshot.repo))
        // nil: no directory (`pull --hf-cache` without `--to`).
        let materializer = request.layOutDirectory
            ? Materializer(store: store, directory: destination, mode: request.linkMode, force: request.force, events: puller.events) : nil
        // The user's own files stop the pull here, before any download or write.
        try materializer?.refuseOverwrites(zip(snapshot.files, present).map { file, stored in
            .init(path: file.path, size: file.size, sha256: stored ?? file.sha256, gitBlobID: file.contentGitBlobID)
        })
        let missing = zip(snapshot.files, present).filter { $0.1 == nil }.map { file, _ in
            FetchItem(file: file, repo: snapshot.repo.description, commit: snapshot.commit, label: "\(snapshot.repo)/\(file.path)")
        }
        var items = BlobFetcher.firstOfEachContent(missing)
        if request.linkMode == .copy, let materializer {
            // Only the file each download is for: the others with the same content are laid
            // out from the store afterwards.
            for index in items.indices { items[index].copyTo = try materializer.prepareCopy(of: items[index].file.path) }
        }
        defer {  // renamed away on success
            for copy in items.compactMap(\.copyTo) { _ = try? copy.root.removeFile(copy.path) { $0.type == .regular } }
        }
        let gate = ScanGate(policy: settings.scanPolicy, store: store, decisions: puller.decisions)
        let fetched = try puller.fetcher(admission: gate.admission).fetch(items, from: request.offline ? [] : [origin(of: snapshot)], stopOnFailure: true)
        guard fetched.missing.isEmpty else {  // offline: nothing to fetch from
            throw PullError.notStored(repo: snapshot.repo.description, paths: fetched.missing.map(\.file.path))
        }
        var digests: [String: SHA256Digest] = [:]
        for (file, stored) in zip(snapshot.files, present) {
            if let stored {
                // Already stored (an earlier pull, `store add`, another model): still scanned
                // before it is laid out, under today's rules and policy.
                try gate.check(blobOf: stored, in: store, name: file.path)
                puller.events.emit(.verified(path: file.path, digest: stored, size: file.size, origin: .store))
            }
            digests[file.path] = stored ?? fetched.digests[file.contentKey]
        }
        // The policy judges the whole model, from what the store now holds, before it is recorded
        // or laid out.
        if let policy = puller.policy {
            let model = Self.described(snapshot, files: snapshot.files, digests: digests, verdicts: gate)
            let subject = PolicySubject.gather(model, store: store, hub: snapshot.hubFacts)
            _ = try policy.check(subject.subject, name: snapshot.repo.description, decisions: puller.decisions)
        }
        try puller.record(snapshot, digests: digests)

        let methods = try materializer?.apply(
            repo: snapshot.repo.description, commit: snapshot.commit.hex,
            files: snapshot.files.map { ($0.path, digests[$0.path]!, $0.size) },
            prepared: Dictionary(uniqueKeysWithValues: items.compactMap { item in item.copyTo.map { (item.file.path, $0) } })) ?? [:]
        for file in snapshot.files where materializer != nil {
            puller.events.emit(.materialized(path: file.path, directory: destination.path.string, method: methods[file.path] ?? nil))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        puller.events.emit(.finished(operation: "pull", seconds: seconds))
        return PullSummary(
            snapshot: snapshot, destination: destination, digests: digests, ledger: ledger,
            downloadedBytes: items.reduce(0) { $0 + $1.file.size } - fetched.resumedBytes,
            resumedBytes: fetched.resumedBytes, seconds: seconds)
    }

    /// The same puller reporting to `events` instead.
    func withEvents(_ events: any EventSink) -> Puller {
        var copy = Puller(store: store, settings: settings, events: events, cancellation: cancellation)
        copy.review = review
        copy.policy = policy
        return copy
    }

    func fetcher(admission: Admission?) -> BlobFetcher {
        BlobFetcher(store: store, settings: settings, events: events, cancellation: cancellation, admission: admission)
    }

    /// `files` of `snapshot` described as the lock entry a pull would write (what the signature
    /// and policy gates read), with the verdicts `verdicts` judged.
    static func described(_ snapshot: ResolvedSnapshot, files: [SnapshotFile], digests: [String: SHA256Digest], verdicts gate: ScanGate) -> LockedModel {
        let repo = snapshot.registry?.repository ?? snapshot.repo.description
        var model = LockedModel(
            alias: ModelAlias(rawValue: servedAlias)!, requestedRepo: repo, requestedRevision: snapshot.revision,
            include: [], exclude: [], endpoint: snapshot.endpoint, repo: repo, commit: snapshot.commit,
            files: files.map { file in
                let sha = digests[file.path]!
                let judged = gate.judged(sha)
                return LockedFile(
                    path: file.path, size: file.size, sha256: sha, gitBlobID: file.gitBlobID, lfs: file.isLFS,
                    verdict: judged?.verdict ?? .safe, accepted: judged?.accepted ?? [])
            })
        model.scanner = ScannerIdentity.description
        if snapshot.registry != nil { model.source = .oci }
        return model
    }

    /// The signature checker over modelpin's keyring (opened only for models that need it, so
    /// that pulls without signers never need gpg).
    public func signatureGate() throws -> SignatureGate {
        let directory = store.root.appending("keyring").string
        return SignatureGate(keyring: try Keyring(directory: directory, create: false, gpgPath: settings.gpgPath), store: store)
    }

    /// Names gate → resolve the revision to a commit and list the files (a model source) →
    /// keep the selected ones. Nothing is downloaded.
    func resolve(
        name: String, revision: String, include: [String], exclude: [String], files: [String] = [], allowUnlisted: Bool,
        offline: Bool = false, signatureDocuments: Bool = false, modelSignature: Bool = false
    ) throws -> ResolvedSnapshot {
        let resolved: ResolvedSnapshot
        if name.hasPrefix(ModelRequest.ociScheme) {
            try decisions.act(NameGate(names: settings.names, allowlistSource: settings.allowlistSource).decideRegistry(name, allowUnlisted: allowUnlisted))
            resolved = try resolveOCI(name, revision: revision, offline: offline)
        } else {
            let (repo, decision) = try NameGate(names: settings.names, allowlistSource: settings.allowlistSource)
                .decide(name, allowUnlisted: allowUnlisted)
            try decisions.act(decision)
            resolved = try resolve(repo, revision: revision, offline: offline)
        }
        let listed = resolved.files
        var selected = listed.filter { Self.selected($0.path, include: include, exclude: exclude) }
        if !files.isEmpty {
            // Names, not patterns: `model[1].bin` is that file. Each must exist, so a typo is an
            // error rather than a quietly smaller download.
            let paths = Set(listed.map(\.path))
            let absent = files.filter { !paths.contains($0) }
            guard absent.isEmpty else {
                throw PullError.filesNotInSnapshot(repo: resolved.repo.description, revision: revision, paths: absent)
            }
            let named = Set(files)
            selected = selected.filter { named.contains($0.path) }
        }
        if signatureDocuments {
            // What vouches for the selected files comes along, whatever the patterns say.
            let chosen = Set(selected.map(\.path))
            let documents = SignatureGate.documents(in: listed.map(\.path), for: chosen, oms: modelSignature)
            selected += listed.filter { documents.contains($0.path) && !chosen.contains($0.path) }
            selected.sort { $0.path < $1.path }
        }
        guard !selected.isEmpty else {
            throw PullError.noMatchingFiles(repo: resolved.repo.description, include: include, exclude: exclude)
        }
        var snapshot = ResolvedSnapshot(
            repo: resolved.repo, revision: resolved.revision, commit: resolved.commit, files: selected,
            source: resolved.source, endpoint: resolved.endpoint)
        snapshot.commitDate = resolved.commitDate
        snapshot.card = resolved.card
        snapshot.registry = resolved.registry
        return snapshot
    }

    /// `repository` (`oci://HOST[:PORT]/PATH`) at `revision` (a tag or `sha256:…`): from the
    /// registry, or offline from the store's record of it.
    private func resolveOCI(_ repository: String, revision: String, offline: Bool) throws -> ResolvedSnapshot {
        let context = SourceContext(policy: settings.policy, cancellation: cancellation, transport: settings.transport)
        let source = try OCISource(repository: repository, settings: settings, cancellation: cancellation)
        guard offline else { return try source.resolve(revision: revision) }
        // The store names a registry's snapshot by its manifest digest's hex digits (its commit).
        let recorded = revision.hasPrefix("sha256:") ? String(revision.dropFirst("sha256:".count)) : revision
        var snapshot = try StoredSnapshotSource(store: store).resolve(source.storeRepo, revision: recorded, context: context)
        snapshot.registry = (repository, try source.blobs())
        return snapshot
    }

    /// The snapshot from the store's record when offline, else from the Hub. When the Hub cannot
    /// be reached and the store recorded this revision before, the error says so; the record is
    /// used only when the user asks for it (`--offline`), never silently.
    private func resolve(_ repo: RepoID, revision: String, offline: Bool) throws -> ResolvedSnapshot {
        let context = SourceContext(policy: settings.policy, cancellation: cancellation, transport: settings.transport)
        if offline { return try StoredSnapshotSource(store: store).resolve(repo, revision: revision, context: context) }
        do {
            return try hub.resolve(repo, revision: revision, context: context)
        } catch let error as any ModelpinError where [.operational, .unavailable].contains(error.kind) && !(error is PullError) {
            guard let recorded = try? store.snapshot(repo: repo, revision: revision),
                  let commit = try? CommitID(parsing: recorded.commit)
            else { throw error }
            throw PullError.unreachable(repo: repo.description, revision: revision, recorded: commit, underlying: error)
        }
    }

    /// fnmatch semantics, as huggingface_hub's allow/ignore patterns (`*` also crosses `/`).
    /// A pattern ending in `/` names a directory: everything below it (`dir/` is `dir/*`, as
    /// huggingface_hub reads it), since no file's path ends in `/`.
    static func selected(_ path: String, include: [String], exclude: [String]) -> Bool {
        let included = include.isEmpty || include.contains { matches($0, path) }
        return included && !exclude.contains { matches($0, path) }
    }

    static func matches(_ pattern: String, _ path: String) -> Bool {
        fnmatch(pattern.hasSuffix("/") ? pattern + "*" : pattern, path, 0) == 0
    }
}

extension Store {
    /// The stored blob with `file`'s bytes, if any: by SHA-256 when it is known, else by the
    /// git blob id a previous download recorded.
    func digest(of file: SnapshotFile) -> SHA256Digest? {
        if let sha = file.sha256 { return (try? path(of: sha)) != nil ? sha : nil }
        return file.isLFS ? nil : blob(gitBlobID: file.gitBlobID, size: file.size)
    }
}
