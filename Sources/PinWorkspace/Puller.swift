import PinHub
import PinModel
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

/// `pull`: every byte from the Hub goes through the same pipeline, in order —
/// name check → resolve (commit, file list, sizes, digests) → plan (what the store lacks) →
/// fetch (streamed into partials, hashed as it lands) → verify → promote → materialize.
public struct Puller: Sendable {
    public let store: Store
    public let settings: PullSettings
    public let reporter: any PullReporter
    public let cancellation: CancellationFlag

    public init(store: Store, settings: PullSettings, reporter: any PullReporter, cancellation: CancellationFlag) {
        self.store = store
        self.settings = settings
        self.reporter = reporter
        self.cancellation = cancellation
    }

    public func pull(_ request: PullRequest) throws -> PullSummary {
        let started = DispatchTime.now()
        let (snapshot, selected) = try resolve(
            name: request.name, revision: request.revision, include: request.include, exclude: request.exclude,
            allowUnlisted: request.allowUnlisted)

        // Plan: what the store already holds needs no network.
        let plan = selected.map { file in
            PlannedFile(file: file, present: file.lfsSHA256.flatMap { sha in
                (try? store.path(of: sha)) != nil ? sha : nil
            } ?? (file.isLFS ? nil : store.blob(gitBlobID: file.gitOID, size: file.size)))
        }
        reporter.resolved(snapshot, files: plan)

        // Fetch, verify, promote. In copy mode each download also writes the directory's copy as
        // it is hashed, so laying the model out afterwards is a rename, not a second pass.
        let destination = try request.destination.map(ModelDirectory.chosen)
            ?? ModelDirectory.below(request.workingDirectory, relative: "models/\(snapshot.repo.owner)/\(snapshot.repo.name)")
        let materializer = Materializer(store: store, directory: destination, mode: request.linkMode)
        var copies: [String: CopyTarget] = [:]
        if request.linkMode == .copy {
            // Only the file each download is for: the others with the same content are laid
            // out from the store afterwards (see `fetch`).
            for file in Self.firstOfEachContent(plan.filter { $0.present == nil }.map(\.file)) {
                copies[file.path] = try materializer.prepareCopy(of: file.path)
            }
        }
        defer {  // renamed away on success
            for copy in copies.values { _ = try? copy.root.removeFile(copy.path) { $0.type == .regular } }
        }
        let missing = plan.filter { $0.present == nil }.map(\.file)
        let gate = ScanGate(policy: settings.scanPolicy, store: store)
        var (digests, resumed) = try fetch(missing, from: snapshot, copies: copies, gate: gate)
        for planned in plan {
            if let present = planned.present {
                // Already stored (by an earlier pull, `store add`, another model): still scanned
                // before it is laid out, under today's rules and policy.
                try gate.check(blobOf: present, in: store, name: planned.file.path)
                digests[planned.file.path] = present
                reporter.finished(planned.file.path, size: planned.file.size, downloaded: false)
            }
        }

        // Materialize.
        let methods = try materializer.apply(
            repo: snapshot.repo.description, commit: snapshot.commit.hex,
            files: plan.map { ($0.file.path, digests[$0.file.path]!, $0.file.size) }, prepared: copies)

        let files = plan.map { planned in
            PullSummary.File(
                path: planned.file.path, size: planned.file.size, sha256: digests[planned.file.path]!,
                gitBlobID: planned.file.gitOID, lfs: planned.file.isLFS,
                source: planned.present == nil ? "downloaded" : "store",
                materialized: methods[planned.file.path] ?? nil,
                verdict: (gate.verdict(for: digests[planned.file.path]!) ?? .safe).rawValue)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return PullSummary(
            repo: snapshot.repo.description, revision: snapshot.revision, commit: snapshot.commit.hex,
            endpoint: settings.endpoint.description, destination: destination.path.string, files: files,
            bytes: files.reduce(0) { $0 + $1.size },
            downloadedBytes: Self.firstOfEachContent(missing).reduce(0) { $0 + $1.size } - resumed,
            resumedBytes: resumed, seconds: seconds)
    }

    /// Downloads `files` of `snapshot` into the store — several at once, large ones in ranged
    /// parts, resumed where an earlier run stopped — each checked against the listing's size and
    /// digests before promotion. `copies`: per path, a new file to write the bytes into as they
    /// are hashed (copy-mode materialization). Returns each file's SHA-256.
    ///
    /// Planned by content: files with the same bytes (the same JSON in two folders, a shard
    /// shared by two variants) are fetched once and share the digest. Opening a second partial
    /// for the same content would wait for the lock this process already holds on the first.
    func fetch(
        _ files: [HubFile], from snapshot: Snapshot, copies: [String: CopyTarget], gate: ScanGate
    ) throws -> (digests: [String: SHA256Digest], resumed: Int64) {
        let hub = HubClient(endpoint: settings.endpoint)
        var jobs: [DownloadEngine.Job] = []
        defer { for job in jobs { job.partial.close() } }
        for file in Self.firstOfEachContent(files) {
            let partial = try store.openPartial(
                expected: .init(size: file.size, sha256: file.lfsSHA256, gitBlobID: file.isLFS ? nil : file.gitOID),
                partSize: file.size > settings.partSize ? settings.partSize : max(file.size, 1),
                source: "\(snapshot.repo)/\(file.path)", copyTo: copies[file.path])
            if partial.resumedBytes > 0 { reporter.resumed(file.path, bytes: partial.resumedBytes) }
            jobs.append(DownloadEngine.Job(file: file, url: hub.url(of: file.path, in: snapshot), partial: partial))
        }
        let resumed = jobs.reduce(Int64(0)) { $0 + $1.partial.resumedBytes }
        let results = try DownloadEngine(
            jobs: jobs, store: store, commit: snapshot.commit.hex, settings: settings, reporter: reporter, cancellation: cancellation,
            admission: gate.admission
        ).run()
        var byContent: [String: SHA256Digest] = [:]
        for (job, result) in zip(jobs, results) { byContent[Self.contentKey(job.file)] = result.digest }
        var digests: [String: SHA256Digest] = [:]
        for file in files { digests[file.path] = byContent[Self.contentKey(file)] }
        return (digests, resumed)
    }

    /// What identifies a listed file's bytes before they are fetched: the LFS SHA-256, else the
    /// git blob id and size (the store's partial key makes the same distinction).
    static func contentKey(_ file: HubFile) -> String {
        file.lfsSHA256.map { "sha256:" + $0.hex } ?? "git:\(file.gitOID.hex):\(file.size)"
    }

    /// The first file of each distinct content, in order.
    static func firstOfEachContent(_ files: [HubFile]) -> [HubFile] {
        var seen = Set<String>()
        return files.filter { seen.insert(contentKey($0)).inserted }
    }

    /// The signature checker over modelpin's keyring (opened only for models that need it, so
    /// that pulls without signers never need gpg).
    public func signatureGate() throws -> SignatureGate {
        let directory = settings.keyringDirectory ?? store.root.appending("keyring").string
        return SignatureGate(keyring: try Keyring(directory: directory, create: false, gpgPath: settings.gpgPath), store: store)
    }

    /// Name check → resolve the revision to a commit → list the files (sizes, digests) →
    /// refuse unsafe paths → keep the selected ones. Nothing is downloaded.
    func resolve(
        name: String, revision: String, include: [String], exclude: [String], allowUnlisted: Bool,
        signatureDocuments: Bool = false
    ) throws -> (Snapshot, [HubFile]) {
        let repo = try checkName(name, allowUnlisted: allowUnlisted)
        let client = HTTPClient(policy: settings.policy, cancellation: cancellation)
        let hub = HubClient(endpoint: settings.endpoint)
        let snapshot = try hub.resolve(repo, revision: revision, using: client)
        let listed = try hub.files(of: snapshot, using: client)  // unsafe paths refused there
        var selected = listed.filter { Self.selected($0.path, include: include, exclude: exclude) }
        if signatureDocuments {
            // What vouches for the selected files comes along, whatever the patterns say.
            let documents = SignatureGate.documents(in: listed.map(\.path), for: Set(selected.map(\.path)))
            selected += listed.filter { documents.contains($0.path) && !selected.map(\.path).contains($0.path) }
            selected.sort { $0.path < $1.path }
        }
        guard !selected.isEmpty else {
            throw PullError.noMatchingFiles(repo: snapshot.repo.description, include: include, exclude: exclude)
        }
        return (snapshot, selected)
    }

    /// The allowlist first: typosquats are always refused, unlisted ids unless allowed
    /// explicitly; without an allowlist, a warning says nothing was checked.
    func checkName(_ name: String, allowUnlisted: Bool) throws -> RepoID {
        guard let names = settings.names else {
            reporter.warning("no allowlist configured: `\(name.escapedForDisplay)` was not checked for typosquats (set MODELPIN_ALLOWLIST or pass --allowlist)")
            do {
                return try RepoID(parsing: name)
            } catch {
                throw NameSyntaxError(name: name, reason: error.reason)
            }
        }
        let verdict = try names.check(name)
        let source = settings.allowlistSource ?? "the allowlist"
        switch verdict.verdict {
        case .allowed:
            return try RepoID(parsing: verdict.canonical!)
        case .typosquat:
            throw NameRefusal(verdict: verdict, allowlistSource: source)
        case .unlisted:
            guard allowUnlisted else { throw NameRefusal(verdict: verdict, allowlistSource: source) }
            reporter.warning("`\(name.escapedForDisplay)` is not on the allowlist; pulling it because --allow-unlisted was given")
            do {
                return try RepoID(parsing: name)
            } catch {
                throw NameSyntaxError(name: name, reason: error.reason)
            }
        }
    }

    /// fnmatch semantics, as huggingface_hub's allow/ignore patterns (`*` also crosses `/`).
    static func selected(_ path: String, include: [String], exclude: [String]) -> Bool {
        let included = include.isEmpty || include.contains { fnmatch($0, path, 0) == 0 }
        return included && !exclude.contains { fnmatch($0, path, 0) == 0 }
    }
}
