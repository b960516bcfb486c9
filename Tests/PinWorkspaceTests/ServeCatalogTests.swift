import Foundation
import PinDigest
import PinLock
import PinModel
import PinNames
import PinStore
import PinTestSupport
import PinWorkspace
import Synchronization
import SystemPackage
import Testing

/// The store side of `modelpin serve`, in process: the fake Hub through InProcessHTTP, a store in
/// a temporary directory, no socket.
@Suite("The serve catalog")
struct ServeCatalogTests {
    static let commit = TestWorkspace.commit
    static let otherCommit = String(repeating: "c0ffee12", count: 5)
    static let taggedRepo = FakeHub.Repo(
        id: "acme/tiny-model", refs: ["main": commit, "v1.0": commit], commits: [commit: TestWorkspace.tinyFiles])

    enum Expected: Sendable, CustomTestStringConvertible {
        case served(commit: String)
        case repoNotFound
        case revisionNotFound

        var testDescription: String {
            switch self {
            case .served(let commit): "served at \(commit.prefix(8))"
            case .repoNotFound: "RepoNotFound"
            case .revisionNotFound: "RevisionNotFound"
            }
        }
    }

    /// The Hub's rules: a full commit, or a branch, tag or `refs/pr/N` some snapshot was resolved
    /// from; never a prefix of a commit; a dataset is not the model of the same name.
    static let revisions: [(repo: String, revision: String, expected: Expected)] = [
        ("acme/tiny-model", commit, .served(commit: commit)),
        ("acme/tiny-model", "main", .served(commit: commit)),
        ("acme/tiny-model", "v1.0", .served(commit: commit)),
        ("acme/tiny-model", "refs/pr/1", .served(commit: otherCommit)),
        ("acme/tiny-model", otherCommit, .served(commit: otherCommit)),
        ("acme/tiny-model", "nope", .revisionNotFound),
        ("acme/tiny-model", String(commit.prefix(7)), .revisionNotFound),
        ("acme/tiny-model", String(commit.prefix(39)), .revisionNotFound),
        ("acme/tiny-model", commit.uppercased(), .revisionNotFound),
        ("acme/other-model", "main", .repoNotFound),
        ("datasets/acme/tiny-model", "main", .served(commit: commit)),
        ("datasets/acme/tiny-model", "v1.0", .revisionNotFound),
        ("datasets/acme/other-data", "main", .repoNotFound),
    ]

    @Test(arguments: revisions)
    func aRevisionResolvesAsTheHubResolvesIt(repo: String, revision: String, expected: Expected) async throws {
        try await TestWorkspace.withAsync(repos: [Self.taggedRepo]) { workspace in
            try Self.recordRevisions(in: workspace)
            let catalog = try StoreServeCatalog(store: workspace.store, events: workspace.reporter)
            let id = try RepoID(parsing: repo)
            let outcome = await Self.result { () throws(ServeError) in try await catalog.snapshot(id, revision: revision) }
            switch (expected, outcome) {
            case (.served(let commit), .success(let snapshot)):
                #expect(snapshot.commit.hex == commit)
                #expect(snapshot.repo == id)
                #expect(snapshot.repo.kind == id.kind)
            case (.repoNotFound, .failure(.repoNotFound(let named))): #expect(named == id)
            case (.revisionNotFound, .failure(.revisionNotFound(let named, let asked))):
                #expect(named == id)
                #expect(asked == revision)
            default: Issue.record("expected \(expected.testDescription), got \(outcome)")
            }
        }
    }

    /// The listing is sorted, and every file carries the Hub's `oid`: the recorded git blob id,
    /// or, for a record without one, that of the bytes (plain files) or of the LFS pointer.
    @Test func theListingGivesEachFileTheHubsOid() async throws {
        try await TestWorkspace.withAsync(repos: [Self.taggedRepo]) { workspace in
            try Self.recordRevisions(in: workspace)
            let catalog = try StoreServeCatalog(store: workspace.store, events: workspace.reporter)
            for repo in ["acme/tiny-model", "datasets/acme/tiny-model"] {  // the dataset's record has no git ids
                let snapshot = try await catalog.snapshot(try RepoID(parsing: repo), revision: "main")
                #expect(snapshot.files.map(\.path) == TestWorkspace.tinyFiles.map(\.path).sorted())
                for file in TestWorkspace.tinyFiles {
                    let served = try #require(snapshot.file(file.path))
                    #expect(served.gitOID == workspace.hub.gitOID(of: file), "\(repo) \(file.path)")
                    #expect(served.sha256.hex == workspace.hub.sha256(of: file))
                    #expect(served.isLFS == file.lfs)
                    #expect(served.etag == (file.lfs ? served.sha256.hex : served.gitOID))
                }
            }
            #expect(catalog.blobsHashed == 2, "the dataset's two plain files, hashed for their git ids")
        }
    }

    /// Records are answered from memory while `index.json` is unchanged; a pull, a moved alias
    /// or a forgotten snapshot while the server runs is seen by the next request.
    @Test func aRecordMadeOrForgottenWhileServingIsSeen() async throws {
        try await TestWorkspace.withAsync(repos: [Self.taggedRepo]) { workspace in
            let catalog = try StoreServeCatalog(store: workspace.store, events: workspace.reporter)
            let repo = try RepoID(parsing: "acme/tiny-model")
            let before = await Self.result { () throws(ServeError) in try await catalog.snapshot(repo, revision: "main") }
            #expect(before.failure == .repoNotFound(repo))

            _ = try workspace.pull("acme/tiny-model")
            #expect(try await catalog.snapshot(repo, revision: "main").commit.hex == Self.commit)
            let tag = await Self.result { () throws(ServeError) in try await catalog.snapshot(repo, revision: "v1.0") }
            #expect(tag.failure == .revisionNotFound(repo, revision: "v1.0"))

            _ = try workspace.pull("acme/tiny-model", revision: "v1.0")
            #expect(try await catalog.snapshot(repo, revision: "v1.0").commit.hex == Self.commit)

            try workspace.store.forgetSnapshots("acme/tiny-model")
            let after = await Self.result { () throws(ServeError) in try await catalog.snapshot(repo, revision: "main") }
            #expect(after.failure == .repoNotFound(repo))
        }
    }

    // MARK: --lock

    @Test func locksNarrowWhatIsServed() async throws {
        try await TestWorkspace.withAsync(repos: [Self.taggedRepo]) { workspace in
            try Self.recordRevisions(in: workspace)
            let stored = try #require(try workspace.store.snapshot(repo: RepoID(parsing: "acme/tiny-model"), revision: "main"))
            let config = try #require(stored.files.first { $0.path == "config.json" })
            let weights = try #require(stored.files.first { $0.path == "model.safetensors" })
            let tokenizer = try #require(stored.files.first { $0.path == "tokenizer/tokenizer.json" })
            let locked = LockedModel(
                alias: ModelAlias(rawValue: "tiny")!, requestedRepo: "acme/tiny-model", requestedRevision: "main", include: [], exclude: [],
                endpoint: TestWorkspace.hubBase, repo: "acme/tiny-model", commit: try CommitID(parsing: Self.commit),
                files: [
                    Self.lockedFile(config), Self.lockedFile(weights),
                    // Pinned with other bytes than the store recorded: not served.
                    LockedFile(path: tokenizer.path, size: tokenizer.size, sha256: weights.sha256, gitBlobID: tokenizer.gitBlobID!, lfs: false),
                ])
            let catalog = try StoreServeCatalog(store: workspace.store, pins: ServedPins(locks: [Lockfile(models: [locked])]), events: workspace.reporter)
            let repo = try RepoID(parsing: "acme/tiny-model")

            let snapshot = try await catalog.snapshot(repo, revision: "main")
            #expect(snapshot.files.map(\.path) == ["config.json", "model.safetensors"])
            #expect(try await catalog.snapshot(repo, revision: Self.commit) == snapshot)
            #expect(try await catalog.open("model.safetensors", in: snapshot).size == weights.size)

            let refusals: [(String, String, ServeError)] = [
                ("acme/tiny-model", "v1.0", .revisionNotFound(repo, revision: "v1.0")),  // recorded, not locked
                ("acme/tiny-model", Self.otherCommit, .revisionNotFound(repo, revision: Self.otherCommit)),
                ("datasets/acme/tiny-model", "main", .repoNotFound(try RepoID(parsing: "datasets/acme/tiny-model"))),
            ]
            for (name, revision, expected) in refusals {
                let outcome = await Self.result { () throws(ServeError) in try await catalog.snapshot(try! RepoID(parsing: name), revision: revision) }
                #expect(outcome.failure == expected, "\(name)@\(revision)")
            }
            for path in ["tokenizer/tokenizer.json", "weights/extra.safetensors"] {
                let outcome = await Self.result { () throws(ServeError) in try await catalog.open(path, in: snapshot) }
                #expect(outcome.failure == .entryNotFound(repo, path: path))
            }
        }
    }

    /// `serve --lock FILE --upstream URL` through the workspace: locks read from their files (a
    /// missing one named), and pull-through refused without an allowlist, before anything is served.
    @Test func theWorkspaceReadsLockFilesAndRefusesAnOpenProxy() async throws {
        try await TestWorkspace.withAsync(repos: [Self.taggedRepo]) { workspace in
            try Self.recordRevisions(in: workspace)
            let stored = try #require(try workspace.store.snapshot(repo: RepoID(parsing: "acme/tiny-model"), revision: "main"))
            let locked = LockedModel(
                alias: ModelAlias(rawValue: "tiny")!, requestedRepo: "acme/tiny-model", requestedRevision: "main", include: [], exclude: [],
                endpoint: TestWorkspace.hubBase, repo: "acme/tiny-model", commit: try CommitID(parsing: Self.commit),
                files: stored.files.filter { $0.path == "config.json" }.map(Self.lockedFile))
            let lockPath = workspace.directory.appending("modelpin.lock")
            try Data(LockfileFormat.render(Lockfile(models: [locked])).utf8).write(to: URL(fileURLWithPath: lockPath.string))
            let store = workspace.store
            func serving(_ environment: [String: String] = [:], allowlist: String? = nil) -> Workspace {
                var configuration = WorkspaceConfiguration(environment: environment, userAgent: "test")
                if let allowlist {
                    configuration.allowlist = { (NameChecker(allowlist: try Allowlist.parse(allowlist, source: "test")), "test") }
                }
                return Workspace(openStore: { _ in store }, keyringDirectory: { "/nonexistent" }, configuration: configuration)
            }

            let catalog = try serving().serveCatalog(locks: [lockPath], upstream: nil)
            let snapshot = try await catalog.snapshot(try RepoID(parsing: "acme/tiny-model"), revision: "main")
            #expect(snapshot.files.map(\.path) == ["config.json"])

            let missing = workspace.directory.appending("missing.lock")
            #expect(throws: ServeSetupError.noLockfile(missing.string)) { try serving().serveCatalog(locks: [missing], upstream: nil) }
            #expect(throws: ServeSetupError.pullThroughWithoutAllowlist(TestWorkspace.hubBase)) {
                try serving(["HF_TOKEN": "hf_server"]).serveCatalog(locks: [], upstream: TestWorkspace.hubBase + "/")
            }
            _ = try serving(["HF_TOKEN": "hf_server"], allowlist: "acme/*\n").serveCatalog(locks: [], upstream: TestWorkspace.hubBase)
        }
    }

    /// A `ServedSnapshot` is a plain value: one a caller built itself, naming some other blob of
    /// the store under a listed path, gets the catalog's own file, never the named blob.
    @Test func aForgedSnapshotValueCannotNameAnotherBlob() async throws {
        try await TestWorkspace.withAsync { workspace in
            _ = try workspace.pull("acme/tiny-model")
            let catalog = try StoreServeCatalog(store: workspace.store, events: workspace.reporter)
            let real = try await catalog.snapshot(try RepoID(parsing: "acme/tiny-model"), revision: "main")
            let weights = try #require(real.file("model.safetensors"))
            let forged = ServedSnapshot(
                repo: real.repo, commit: real.commit,
                files: [ServedFile(path: "config.json", size: weights.size, sha256: weights.sha256, isLFS: true, gitOID: weights.gitOID)],
                lastModified: nil)
            let blob = try await catalog.open("config.json", in: forged)
            #expect(blob.size == Int64(TestWorkspace.config.count))
            #expect(blob.path == workspace.store.blobPath(SHA256.hash(TestWorkspace.config)).string)
        }
    }

    // MARK: Verification before the first serve

    @Test func anUntouchedBlobIsHashedOnceAcrossOpens() async throws {
        try await TestWorkspace.withAsync { workspace in
            _ = try workspace.pull("acme/tiny-model")
            let catalog = try StoreServeCatalog(store: workspace.store, events: workspace.reporter)
            let snapshot = try await catalog.snapshot(try RepoID(parsing: "acme/tiny-model"), revision: "main")
            #expect(catalog.blobsHashed == 0, "listing a snapshot with recorded git ids reads no blob")

            let first = try await catalog.open("model.safetensors", in: snapshot)
            let second = try await catalog.open("model.safetensors", in: snapshot)
            #expect(catalog.blobsHashed == 1)
            #expect(first == second)
            let status = try FileManager.default.attributesOfItem(atPath: first.path)
            #expect((status[.systemFileNumber] as? NSNumber)?.uint64Value == first.inode)
            #expect(first.size == Int64(TestWorkspace.weights.count))

            // Sixteen first opens of another blob at once: one read.
            try await withThrowingTaskGroup(of: ServedBlob.self) { group in
                for _ in 0..<16 { group.addTask { try await catalog.open("weights/extra.safetensors", in: snapshot) } }
                for try await blob in group { #expect(blob.size == Int64(TestWorkspace.extra.count)) }
            }
            #expect(catalog.blobsHashed == 2)
        }
    }

    @Test func aBlobCorruptedInTheStoreIsRefusedAndReported() async throws {
        try await TestWorkspace.withAsync { workspace in
            _ = try workspace.pull("acme/tiny-model")
            let catalog = try StoreServeCatalog(store: workspace.store, events: workspace.reporter)
            let repo = try RepoID(parsing: "acme/tiny-model")
            let snapshot = try await catalog.snapshot(repo, revision: "main")
            let digest = SHA256.hash(TestWorkspace.weights)
            try Self.flipByte(in: workspace.store.blobPath(digest).string)

            for _ in 0..<2 {
                let outcome = await Self.result { () throws(ServeError) in try await catalog.open("model.safetensors", in: snapshot) }
                guard case .failure(.integrity(let named, let path, let reason)) = outcome else {
                    Issue.record("expected an integrity refusal, got \(outcome)")
                    return
                }
                #expect(named == repo)
                #expect(path == "model.safetensors")
                #expect(reason.contains(digest.description))
            }
            let refusals = workspace.reporter.events.compactMap { event -> SHA256Digest? in
                guard case .servedBlobRefused(repo, "model.safetensors", let refused, _) = event else { return nil }
                return refused
            }
            #expect(refusals == [digest, digest], "each refusal is an event (serve's metrics count them)")
            #expect(catalog.blobsHashed == 1, "a refused blob whose identity did not change is not read again")
            // The others are served as before.
            #expect(try await catalog.open("config.json", in: snapshot).size == Int64(TestWorkspace.config.count))
        }
    }

    @Test func aChangedIdentityIsCheckedAgain() async throws {
        try await TestWorkspace.withAsync { workspace in
            _ = try workspace.pull("acme/tiny-model")
            let catalog = try StoreServeCatalog(store: workspace.store, events: workspace.reporter)
            let snapshot = try await catalog.snapshot(try RepoID(parsing: "acme/tiny-model"), revision: "main")
            let blob = workspace.store.blobPath(SHA256.hash(TestWorkspace.weights)).string
            let before = try await catalog.open("model.safetensors", in: snapshot)

            // The same bytes under a new inode (a copy renamed over the blob): checked, and served.
            let copy = blob + ".copy"
            try FileManager.default.copyItem(atPath: blob, toPath: copy)
            #expect(rename(copy, blob) == 0)
            let after = try await catalog.open("model.safetensors", in: snapshot)
            #expect(catalog.blobsHashed == 2)
            #expect(after.inode != before.inode)

            // Other bytes, written in place: the new identity is checked, and refused.
            try Self.flipByte(in: blob)
            let outcome = await Self.result { () throws(ServeError) in try await catalog.open("model.safetensors", in: snapshot) }
            guard case .failure(.integrity) = outcome else {
                Issue.record("expected an integrity refusal, got \(outcome)")
                return
            }
            #expect(catalog.blobsHashed == 3)
        }
    }

    @Test func aLinkInPlaceOfABlobIsNeverFollowed() async throws {
        try await TestWorkspace.withAsync { workspace in
            _ = try workspace.pull("acme/tiny-model")
            let catalog = try StoreServeCatalog(store: workspace.store, events: workspace.reporter)
            let snapshot = try await catalog.snapshot(try RepoID(parsing: "acme/tiny-model"), revision: "main")
            let blob = workspace.store.blobPath(SHA256.hash(TestWorkspace.weights)).string
            // A link to a file with the very bytes the digest names: still refused, since the
            // server opens blobs without following links and must serve what it checked.
            let elsewhere = workspace.directory.appending("elsewhere").string
            try Data(TestWorkspace.weights).write(to: URL(fileURLWithPath: elsewhere))
            try FileManager.default.removeItem(atPath: blob)
            try FileManager.default.createSymbolicLink(atPath: blob, withDestinationPath: elsewhere)
            let outcome = await Self.result { () throws(ServeError) in try await catalog.open("model.safetensors", in: snapshot) }
            guard case .failure(.integrity(_, _, let reason)) = outcome else {
                Issue.record("expected an integrity refusal, got \(outcome)")
                return
            }
            #expect(reason.contains("symbolic link"))
        }
    }

    // MARK: Fixtures

    /// `main` and the tag `v1.0` pulled from the Hub; `refs/pr/1` recorded at another commit
    /// (config.json only); the dataset of the same name recorded without git blob ids.
    static func recordRevisions(in workspace: TestWorkspace) throws {
        _ = try workspace.pull("acme/tiny-model", revision: "main")
        _ = try workspace.pull("acme/tiny-model", revision: "v1.0")
        let model = try #require(try workspace.store.snapshot(repo: RepoID(parsing: "acme/tiny-model"), revision: "main"))
        let config = try #require(model.files.first { $0.path == "config.json" })
        try workspace.store.recordSnapshot(
            StoredSnapshot(repo: model.repo, commit: otherCommit, endpoint: nil, files: [config]), revision: "refs/pr/1")
        let dataset = StoredSnapshot(
            repo: try RepoID(parsing: "datasets/acme/tiny-model"), commit: commit, endpoint: nil,
            files: model.files.map { .init(path: $0.path, sha256: $0.sha256, size: $0.size, gitBlobID: nil, lfs: $0.lfs) })
        try workspace.store.recordSnapshot(dataset, revision: "main")
    }

    static func lockedFile(_ file: StoredSnapshot.File) -> LockedFile {
        LockedFile(path: file.path, size: file.size, sha256: file.sha256, gitBlobID: file.gitBlobID!, lfs: file.lfs)
    }

    /// Makes the read-only blob writable and flips one byte in its middle (same size).
    static func flipByte(in path: String) throws {
        #expect(chmod(path, 0o644) == 0)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data([byte ^ 0x01]))
    }

    static func result<T>(_ body: () async throws(ServeError) -> T) async -> Result<T, ServeError> {
        do throws(ServeError) {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
