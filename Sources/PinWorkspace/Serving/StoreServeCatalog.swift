public import PinModel
public import PinStore
import PinDigest
import PinHub
import Synchronization
import SystemPackage

/// The catalog `modelpin serve` answers from: the snapshots the store recorded (`index.json`,
/// each a manifest whose files were verified and scanned when they were admitted), or only the
/// commits given locks pin, and, with an upstream, what it pulls through the whole pipeline on
/// a miss.
///
/// Every blob is re-hashed before it is first served in this process (`BlobChecks`), whatever
/// the store's own records say. Thread-safe; blocking work (the store's files, hashing, the
/// pipeline's libcurl threads) runs on threads of its own, never on the caller's executor.
public final class StoreServeCatalog: ServeCatalog {
    public let store: Store
    /// nil: every recorded snapshot is served.
    public let pins: ServedPins?
    let events: any EventSink
    let checks: BlobChecks
    let recorded: RecordedSnapshots
    let upstream: PullThrough?
    /// The store's audit log (for a writable store: with an upstream); nil: nothing is logged.
    let audit: AuditTrail?
    /// The snapshots handed out, by `repo@commit`: `open` serves only files of one of these, so a
    /// `ServedSnapshot` a caller built itself cannot name an arbitrary blob of the store.
    private let issued = Mutex<[String: ServedSnapshot]>([:])

    /// `upstream`: a puller against the upstream Hub, with the server's own settings (its token,
    /// its allowlist, its scan policy); nil: no pull-through. Pull-through requires an allowlist
    /// (`settings.names`): a server that fetched any name a client asked for, with the server's
    /// token, would be an open proxy into the store. `signers`: repos (`RepoID.description`)
    /// whose pulled-through snapshots must be signed by one of the keys (in the store's keyring),
    /// as a project's `signers = [...]` requires of a pull. `audit`: where each pull-through
    /// run and each blob refused is recorded.
    public init(
        store: Store, pins: ServedPins? = nil, upstream: Puller? = nil, signers: [String: [SignerID]] = [:], events: any EventSink,
        audit: AuditTrail? = nil
    ) throws(ServeSetupError) {
        if let upstream, upstream.settings.names == nil { throw .pullThroughWithoutAllowlist(upstream.settings.endpoint.description) }
        self.store = store
        self.pins = pins
        self.events = events
        checks = BlobChecks(store: store)
        recorded = RecordedSnapshots(store: store)
        self.audit = audit
        self.upstream = upstream.map { PullThrough(puller: $0.withEvents(events), signers: signers, audit: audit) }
    }

    /// Blobs read and hashed in this process so far (each first open, each changed identity).
    public var blobsHashed: Int { checks.blobsHashed }

    // MARK: Snapshots

    public func snapshot(_ repo: RepoID, revision: String) async throws(ServeError) -> ServedSnapshot {
        var lookup = revision
        if let pins {
            guard pins.pins(repo) else { throw .repoNotFound(repo) }
            guard let commit = pins.commit(repo, revision: revision) else { throw .revisionNotFound(repo, revision: revision) }
            lookup = commit.hex
        }
        let stored: StoredSnapshot?
        do {
            stored = try await recorded.snapshot(repo, revision: lookup)
        } catch {
            throw .unavailable(repo, reason: Self.explain(error))
        }
        var pulled: PullThrough.Resolved?
        if let upstream {
            if let stored {
                // Recorded already, maybe only in part (pull-through records file by file): the
                // upstream's listing of the same commit completes it, once per process. If the
                // upstream cannot answer, the record is served as it is.
                pulled = await upstream.completion(repo, commit: stored.commit)
            } else {
                pulled = try await upstream.resolve(repo, revision: lookup)
            }
        }
        guard let commitText = stored?.commit ?? pulled?.snapshot.commit.hex else {
            throw await knows(repo) ? .revisionNotFound(repo, revision: revision) : .repoNotFound(repo)
        }
        guard let commit = try? CommitID(parsing: commitText) else {
            throw .unavailable(repo, reason: "the store records `\(commitText.escapedForDisplay)`, not a commit id")
        }
        let served = try await listing(repo, commit: commit, stored: stored, pulled: pulled)
        issued.withLock { $0[repo.description + "@" + commit.hex] = served }
        return served
    }

    /// Whether the store records any snapshot of `repo` (among the pinned ones, with locks).
    private func knows(_ repo: RepoID) async -> Bool {
        if let pins { return pins.pins(repo) }
        return await recorded.knows(repo)
    }

    /// The files of one commit: what the store recorded, completed by the upstream's listing,
    /// narrowed to what the locks pin; each with the git blob id the Hub lists as `oid`.
    private func listing(_ repo: RepoID, commit: CommitID, stored: StoredSnapshot?, pulled: PullThrough.Resolved?) async throws(ServeError) -> ServedSnapshot {
        var byPath: [String: ServedFile] = [:]
        for file in pulled?.snapshot.files ?? [] {
            guard let sha256 = file.sha256 ?? pulled?.digests[file.path] else { continue }  // not fetched: not listed
            byPath[file.path] = ServedFile(path: file.path, size: file.size, sha256: sha256, isLFS: file.isLFS, gitOID: file.gitBlobID.hex)
        }
        for file in stored?.files ?? [] {
            // The store's record wins over the upstream's listing: it is what was admitted.
            let gitOID = try await gitOID(of: file, repo: repo)
            byPath[file.path] = ServedFile(path: file.path, size: file.size, sha256: file.sha256, isLFS: file.lfs, gitOID: gitOID)
        }
        var files = Array(byPath.values)
        if let pins {
            files.removeAll { !pins.pins(repo, commit: commit, path: $0.path, sha256: $0.sha256, size: $0.size) }
        }
        return ServedSnapshot(repo: repo, commit: commit, files: files, lastModified: nil)
    }

    /// The git blob id of a recorded file: as recorded; for an LFS file without one, that of its
    /// pointer (the pointer's text follows from the digest and size); for a plain file without
    /// one, computed from its bytes, which are checked against the digest in the same read.
    private func gitOID(of file: StoredSnapshot.File, repo: RepoID) async throws(ServeError) -> String {
        if let recorded = file.gitBlobID { return recorded.hex }
        if file.lfs { return GitBlobHasher.id(of: Array(LFSPointer.text(sha256: file.sha256, size: file.size).utf8)).hex }
        switch await checks.check(file.sha256, size: file.size, gitBlobID: true) {
        case .intact(_, let git?): return git.hex
        case .intact, .absent: throw .unavailable(repo, reason: "`\(file.path.escapedForDisplay)` is recorded but the store no longer holds its blob \(file.sha256)")
        case .failed(_, let reason): throw refuse(repo, path: file.path, digest: file.sha256, reason: reason)
        }
    }

    // MARK: Files

    public func open(_ path: String, in snapshot: ServedSnapshot) async throws(ServeError) -> ServedBlob {
        let repo = snapshot.repo
        let file = try await servedFile(path, in: snapshot)
        var outcome = await checks.check(file.sha256, size: file.size)
        if case .absent = outcome, let upstream {
            try await upstream.fetch(path, of: repo, commit: snapshot.commit)
            outcome = await checks.check(file.sha256, size: file.size)
        }
        switch outcome {
        case .intact(let identity, _):
            return ServedBlob(path: checks.path(of: file.sha256), size: file.size, device: identity.device, inode: identity.inode)
        case .absent:
            throw .unavailable(repo, reason: "`\(path.escapedForDisplay)` is recorded but the store no longer holds its blob \(file.sha256) (removed by `store gc`?)")
        case .failed(_, let reason):
            throw refuse(repo, path: path, digest: file.sha256, reason: reason)
        }
    }

    /// `path` as this catalog listed it in `snapshot`'s commit, never as the caller's value says.
    private func servedFile(_ path: String, in snapshot: ServedSnapshot) async throws(ServeError) -> ServedFile {
        let key = snapshot.repo.description + "@" + snapshot.commit.hex
        var listed = issued.withLock { $0[key] }
        if listed == nil { listed = try await self.snapshot(snapshot.repo, revision: snapshot.commit.hex) }
        guard let file = listed?.file(path) else { throw .entryNotFound(snapshot.repo, path: path) }
        return file
    }

    /// A blob that failed its check: reported (the server logs and counts it, the audit log
    /// records it) and never served.
    private func refuse(_ repo: RepoID, path: String, digest: SHA256Digest, reason: String) -> ServeError {
        let event = WorkspaceEvent.servedBlobRefused(repo: repo, path: path, digest: digest, reason: reason)
        events.emit(event)
        if let audit, let entry = AuditRecorder.entry(for: event) {
            do {
                try audit.append(entry)
            } catch {
                // The blob is refused either way; the server's own log says the audit log missed it.
                events.emit(.warning("the audit log could not record the refused blob \(digest): \(Self.explain(error))"))
            }
        }
        return .integrity(repo, path: path, reason: "\(digest): \(reason)")
    }

    static func explain(_ error: any Error) -> String {
        if let error = error as? any ModelpinError { return ([error.description] + error.causes).joined(separator: ": ") }
        return "\(error)"
    }
}

/// The text of a git LFS pointer file (git-lfs's spec v1): what git stores in place of an LFS
/// file, and so what the Hub's `oid` of an LFS file is the git blob id of.
enum LFSPointer {
    static func text(sha256: SHA256Digest, size: Int64) -> String {
        "version https://git-lfs.github.com/spec/v1\noid sha256:\(sha256.hex)\nsize \(size)\n"
    }
}

/// Why a catalog cannot be set up as asked.
public enum ServeSetupError: ModelpinError, Equatable {
    /// Pull-through was asked for with no allowlist to check names against.
    case pullThroughWithoutAllowlist(String)
    /// A `--lock` file that does not exist.
    case noLockfile(String)

    public var kind: FailureKind { .usage }

    public var description: String {
        switch self {
        case .pullThroughWithoutAllowlist(let upstream): "pulling through from `\(upstream)` needs an allowlist, and none is configured"
        case .noLockfile(let path): "`\(path)` does not exist"
        }
    }

    public var causes: [String] { [] }

    public var hint: String? {
        switch self {
        case .pullThroughWithoutAllowlist:
            "a server fetches what any client names, with the server's token: set MODELPIN_ALLOWLIST (or pass --allowlist) to the names it may pull through"
        case .noLockfile: "--lock names a modelpin.lock to serve the pinned models of"
        }
    }
}
