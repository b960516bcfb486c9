import PinAudit
import PinLock
import PinDigest
import PinModel
import PinScan
import PinStore
public import SystemPackage

/// What `import --hf-cache` is asked to do.
public struct HFCacheImportRequest: Sendable {
    /// The cache root (`--cache-dir`, else the one huggingface_hub would use).
    public var cache: FilePath
    /// `REPO[@REV]...`; empty: every repo folder in the cache.
    public var selections: [HFCacheSelection] = []
    /// `--lock`: add the adopted snapshots to this project's modelpin.toml and modelpin.lock.
    public var lockInto: Project?

    public init(cache: FilePath) {
        self.cache = cache
    }
}

extension Workspace {
    /// `import --hf-cache [REPO[@REV]...] [--lock]`: adopts what a Hugging Face cache holds.
    /// Every blob is checked against its own name and scanned before it enters the store; each
    /// snapshot whose every file passed is recorded as a manifest. Refusals are in the report,
    /// not thrown (the caller turns them into exit 1); a store that cannot be written, or a
    /// cache that cannot be opened, is thrown.
    public func importHFCache(_ request: HFCacheImportRequest) throws -> HFCacheImportReport {
        try audited("import", project: request.lockInto, checkpoint: request.lockInto != nil) { workspace in
            let report = try workspace.importNow(request)
            workspace.noteImported(report)
            return report
        }
    }

    /// Each snapshot as `import` judged it, and the refusals as the operation's problems.
    private func noteImported(_ report: HFCacheImportReport) {
        guard let audit else { return }
        audit.operation("cache", .string(report.cache))
        let shapes = (report.findings + report.repos.flatMap(\.findings)).filter { $0.kind != .skipped }
        audit.problems(shapes.map { "\($0.path): \($0.reason)" })
        for repo in report.repos {
            for snapshot in repo.snapshots where snapshot.outcome != .skipped {
                let entry = AuditEntry.model(snapshot, repo: repo.repo)
                audit.model(entry)
                audit.problems(entry.reasons.map { "\(repo.repo)@\(snapshot.commit): \($0)" })
            }
        }
    }

    private func importNow(_ request: HFCacheImportRequest) throws -> HFCacheImportReport {
        let listing = try Self.readCache(request.cache, selections: request.selections)
        let store = try openStore(.readWrite)
        let gate = ScanGate(policy: configuration.scanPolicy, store: store, decisions: Decisions(events: events, review: review))
        var report = try HFCacheImporter(store: store, admission: gate.admission)
            .run(listing, selections: request.selections, cache: request.cache)
        if let project = request.lockInto {
            report.locked = try lockImported(report, selections: request.selections, into: project, store: store, gate: gate)
        }
        return report
    }

    /// The cache read as hostile input, only the named repos (each must be there).
    static func readCache(_ cache: FilePath, selections: [HFCacheSelection]) throws -> HFCacheListing {
        let root: DirectoryRoot
        do {
            root = try DirectoryRoot.open(cache, create: false)
        } catch {
            throw HFCacheReadError.unreadableCache(cache, error.description)
        }
        let listing = HFCacheReader(root: root).read(only: Set(selections.map(\.repo)))
        for selection in selections {
            guard let repo = listing.repos.first(where: { Self.same($0.repo, selection.repo) }) else {
                throw HFCacheReadError.repoNotInCache(selection.repo.description, cache: cache)
            }
            if let revision = selection.revision, !repo.snapshots.contains(where: { selection.names($0) }) {
                throw HFCacheReadError.revisionNotInCache(
                    repo: selection.repo.description, revision: revision, cache: cache,
                    known: repo.snapshots.map { ([$0.commit.hex] + $0.revisions).joined(separator: " ") })
            }
        }
        return listing
    }

    /// The Hub matches ids ASCII-case-insensitively; the kind is part of the identity.
    static func same(_ a: RepoID, _ b: RepoID) -> Bool {
        a.kind == b.kind && a.ownerAndName.lowercased() == b.ownerAndName.lowercased()
    }

    // MARK: --lock

    /// Adds one recorded snapshot per repo to the project: `REPO@REV`'s, else the one `main`
    /// names, else the only one, each through the name gate (allowlist, typosquats) as `lock`
    /// would. Nothing is written unless every one passed. Manifest first, then the lock (as
    /// `add` writes them). The lock entry says `source = "hf-cache"`: its facts come from a
    /// cache, not from a Hub, until `lock --update` confirms them.
    func lockImported(
        _ report: HFCacheImportReport, selections: [HFCacheSelection], into project: Project, store: Store, gate: ScanGate
    ) throws -> [HFCacheImportReport.Locked] {
        let previous = try project.loadLock()
        var models = previous?.models ?? []
        var text = project.manifestText
        var manifest = project.manifest
        var locked: [HFCacheImportReport.Locked] = []
        let endpoint = configuration.resolveEndpoint(manifest: project.manifest.endpoint)
        // A lock is where the name check stands guard (`lock` runs it on every model): a cache
        // holding a typosquat must not slip it into the project by way of an import.
        let (checker, allowlistSource) = try configuration.allowlist()
        let names = NameGate(names: checker, allowlistSource: allowlistSource)
        let decisions = Decisions(events: events, review: review)
        // The admission policy, as `lock` applies it. A cache states no commit date: a cooldown
        // refuses what it cannot show to be old enough (`lock --update` asks the Hub).
        let policy = try policyGate(project: project)
        if previous?.policyDigest != policy?.digest {
            models = try models.map { model in
                var model = model
                model.policy = try policy?.judge(model, store: store, hub: nil, decisions: decisions)
                return model
            }
        }
        for repo in report.repos {
            let recorded = repo.snapshots.filter { $0.outcome == .recorded }
            guard !recorded.isEmpty, let id = try? RepoID(parsing: repo.repo) else { continue }
            try decisions.act(try names.decide(repo.repo, allowUnlisted: false).decision)
            let selection = selections.first { Self.same($0.repo, id) }
            guard let snapshot = try Self.chooseSnapshot(recorded, selection: selection, repo: repo.repo) else { continue }
            let revision = Self.requestedRevision(snapshot, selection: selection)
            if let existing = manifest.models.first(where: { (try? RepoID(parsing: $0.repo)).map { Self.same($0, id) } ?? false }) {
                // Already in the project: leave the person's entry and its lock alone.
                if let lockedModel = models.first(where: { $0.alias == existing.alias }), lockedModel.commit.hex == snapshot.commit {
                    locked.append(.init(alias: existing.alias.rawValue, repo: repo.repo, commit: snapshot.commit, revision: existing.revision, outcome: .unchanged))
                    continue
                }
                throw HFCacheReadError.alreadyInProject(
                    repo: repo.repo, alias: existing.alias.rawValue, locked: models.first { $0.alias == existing.alias }?.commit.hex,
                    cached: snapshot.commit, manifest: project.manifestPath)
            }
            let alias = Self.freeAlias(for: repo.repo, in: manifest)
            let request = ModelRequest(alias: alias, repo: repo.repo, revision: revision)
            text = ManifestFormat.appending(request, to: text)
            manifest.models.append(request)
            var model = try Self.lockedModel(request, snapshot: snapshot, endpoint: endpoint, gate: gate)
            // Adopted, not pinned: no Hub stated a date (a cooldown fails closed until `lock --update`).
            model.policy = try policy?.judge(model, store: store, hub: HubFacts(lastModified: nil, cardData: nil), decisions: decisions)
            models.append(model)
            locked.append(.init(alias: alias.rawValue, repo: repo.repo, commit: snapshot.commit, revision: revision, outcome: .added))
        }
        guard locked.contains(where: { $0.outcome == .added }) else { return locked }
        // writeManifest parses and checks the edited manifest (directories distinct) before it writes.
        let saved = try project.writeManifest(text)
        try saved.writeLock(Lockfile(models: models, policyDigest: policy?.digest), store: store)
        return locked
    }

    /// The lock entry of an adopted snapshot: its files as admitted, with the verdicts the scan
    /// gate gave them, and the mark that no Hub resolved it.
    static func lockedModel(
        _ request: ModelRequest, snapshot: HFCacheImportReport.Snapshot, endpoint: String, gate: ScanGate
    ) throws -> LockedModel {
        let files = snapshot.files.map { file in
            let etag = try? HFCacheETag(name: file.etag)
            let judged = gate.judged(file.sha256!)
            return LockedFile(
                path: file.path, size: file.size!, sha256: file.sha256!,
                gitBlobID: etag?.gitBlobID ?? Self.lfsPointerID(file.sha256!, size: file.size!),
                lfs: etag?.isLFS ?? false, verdict: judged?.verdict ?? .safe, accepted: judged?.accepted ?? [])
        }
        var model = LockedModel(
            alias: request.alias, requestedRepo: request.repo, requestedRevision: request.revision, include: [], exclude: [],
            endpoint: endpoint, repo: request.repo, commit: try CommitID(parsing: snapshot.commit), files: files)
        model.scanner = ScannerIdentity.description
        model.source = .hfCache
        return model
    }

    /// Which recorded snapshot of a repo `--lock` takes; nil when the selection named one that
    /// was not recorded (it is reported refused already).
    static func chooseSnapshot(
        _ recorded: [HFCacheImportReport.Snapshot], selection: HFCacheSelection?, repo: String
    ) throws -> HFCacheImportReport.Snapshot? {
        if let revision = selection?.revision {
            return recorded.first { $0.commit == revision || $0.revisions.contains(revision) }
        }
        if let main = recorded.first(where: { $0.revisions.contains("main") }) { return main }
        if recorded.count == 1 { return recorded[0] }
        throw HFCacheReadError.ambiguousSnapshot(repo: repo, commits: recorded.map(\.commit))
    }

    /// What the manifest asks for: the ref given or naming the snapshot (`main` first), else the commit.
    static func requestedRevision(_ snapshot: HFCacheImportReport.Snapshot, selection: HFCacheSelection?) -> String {
        if let revision = selection?.revision, snapshot.revisions.contains(revision) { return revision }
        if snapshot.revisions.contains("main") { return "main" }
        return snapshot.revisions.first ?? snapshot.commit
    }

    /// `add`'s alias for the repo, made unique with `-2`, `-3`… if the manifest uses it.
    static func freeAlias(for repo: String, in manifest: Manifest) -> ModelAlias {
        let base = ModelAlias.suggested(forRepo: repo)
        var candidate = base
        var number = 2
        while manifest.model(candidate) != nil {
            candidate = ModelAlias(rawValue: String(base.rawValue.prefix(ModelAlias.maximumLength - 4)) + "-\(number)") ?? base
            number += 1
        }
        return candidate
    }

    /// The git blob id of an LFS file as the Hub lists it: the id of its pointer file, whose
    /// text the git-lfs spec fixes (v1: version, oid, size lines). The cache keeps no pointer;
    /// `lock --update` checks this id against the Hub's.
    static func lfsPointerID(_ sha256: SHA256Digest, size: Int64) -> GitBlobID {
        GitBlobHasher.id(of: Array("version https://git-lfs.github.com/spec/v1\noid sha256:\(sha256.hex)\nsize \(size)\n".utf8))
    }
}
