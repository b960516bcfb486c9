import Dispatch
public import PinHub
public import PinLock
import PinModel
import PinScan
public import PinStore
public import PinTransport
import PinVerify
public import SystemPackage

/// Where locked bytes may come from, besides the store. The lock names every digest, so any
/// source is as good as any other: each byte is checked against the lock, never trusted
/// because of where it came from.
public enum BlobSource: Sendable, Equatable, CustomStringConvertible {
    /// A directory in the store's blob layout (`blobs/sha256/<hex>`), read as `file://`.
    case directory(FilePath)
    /// The same layout served over http(s) (nginx, a bucket).
    case server(HTTPURL)

    /// `file:///abs/dir`, `/abs/dir`, or an http(s) URL.
    public init(parsing text: String) throws(ProjectError) {
        if text.hasPrefix("file://") {
            let path = String(text.dropFirst("file://".count))
            guard path.hasPrefix("/") else { throw .badMirror(text, reason: "a file:// URL needs an absolute path (file:///srv/mirror)") }
            self = .directory(FilePath(path).lexicallyNormalized())
        } else if text.hasPrefix("/") {
            self = .directory(FilePath(text).lexicallyNormalized())
        } else if text.hasPrefix("http://") || text.hasPrefix("https://") {
            var base = text
            if !base.hasSuffix("/") { base += "/" }
            guard let url = HTTPURL(base) else { throw .badMirror(text, reason: "not a valid URL") }
            self = .server(url)
        } else {
            throw .badMirror(text, reason: "only http://, https:// and file:// mirrors are supported")
        }
    }

    public var description: String {
        switch self {
        case .directory(let path): "file://" + path.string
        case .server(let url): url.description
        }
    }

    func blobURL(_ digest: SHA256Digest) -> HTTPURL? {
        guard case .server(let base) = self else { return nil }
        return HTTPURL(base.description + "blobs/sha256/" + digest.hex)
    }
}

/// `pull` from a lock: every blob the lock names is made present in the store — from the
/// store itself, then each mirror in order, then the Hub at the locked commit (unless offline)
/// — and each model is laid out in its directory. No name is resolved and the lock is never
/// changed: a mirror is transport only.
public struct LockedPuller: Sendable {
    public let puller: Puller
    public var mirrors: [BlobSource] = []
    public var offline = false
    /// The Hub to fall back to; nil: each model's locked endpoint.
    public var endpointOverride: HubEndpoint?

    public init(puller: Puller) {
        self.puller = puller
    }

    /// One locked file still missing from the store, and a model that names it.
    struct Needed {
        let model: LockedModel
        let file: LockedFile
    }

    /// What `fetch` did, for the summary.
    public struct Outcome: Sendable {
        public var present = 0
        /// Per source description: how many blobs it provided.
        public var fetched: [(source: String, count: Int, bytes: Int64)] = []
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
        let gate = ScanGate(policy: puller.settings.scanPolicy, store: puller.store, lockedModels: models)
        var needed: [SHA256Digest: Needed] = [:]
        var order: [SHA256Digest] = []
        for model in models {
            for file in model.files where needed[file.sha256] == nil {
                if (try? puller.store.path(of: file.sha256)) != nil {
                    try gate.check(blobOf: file.sha256, in: puller.store, name: file.path)
                    outcome.present += 1
                    continue
                }
                needed[file.sha256] = Needed(model: model, file: file)
                order.append(file.sha256)
            }
        }
        guard !order.isEmpty else { return outcome }
        // The last reason each source gave for a blob it could not provide.
        var failures: [SHA256Digest: any Error] = [:]

        for mirror in mirrors {
            let pending = order.filter { needed[$0] != nil }
            if pending.isEmpty { break }
            let got = try fetch(pending.map { needed[$0]! }, from: mirror, gate: gate, failures: &failures)
            if !got.isEmpty {
                outcome.fetched.append((mirror.description, got.count, got.reduce(Int64(0)) { $0 + (needed[$1]?.file.size ?? 0) }))
            }
            for digest in got { needed[digest] = nil }
        }
        if !offline {
            let pending = order.filter { needed[$0] != nil }
            if !pending.isEmpty {
                let got = try fetchFromHub(pending.map { needed[$0]! }, gate: gate, failures: &failures)
                if !got.isEmpty {
                    outcome.fetched.append(("the Hub", got.count, got.reduce(Int64(0)) { $0 + (needed[$1]?.file.size ?? 0) }))
                }
                for digest in got { needed[digest] = nil }
            }
        }
        let missing = order.filter { needed[$0] != nil }
        guard missing.isEmpty else {
            let lines = missing.map { digest in
                let item = needed[digest]!
                return "`\(item.model.alias)`: \(item.file.path) (\(digest))" + (failures[digest].map { ": " + Self.explain($0) } ?? "")
            }
            // A source that sent other bytes than the lock names is a refusal, not an outage.
            let refused = missing.contains { digest in
                failures[digest].map { ($0 as? any ModelpinError)?.kind == .refused } ?? false
            }
            throw ProjectError.blobsUnavailable(lines, offline: offline, refused: refused)
        }
        return outcome
    }

    /// Tries one mirror for every pending blob; returns the digests it provided. A wrong or
    /// missing blob there is a warning (the next source is tried), not a failure.
    func fetch(_ pending: [Needed], from mirror: BlobSource, gate: ScanGate, failures: inout [SHA256Digest: any Error]) throws -> [SHA256Digest] {
        switch mirror {
        case .directory(let root):
            var got: [SHA256Digest] = []
            for item in pending {
                if puller.cancellation.isCancelled { throw PullError.interrupted }
                let path = root.appending("blobs").appending("sha256").appending(item.file.sha256.hex)
                guard (try? Stat(path)) != nil else { continue }
                do {
                    _ = try puller.store.ingest(
                        file: path, expecting: BlobExpectation(digest: item.file.sha256, size: item.file.size), admit: gate.admission)
                    puller.reporter.finished(item.file.path, size: item.file.size, downloaded: true)
                    got.append(item.file.sha256)
                } catch {
                    failures[item.file.sha256] = error
                    puller.reporter.warning("mirror \(mirror): `\(item.file.path)` refused, trying the next source: \(Self.explain(error))")
                }
            }
            return got
        case .server(let base):
            let jobs = pending.map { item in
                (item, mirror.blobURL(item.file.sha256)!)
            }
            // A mirror given as http:// was chosen explicitly, like an http:// endpoint; its
            // redirects still may not downgrade, and the Hub token never goes to it.
            var settings = puller.settings
            if !base.isSecure { settings.policy.plainHTTPOrigins.insert(base.origin) }
            return try download(jobs, commit: nil, label: "mirror \(mirror)", settings: settings, gate: gate, failures: &failures)
        }
    }

    /// The Hub, at each model's locked commit: the same URLs a pull by name uses.
    func fetchFromHub(_ pending: [Needed], gate: ScanGate, failures: inout [SHA256Digest: any Error]) throws -> [SHA256Digest] {
        var byCommit: [String: [(Needed, HTTPURL)]] = [:]
        for item in pending {
            let endpoint = try endpointOverride ?? HubEndpoint(item.model.endpoint)
            let repo = try RepoID(parsing: item.model.repo)
            let snapshot = Snapshot(repo: repo, revision: item.model.commit.hex, commit: item.model.commit)
            byCommit[item.model.commit.hex, default: []].append((item, HubClient(endpoint: endpoint).url(of: item.file.path, in: snapshot)))
        }
        var got: [SHA256Digest] = []
        for (commit, jobs) in byCommit.sorted(by: { $0.key < $1.key }) {
            got += try download(jobs, commit: commit, label: "the Hub", settings: puller.settings, gate: gate, failures: &failures)
        }
        return got
    }

    /// Downloads into the store, each blob checked against the lock's size and SHA-256 (and
    /// git blob id for plain git files). Returns what arrived intact.
    private func download(
        _ items: [(Needed, HTTPURL)], commit: String?, label: String, settings: PullSettings, gate: ScanGate,
        failures: inout [SHA256Digest: any Error]
    ) throws -> [SHA256Digest] {
        let store = puller.store
        var jobs: [DownloadEngine.Job] = []
        defer { for job in jobs { job.partial.close() } }
        for (item, url) in items {
            let file = item.file
            let partial = try store.openPartial(
                expected: .init(size: file.size, sha256: file.sha256, gitBlobID: file.lfs ? nil : file.gitBlobID),
                partSize: file.size > settings.partSize ? settings.partSize : max(file.size, 1),
                source: "\(label): \(item.model.repo)/\(file.path)")
            if partial.resumedBytes > 0 { puller.reporter.resumed(file.path, bytes: partial.resumedBytes) }
            let hubFile = HubFile(path: file.path, size: file.size, gitOID: file.gitBlobID, lfsSHA256: file.lfs ? file.sha256 : nil)
            jobs.append(DownloadEngine.Job(file: hubFile, url: url, partial: partial))
        }
        let results = try DownloadEngine(
            jobs: jobs, store: store, commit: commit, settings: settings, reporter: puller.reporter,
            cancellation: puller.cancellation, stopOnFailure: false, admission: gate.admission
        ).runEach()
        var got: [SHA256Digest] = []
        for ((item, _), result) in zip(items, results) {
            switch result {
            case .success: got.append(item.file.sha256)
            case .failure(let error):
                failures[item.file.sha256] = error
                puller.reporter.warning("\(label): `\(item.file.path)` failed, trying the next source: \(Self.explain(error))")
            }
        }
        return got
    }

    /// Checks the signatures of every model that requires signers, against the blobs now in
    /// the store: the signer must be the one the lock records.
    public func verifySignatures(_ models: [LockedModel]) throws -> [String: SignatureGate.Vouch] {
        var vouches: [String: SignatureGate.Vouch] = [:]
        let signed = models.filter { !$0.signers.isEmpty }
        guard !signed.isEmpty else { return vouches }
        let gate = try puller.signatureGate()
        for model in signed {
            let vouch = try gate.verify(model, signers: model.signers)
            if let locked = model.signedBy, locked != vouch.signer {
                throw ProjectError.signerChanged(alias: model.alias.rawValue, locked: locked.hex, now: vouch.signer.hex)
            }
            vouches[model.alias.rawValue] = vouch
        }
        return vouches
    }

    /// Lays one locked model out in `destination`.
    public func materialize(_ model: LockedModel, at destination: ModelDirectory, mode: LinkMode) throws {
        let problems = PathSafety.problems(in: model.files.map(\.path))
        guard problems.isEmpty else { throw ProjectError.unsafeLockedPaths(alias: model.alias.rawValue, lock: nil, problems) }
        let materializer = Materializer(store: puller.store, directory: destination, mode: mode)
        _ = try materializer.apply(repo: model.repo, commit: model.commit.hex, files: model.files.map { ($0.path, $0.sha256, $0.size) })
    }

    static func explain(_ error: any Error) -> String {
        if let error = error as? any ModelpinError { return ([error.description] + error.causes).joined(separator: ": ") }
        return "\(error)"
    }
}
