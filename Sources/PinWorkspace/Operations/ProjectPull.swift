import PinAudit
import Dispatch
import PinHub
import PinLock
import PinModel
import PinScan
public import PinStore
public import SystemPackage

/// What `pull` of a project is asked to do.
public struct ProjectPullRequest: Sendable {
    /// Only these models (all when empty).
    public var aliases: [String] = []
    /// `--mirror`, in order, as typed.
    public var mirrors: [String] = []
    /// What a relative `--mirror` directory is relative to (the current directory).
    public var workingDirectory: FilePath?
    /// `--locked`: fail if the lock is missing or would change.
    public var locked = false
    /// `--offline`: the store and file:// mirrors only.
    public var offline = false
    /// `--require-signed-lock`: the lock must carry a good signature by a pinned lock signer
    /// (implies `locked`: a signed lock must not change).
    public var requireSignedLock = false
    public var linkMode: LinkMode = .copy
    /// `--force`: replace the user's own files in the models' directories (see `PullRequest.force`).
    public var force = false
    /// `--hf-cache`: every chosen model goes into the Hugging Face cache instead of its
    /// directory (models with `layout = "hf-cache"` always do).
    public var hfCache = false
    /// The cache those models go to (`HFCacheLayout.root`); nil when none can be found, which is
    /// an error only if some model needs it.
    public var hfCacheRoot: FilePath?

    public init() {}
}

/// What `pull` of a project did: the lock's signer when one was required, the lock changes
/// when the lock had to be brought up to date first, and the summary `--json` prints.
public struct ProjectPullResult: Sendable {
    public let lockSignature: LockSignature?
    public let relocked: LockChanges?
    public let summary: ProjectPullSummary
    /// `models/.gitignore`, when this pull made the `models` directory (`ModelsIgnore`).
    public let wroteIgnore: FilePath?
}

/// `pull --json` for a project.
public struct ProjectPullSummary: Sendable, Encodable {
    public struct Model: Sendable, Encodable {
        public let alias: String
        public let repo: String
        public let commit: String
        public let destination: String
        /// The Hub its files are fetched from when neither the store nor a mirror has them:
        /// the endpoint override, else the endpoint the lock records (where it was resolved).
        public let endpoint: String
        public let files: Int
        public let bytes: Int64
        /// Per file fetched by this pull (path → the endpoint or mirror that served it); files
        /// the store held already are not listed.
        public let servedBy: [String: String]
        /// Who vouched for the files, for models with pinned signers.
        public let signature: SignatureGate.Vouch?
        /// Files admitted without being checked (verdict `unsupported`; `--strict` refuses them).
        public let unsupported: [String]
        /// Files admitted only because of --allow-remote-code (verdict `suspicious`).
        public let remoteCode: [String]
        /// What was written into the Hugging Face cache, for a model laid out there (then
        /// `destination` is its snapshot folder).
        public var hfCache: HFCacheWriter.Outcome? = nil
        /// A registry model's attachments as this pull checked them (nil: not from a registry,
        /// or `--offline`).
        public var attachments: [AttachmentReport]? = nil
    }
    public struct Source: Sendable, Encodable {
        public let source: String
        public let blobs: Int
    }
    public let lockfile: String
    public let models: [Model]
    /// Blobs that were in the store already.
    public let fromStore: Int
    /// Blobs downloaded (or copied from a file:// mirror) and verified.
    public let fetched: Int
    public let sources: [Source]
    public let seconds: Double
}

/// A `--mirror` as given: a directory, http(s) or s3:// mirror, or an OCI registry repository
/// (a blob source that needs the pull's transport settings, so made once they are known).
private enum MirrorChoice {
    case blobs(any BlobSource)
    case registry(String)
}

extension Workspace {
    /// `pull [ALIAS...]`: the project's models exactly as the lock names them. The lock is
    /// brought up to date first unless locked; then every locked blob the store lacks is fetched
    /// (store → mirrors → the Hub at the locked commit: the endpoint override, else each model's
    /// recorded endpoint), signatures are checked on the stored blobs, and only then is anything
    /// laid out.
    public func pullProject(_ project: Project, _ request: ProjectPullRequest) throws -> ProjectPullResult {
        try audited("pull", project: project, checkpoint: true) { try $0.pullLocked(project, request) }
    }

    private func pullLocked(_ project: Project, _ request: ProjectPullRequest) throws -> ProjectPullResult {
        let started = DispatchTime.now()
        let sources = try request.mirrors.map { text -> MirrorChoice in
            // An OCI registry repository serves any blob by digest, like a mirror directory.
            if text.hasPrefix(ModelRequest.ociScheme) {
                if request.offline { throw ProjectError.networkMirrorOffline(text) }
                guard let (repository, _) = ModelRequest.splitOCI(text), !text.contains("@") else {
                    throw ProjectError.badMirror(text, reason: "an OCI mirror is a repository, oci://HOST[:PORT]/REPO, with no tag or digest")
                }
                return .registry(repository)
            }
            let mirror = try mirrorSource(parsing: text, relativeTo: request.workingDirectory)
            // --offline promises no network at all: an http(s) or s3:// mirror is a contradiction
            // to point out before anything runs, not a source to skip quietly (then the pull would
            // fail or succeed for reasons the user cannot see).
            if request.offline, mirror.isRemote { throw ProjectError.networkMirrorOffline(mirror.source.description) }
            return .blobs(mirror.source)
        }
        for alias in request.aliases where project.manifest.model(alias) == nil {
            throw ProjectError.unknownAlias(alias, manifest: project.manifestPath, known: project.manifest.models.map(\.alias.rawValue))
        }
        let store = try openStore(.readWrite)
        let signature = request.requireSignedLock ? try checkLockSignature(of: project) : nil
        if let signature { audit?.operation("lock-signer", .string(signature.signer)) }
        let endpoint = configuration.resolveEndpoint(manifest: project.manifest.endpoint)
        let puller = try puller(store: store, endpoint: endpoint, project: project)
        let (lock, relocked) = try currentLock(project, request, puller: puller, endpoint: endpoint)
        noteLock(at: project.lockPath)
        if relocked != nil { audit?.operation("relocked", .bool(true)) }
        let chosen = lock.models.filter { request.aliases.isEmpty || request.aliases.contains($0.alias.rawValue) }
        var locked = LockedPuller(puller: puller)
        locked.mirrors = try sources.map { choice -> any BlobSource in
            switch choice {
            case .blobs(let source): source
            case .registry(let repository): try OCISource(repository: repository, settings: puller.settings, cancellation: puller.cancellation).blobs()
            }
        }
        locked.offline = request.offline
        locked.endpointOverride = try configuration.endpointOverride.map { try HubEndpoint($0) }
        let outcome = try locked.fetch(chosen)
        // Signatures are checked on the stored blobs before anything reaches a directory.
        let vouches = try locked.verifySignatures(chosen)
        // A registry model's attachments too, before anything reaches a directory: with signers
        // pinned, one that fails its check refuses the pull; without, it is a warning.
        let attachments = request.offline ? [:] : try checkAttachments(of: chosen.filter(\.isOCI), store: store, puller: puller)
        // The policy in force judges every model again from the store's facts (a lock's
        // recorded decision is a record for review, as its verdicts are).
        try locked.checkPolicy(chosen, vouches: vouches)
        // Every model's directory is looked at before anything is written to any of them. Not
        // before the fetch: a lock edited to name other bytes must be refused as such (digest,
        // verdict), not as a user's file that the lock's bytes would replace.
        // Models laid out in the Hugging Face cache have no directory to look at or write.
        let toCache = chosen.filter { request.hfCache || project.manifest.model($0.alias)?.layout == .hfCache }.map(\.alias)
        var cacheWriter: HFCacheWriter?
        if !toCache.isEmpty {
            guard let root = request.hfCacheRoot else { throw HFCacheError.noCacheRoot }
            cacheWriter = HFCacheWriter(store: store, cacheRoot: root)
        }
        let inDirectories = chosen.filter { !toCache.contains($0.alias) }
        let layouts = try locked.layouts(
            inDirectories.map { ($0, try project.modelDirectory(of: project.manifest.model($0.alias)!)) }, mode: request.linkMode, force: request.force)
        try locked.record(chosen)
        var models: [ProjectPullSummary.Model] = []
        var wroteIgnore: FilePath?
        for model in chosen {
            let requested = project.manifest.model(model.alias)!
            var exported: HFCacheWriter.Outcome?
            let destination: String
            if let cacheWriter, toCache.contains(model.alias) {
                let item = try Self.exportItem(model)
                guard let snapshot = try store.snapshot(repo: item.repo, revision: item.lookup) else {
                    throw HFCacheError.snapshotNotInStore(repo: model.repo, revision: model.commit.hex)
                }
                exported = try cacheWriter.export(snapshot, revision: item.revision, writeTree: item.complete)
                destination = exported!.snapshot
            } else {
                let layout = layouts[inDirectories.firstIndex { $0.alias == model.alias }!]
                if case .wrote(let path) = try ModelsIgnore.prepare(model: requested.directory ?? ModelsIgnore.defaultDirectory(for: requested.repo), in: project.directory) {
                    wroteIgnore = path
                }
                destination = layout.directory.path.string
                try locked.materialize(model, with: layout)
            }
            var entry = ProjectPullSummary.Model(
                alias: model.alias.rawValue, repo: model.repo, commit: model.commit.hex, destination: destination,
                endpoint: model.isOCI ? model.endpoint : configuration.endpointOverride ?? WorkspaceConfiguration.trimmed(model.endpoint),
                files: model.files.count, bytes: model.totalSize,
                servedBy: Dictionary(model.files.compactMap { file in outcome.servedBy[file.sha256].map { (file.path, $0) } }) { first, _ in first },
                signature: vouches[model.alias.rawValue],
                unsupported: model.files.filter { $0.verdict == .unsupported }.map(\.path),
                remoteCode: model.files.filter { $0.verdict == .suspicious }.map(\.path))
            entry.hfCache = exported
            entry.attachments = attachments[model.alias.rawValue]
            models.append(entry)
            var audited = AuditEntry.model(model)
            audited.extra["destination"] = .string(destination)
            audit?.model(audited)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let summary = ProjectPullSummary(
            lockfile: project.lockPath.string, models: models, fromStore: outcome.present,
            fetched: outcome.fetched.reduce(0) { $0 + $1.count },
            sources: outcome.fetched.map { .init(source: $0.source, blobs: $0.count) }, seconds: seconds)
        return ProjectPullResult(lockSignature: signature, relocked: relocked, summary: summary, wroteIgnore: wroteIgnore)
    }

    /// Each registry model's attachments, checked (`OCIAttachments`). A model that pins signers
    /// trusts nothing its registry attaches blindly: an attachment that fails its check (a
    /// signature by another key, a lock or scan report about other bytes, another `model.sig`)
    /// refuses the pull. Without pinned signers, each failure is a warning, as on a pull by name.
    private func checkAttachments(of models: [LockedModel], store: Store, puller: Puller) throws -> [String: [AttachmentReport]] {
        var reports: [String: [AttachmentReport]] = [:]
        for model in models {
            guard let manifest = model.commit.ociManifest else { continue }
            let checked = try attachmentReports(
                repository: model.repo, manifest: manifest, files: model.files.map { ($0.path, $0.sha256) }, store: store, puller: puller)
            for report in checked where report.status == .failed {
                if !model.pinnedSigners.isEmpty {
                    throw ProjectError.attachmentRefused(alias: model.alias.rawValue, name: report.name ?? report.digest, reason: report.detail)
                }
                events.emit(.warning("the attachment \(report.name ?? report.digest) (\(report.artifactType)) of `\(model.alias)` failed its check: \(report.detail)"))
            }
            reports[model.alias.rawValue] = checked
        }
        return reports
    }

    /// The lock to pull from: the one on disk when it answers the manifest (registered as a
    /// root), else a new one written first — unless the pull is locked or offline.
    private func currentLock(_ project: Project, _ request: ProjectPullRequest, puller: Puller, endpoint: String) throws -> (Lockfile, LockChanges?) {
        // A lock with merge-conflict markers reads as what both its sides agree on, and is
        // rewritten without them before anything is pulled from it.
        let (lock, conflict) = try project.loadPreviousLock()
        var drift = Self.drift(of: lock, from: project)
        if conflict == nil, let changed = Self.policyDrift(of: lock, under: puller.policy) { drift.append(changed) }
        let isLocked = request.locked || request.requireSignedLock  // a signed lock must not change
        if let conflict, isLocked { throw ProjectError.lockConflicted(project.lockPath, line: conflict.firstMarkerLine, disputed: conflict.disputed) }
        if lock == nil, isLocked { throw ProjectError.lockMissing(project.lockPath) }
        guard let lock, drift.isEmpty, conflict == nil else {
            if isLocked { throw ProjectError.lockOutdated(project.lockPath, drift) }
            if request.offline, !drift.isEmpty { throw ProjectError.offlineNeedsResolve(project.lockPath, drift) }
            var made = try relock(project, previous: lock, puller: puller, endpoint: endpoint)
            made.resolvedConflict = conflict
            try project.writeLock(made.lock, store: puller.store)
            return (made.lock, made)
        }
        try Project.registerRoot(lock, at: project.lockPath, store: puller.store)
        return (lock, nil)
    }
}
