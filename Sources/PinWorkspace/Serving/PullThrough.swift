import PinAudit
import Dispatch
import PinHub
import PinLock
import PinModel
import PinNames
import PinStore
import PinVerify
import Synchronization

/// A server's misses, resolved and fetched from its upstream through the whole pipeline
/// (`Puller.resolveForStore`, `Puller.admitIntoStore`): names gate, the Hub API with the
/// server's own token, verification, the scan gate, admission and the snapshot record. A
/// client's request only says what is missing; nothing of it (a token, a header) reaches the
/// upstream.
///
/// Concurrent requests for one revision, or for one file, share one run (`SingleFlight`).
final class PullThrough: Sendable {
    /// A revision as the upstream resolved it, and the digests of the files admitted for it
    /// (every plain git file: the Hub lists no SHA-256 for those, so they are fetched with the
    /// listing, which they are small enough for; LFS files come one request at a time).
    struct Resolved: Sendable {
        let snapshot: ResolvedSnapshot
        let digests: [String: SHA256Digest]
    }

    let puller: Puller
    /// Where each run's entries go (nil: `MODELPIN_AUDIT=off`): every run is an operation of
    /// its own in the store's log, command `serve`.
    let audit: AuditTrail?
    /// Repos (by `RepoID.description`) whose snapshots must be signed by one of these signers:
    /// OpenPGP fingerprints, or OMS keys and certificate identities (a `model.sig`, checked by
    /// the same signature gate as `pull`).
    let signers: [String: [SignerID]]
    /// By `repo@revision` and `repo@commit`, for this process: a commit's listing never changes,
    /// and a branch resolved once is served from the store's alias afterwards anyway.
    private let resolved = Mutex<[String: Resolved]>([:])
    private let revisions = SingleFlight<String, Result<Resolved, ServeError>>()
    private let fileFetches = SingleFlight<String, Result<Void, ServeError>>()

    /// When a completion failed, by `repo@commit` (monotonic nanoseconds).
    private let failedCompletions = Mutex<[String: UInt64]>([:])
    /// Seconds before a failed completion is asked of the upstream again.
    let retryAfter: Double = 60

    init(puller: Puller, signers: [String: [SignerID]], audit: AuditTrail?) {
        self.puller = puller
        self.signers = signers
        self.audit = audit
    }

    /// One run against the upstream, recorded as an operation of its own when there is a log:
    /// its decisions and refusals, the snapshot with the digests it admitted, its outcome.
    private func audited<Value>(_ body: (Puller, AuditRecorder?) throws -> Value) throws -> Value {
        guard let audit else { return try body(puller, nil) }
        return try audit.record(events: puller.events, cancelled: { false }) { recorder, sink in
            recorder.operation("upstream", .string(puller.settings.endpoint.description))
            return try body(puller.withEvents(sink), recorder)
        }.value
    }

    /// The files a miss fetches: with signers required, every file of the snapshot at once (a
    /// signature vouches for the snapshot, and is checked before any of it is recorded); else
    /// the plain git files, or just `path`.
    private func files(for snapshot: ResolvedSnapshot, path: String?) -> (files: [SnapshotFile], signers: [SignerID]) {
        let required = signers[snapshot.repo.description] ?? []
        if !required.isEmpty { return (snapshot.files, required) }
        guard let path else { return (snapshot.files.filter { !$0.isLFS }, []) }
        return (snapshot.files.filter { $0.path == path }, [])
    }

    /// Runs that fetched from the upstream (revisions resolved plus files fetched).
    var upstreamRuns: Int { revisions.started + fileFetches.started }

    func resolve(_ repo: RepoID, revision: String) async throws(ServeError) -> Resolved {
        let key = repo.description + "@" + revision
        if let known = resolved.withLock({ $0[key] }) { return known }
        let result = await revisions.run(key) { [self] in
            await onOwnThread { [self] in
                Result { () throws(ServeError) in
                    let started = DispatchTime.now()
                    do {
                        return try audited { puller, audit in
                            let snapshot = try puller.resolveForStore(repo, revision: revision)
                            let (files, signers) = self.files(for: snapshot, path: nil)
                            let (digests, fetched) = files.isEmpty ? ([:], []) : try puller.admitIntoStore(snapshot, files: files, signers: signers)
                            audit?.model(.model(snapshot, digests: digests))
                            if !fetched.isEmpty {
                                puller.events.emit(.pulledThrough(repo: repo, revision: revision, paths: fetched, seconds: Self.seconds(since: started)))
                            }
                            return Resolved(snapshot: snapshot, digests: digests)
                        }
                    } catch {
                        throw Self.serveError(error, repo: repo, revision: revision, path: nil)
                    }
                }
            }
        }
        let answer = try result.get()
        resolved.withLock {
            $0[key] = answer
            $0[repo.description + "@" + answer.snapshot.commit.hex] = answer
        }
        return answer
    }

    /// The upstream's listing of a commit the store recorded (maybe in part), or nil when the
    /// upstream cannot give it now. A failure is not asked again for `retryAfter` seconds: the
    /// store's record answers meanwhile, so a server whose upstream is down still serves what it
    /// holds at the store's speed instead of waiting on the upstream for every request.
    func completion(_ repo: RepoID, commit: String) async -> Resolved? {
        let key = repo.description + "@" + commit
        let now = DispatchTime.now().uptimeNanoseconds
        if let failed = failedCompletions.withLock({ $0[key] }), now - failed < UInt64(retryAfter * 1e9) { return nil }
        do {
            return try await resolve(repo, revision: commit)
        } catch {
            failedCompletions.withLock { $0[key] = DispatchTime.now().uptimeNanoseconds }
            return nil
        }
    }

    /// Fetches `path` of `repo` at `commit` into the store and adds it to the commit's record.
    func fetch(_ path: String, of repo: RepoID, commit: CommitID) async throws(ServeError) {
        let listing = try await resolve(repo, revision: commit.hex)
        guard listing.snapshot.files.contains(where: { $0.path == path }) else { throw .entryNotFound(repo, path: path) }
        let (files, signers) = files(for: listing.snapshot, path: path)
        let result = await fileFetches.run(repo.description + "@" + commit.hex + "/" + path) { [self] in
            await onOwnThread { [self] in
                Result { () throws(ServeError) in
                    let started = DispatchTime.now()
                    do {
                        try audited { puller, audit in
                            let (digests, fetched) = try puller.admitIntoStore(listing.snapshot, files: files, signers: signers)
                            audit?.model(.model(listing.snapshot, digests: digests))
                            if !fetched.isEmpty {
                                puller.events.emit(.pulledThrough(repo: repo, revision: commit.hex, paths: fetched, seconds: Self.seconds(since: started)))
                            }
                        }
                    } catch {
                        throw Self.serveError(error, repo: repo, revision: commit.hex, path: path)
                    }
                }
            }
        }
        try result.get()
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// What the pipeline's error means to a client: the Hub's own not-found and gated answers
    /// passed on; a refusal by the names or scan gate is `gated`; bytes that failed their
    /// digests are `integrity`; anything else (unreachable, a disk) is `unavailable`.
    static func serveError(_ error: any Error, repo: RepoID, revision: String, path: String?) -> ServeError {
        let reason = StoreServeCatalog.explain(error)
        switch error {
        case HubError.repoNotFound, HubError.forbidden: return .repoNotFound(repo)
        case HubError.revisionNotFound: return .revisionNotFound(repo, revision: revision)
        case HubError.entryNotFound(_, let missing): return .entryNotFound(repo, path: path ?? missing)
        case HubError.gated, is NameRefusal, is NameSyntaxError: return .gated(repo, reason: reason)
        case PullError.download(let failed, let underlying): return serveError(underlying, repo: repo, revision: revision, path: path ?? failed)
        case StoreError.notAdmitted: return .gated(repo, reason: reason)
        case StoreError.digestMismatch, StoreError.gitBlobMismatch, StoreError.sizeMismatch, StoreError.exceedsExpectedSize,
            HubError.commitMismatch, PullError.sizeMismatch:
            return .integrity(repo, path: path ?? "", reason: "the upstream sent other bytes than it lists, and they were not kept: \(reason)")
        case let error as any ModelpinError where error.kind == .refused:
            return .gated(repo, reason: reason)
        default:
            return .unavailable(repo, reason: reason)
        }
    }
}
