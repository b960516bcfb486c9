import Dispatch
public import PinHub
public import PinLock
public import PinModel
import PinScan
public import PinStore
import PinTransport
import PinVerify
import SystemPackage

/// `pull` from a lock: every blob the lock names is made present in the store — from the
/// store itself, then each mirror in order, then each model's Hub at the locked commit (unless
/// offline) — and each model is laid out in its directory. No name is resolved and the lock is
/// never changed: repo, commit and digests pin the content, so a mirror or another endpoint is
/// transport only.
public struct LockedPuller: Sendable {
    public let puller: Puller
    /// Directories, http(s) and s3:// mirrors and OCI registries (`--mirror`), tried in order
    /// before the Hub.
    public var mirrors: [any BlobSource] = []
    public var offline = false
    /// Where to fetch from instead of each model's locked endpoint (`--endpoint`,
    /// `MODELPIN_ENDPOINT`, `HF_ENDPOINT`); nil: the endpoint the lock records.
    public var endpointOverride: HubEndpoint?

    public init(puller: Puller) {
        self.puller = puller
    }

    /// What `fetch` did, for the summary.
    public struct Outcome: Sendable {
        public var present = 0
        /// Per source description: how many blobs it provided.
        public var fetched: [(source: String, count: Int, bytes: Int64)] = []
        /// Per blob fetched now: the source (endpoint or mirror) that served it.
        public var servedBy: [SHA256Digest: String] = [:]
    }

    /// Makes every blob of `models` present in the store. Throws naming every blob no source
    /// could provide.
    public func fetch(_ models: [LockedModel]) throws -> Outcome {
        for model in models {
            let problems = PathSafety.problems(in: model.files.map(\.path))
            guard problems.isEmpty else { throw ProjectError.unsafeLockedPaths(alias: model.alias.rawValue, lock: nil, problems) }
        }
        var outcome = Outcome()
        // Verdicts come from the store (written by the scanner) or from a scan now — downloads
        // before admission, stored blobs before they are laid out. The lock's own verdicts are
        // only compared: one that disagrees with the scanner is refused, naming both.
        let gate = ScanGate(policy: puller.settings.scanPolicy, store: puller.store, lockedModels: models, decisions: puller.decisions)
        var needed: [FetchItem] = []
        var aliases: [String: String] = [:]
        for model in models {
            for file in model.files where aliases[file.sha256.hex] == nil {
                aliases[file.sha256.hex] = model.alias.rawValue
                if (try? puller.store.path(of: file.sha256)) != nil {
                    try gate.check(blobOf: file.sha256, in: puller.store, name: file.path)
                    puller.events.emit(.verified(path: file.path, digest: file.sha256, size: file.size, origin: .store))
                    outcome.present += 1
                    continue
                }
                needed.append(FetchItem(file: file.snapshotFile, repo: model.repo, commit: model.commit, label: "\(model.repo)/\(file.path)"))
            }
        }
        guard !needed.isEmpty else { return outcome }
        let sources: [any BlobSource] = mirrors + (offline ? [] : try hubs(for: models.filter { !$0.isOCI }) + registries(for: models))
        let result = try puller.fetcher(admission: gate.admission).fetch(needed, from: sources, stopOnFailure: false)
        for item in needed {
            if let digest = item.file.sha256, let source = result.servedBy[item.file.contentKey] { outcome.servedBy[digest] = source }
        }
        for source in sources {
            let served = needed.filter { result.servedBy[$0.file.contentKey] == source.description }
            if !served.isEmpty {
                outcome.fetched.append((source.description, served.count, served.reduce(Int64(0)) { $0 + $1.file.size }))
            }
        }
        guard result.missing.isEmpty else {
            if let down = Self.unavailableSources(result) {
                throw ProjectError.sourcesUnavailable(
                    down.sources, missing: result.missing.map { "`\(aliases[$0.file.sha256!.hex]!)`: \($0.file.path)" }, reason: down.reason)
            }
            let lines = result.missing.map { item in
                "`\(aliases[item.file.sha256!.hex]!)`: \(item.file.path) (\(item.file.sha256!))"
                    + (result.failures[item.file.contentKey].map { ": " + BlobFetcher.explain($0) } ?? "")
            }
            // A source that sent other bytes than the lock names is a refusal, not an outage.
            let refused = result.missing.contains { item in
                result.failures[item.file.contentKey].map { ($0 as? any ModelpinError)?.kind == .refused } ?? false
            }
            throw ProjectError.blobsUnavailable(lines, offline: offline, refused: refused)
        }
        return outcome
    }

    /// When every missing file failed because its last source was unreachable or answered only
    /// temporary failures: those sources and the first reason (one error for a Hub that is down,
    /// not a line per file). nil when any file failed otherwise (wrong bytes, not found).
    static func unavailableSources(_ result: FetchOutcome) -> (sources: [String], reason: String)? {
        var sources: [String] = []
        var reason: String?
        for item in result.missing {
            let key = item.file.contentKey
            guard let error = result.failures[key] as? any ModelpinError, error.kind == .unavailable, let source = result.failedAt[key] else {
                return nil
            }
            if !sources.contains(source) { sources.append(source) }
            reason = reason ?? BlobFetcher.explain(error)
        }
        return reason.map { (sources, $0) }
    }

    /// The registry each OCI model's bytes come from (its locked repository), each serving
    /// only its own models' blobs, by digest.
    func registries(for models: [LockedModel]) throws -> [any BlobSource] {
        var seen = Set<String>()
        return try models.filter { $0.isOCI && seen.insert($0.repo).inserted }.map { model in
            try OCISource(repository: model.repo, settings: puller.settings, cancellation: puller.cancellation).blobs()
        }
    }

    /// The Hub each model's bytes come from at its locked commit: the override, else the
    /// endpoint the lock records. Each serves only its own models.
    func hubs(for models: [LockedModel]) throws -> [HubSource] {
        var byEndpoint: [String: (HubEndpoint, Set<String>)] = [:]
        var order: [String] = []
        for model in models {
            let endpoint = try endpointOverride ?? HubEndpoint(model.endpoint)
            if byEndpoint[endpoint.description] == nil { order.append(endpoint.description) }
            byEndpoint[endpoint.description, default: (endpoint, [])].1.insert(model.repo)
        }
        return order.map { key in
            var source = HubSource(endpoint: byEndpoint[key]!.0)
            source.repos = byEndpoint[key]!.1
            return source
        }
    }

    /// Checks the signatures of every model that requires signers, against the blobs now in
    /// the store: the signer must be the one the lock records.
    public func verifySignatures(_ models: [LockedModel]) throws -> [String: SignatureGate.Vouch] {
        var vouches: [String: SignatureGate.Vouch] = [:]
        let signed = models.filter { !$0.pinnedSigners.isEmpty }
        guard !signed.isEmpty else { return vouches }
        let gate = try puller.signatureGate()
        for model in signed {
            guard let vouch = try gate.check(model, signers: model.pinnedSigners, decisions: puller.decisions) else { continue }
            if let locked = model.vouchedBy, locked != vouch.signer {
                throw ProjectError.signerChanged(alias: model.alias.rawValue, locked: locked.description, now: vouch.signer.description)
            }
            vouches[model.alias.rawValue] = vouch
        }
        return vouches
    }

    /// The policy gate over each model, from the store's facts (its commit pinned by the lock,
    /// so no cooldown without a date): throws at the first block.
    public func checkPolicy(_ models: [LockedModel], vouches: [String: SignatureGate.Vouch]) throws {
        let locker = Locker(puller: puller)
        for var model in models {
            model.setVouchedBy(vouches[model.alias.rawValue]?.signer)  // what was checked now, not what the lock says
            _ = try locker.judge(model, hub: nil)
        }
    }

    /// Records the models' snapshots in the store (after `fetch` and `verifySignatures`, before
    /// any of them is laid out): one update of `index.json` for all of them.
    public func record(_ models: [LockedModel]) throws {
        try puller.record(models, resolved: false)
    }

    /// Lays one locked model out in `destination`. Without `force`, refuses (before writing)
    /// to replace a file there that modelpin did not lay out and that holds other bytes.
    public func materialize(_ model: LockedModel, at destination: ModelDirectory, mode: LinkMode, force: Bool = false) throws {
        try materialize(model, with: Materializer(store: puller.store, directory: destination, mode: mode, force: force, events: puller.events))
    }

    /// One materializer per model, each directory looked at first: throws naming every file of
    /// every directory that is the user's own (unless `force`), before anything is written to
    /// any of them. `apply` looks again before its first rename.
    func layouts(_ models: [(LockedModel, ModelDirectory)], mode: LinkMode, force: Bool) throws -> [Materializer] {
        let materializers = models.map { Materializer(store: puller.store, directory: $1, mode: mode, force: force, events: puller.events) }
        var found: [FilePath] = []
        for ((model, _), materializer) in zip(models, materializers) {
            found += try materializer.overwrites(model.files.map { .init(path: $0.path, size: $0.size, sha256: $0.sha256, gitBlobID: nil) })
        }
        if !found.isEmpty { throw PullError.wouldOverwrite(found) }
        return materializers
    }

    func materialize(_ model: LockedModel, with materializer: Materializer) throws {
        let problems = PathSafety.problems(in: model.files.map(\.path))
        guard problems.isEmpty else { throw ProjectError.unsafeLockedPaths(alias: model.alias.rawValue, lock: nil, problems) }
        _ = try materializer.apply(repo: model.repo, commit: model.commit.hex, files: model.files.map { ($0.path, $0.sha256, $0.size) })
    }
}

extension LockedFile {
    /// The file as sources and the download engine see it: every fact the lock pins.
    var snapshotFile: SnapshotFile {
        SnapshotFile(path: path, size: size, gitBlobID: gitBlobID, sha256: sha256, isLFS: lfs)
    }
}
