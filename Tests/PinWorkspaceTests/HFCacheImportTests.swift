import Foundation
import PinDigest
import PinLock
import PinModel
import PinNames
import PinScan
import PinStore
import PinTestSupport
import PinWorkspace
import SystemPackage
import Testing

/// A Hugging Face cache built by hand, file by file, the way huggingface_hub 2.x lays it out —
/// and then broken on purpose.
struct CacheBuilder {
    let root: URL
    let folder: String

    init(root: URL, repo: String = "acme/tiny-model") {
        self.root = root
        folder = "models--" + repo.replacingOccurrences(of: "/", with: "--")
    }

    init(root: URL, folder: String) {
        self.root = root
        self.folder = folder
    }

    var repoURL: URL { root.appendingPathComponent(folder) }

    static func etag(_ file: FakeHub.File) -> String {
        file.lfs ? SHA256.hash(file.cacheFixtureBytes).hex : GitBlobHasher.id(of: file.cacheFixtureBytes).hex
    }

    /// `blobs/{etag}` holding `bytes` (the right ones unless a test says otherwise).
    @discardableResult
    func blob(_ etag: String, _ bytes: [UInt8]) throws -> URL {
        let url = repoURL.appendingPathComponent("blobs").appendingPathComponent(etag)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return try writeFile(url, bytes)
    }

    /// `snapshots/{commit}/{path}` → `target` (huggingface_hub's relative link unless given).
    func link(_ path: String, commit: String = TestWorkspace.commit, to target: String? = nil, etag: String) throws {
        let depth = path.split(separator: "/").count - 1
        let url = repoURL.appendingPathComponent("snapshots/\(commit)/\(path)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let target = target ?? String(repeating: "../", count: depth + 2) + "blobs/" + etag
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    func ref(_ name: String, _ text: String) throws {
        let url = repoURL.appendingPathComponent("refs/\(name)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try writeFile(url, Array(text.utf8))
    }

    /// A complete, well-formed snapshot of `files` at `commit`, with `main` naming it.
    func snapshot(_ files: [FakeHub.File], commit: String = TestWorkspace.commit, ref: String? = "main") throws {
        for file in files {
            let etag = Self.etag(file)
            try blob(etag, file.cacheFixtureBytes)
            try link(file.path, commit: commit, etag: etag)
        }
        if let ref { try self.ref(ref, commit) }
    }
}

/// Helpers shared by the import and verify tests.
enum CacheFixture {
    static let pickleBomb: [UInt8] = [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x58, 10, 0, 0, 0] + Array("echo pwned".utf8) + [0x85, 0x52, 0x2E]
    static let secret = Array("a file outside the cache that nothing may read\n".utf8)

    static func workspace(_ store: Store, environment: [String: String] = [:]) -> Workspace {
        Workspace(
            openStore: { _ in store }, keyringDirectory: { "/nonexistent" },
            configuration: WorkspaceConfiguration(environment: environment, userAgent: "test"))
    }

    /// A temp directory with `cache/`, `store/` and `outside/` (a file that no cache entry may lead to).
    static func with<T>(_ body: (_ cache: CacheBuilder, _ store: Store, _ outside: URL) throws -> T) throws -> T {
        try withTemporaryDirectory("modelpin-hfcache") { directory in
            let cache = directory.appendingPathComponent("cache")
            let outside = directory.appendingPathComponent("outside")
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            _ = try writeFile(outside.appendingPathComponent("secret"), secret)
            let store = try Store.open(at: FilePath(directory.appendingPathComponent("store").path), access: .readWrite)
            return try body(CacheBuilder(root: cache), store, outside)
        }
    }

    static func importAll(_ cache: CacheBuilder, _ store: Store, selections: [HFCacheSelection] = [], lockInto project: Project? = nil) throws -> HFCacheImportReport {
        var request = HFCacheImportRequest(cache: FilePath(cache.root.path))
        request.selections = selections
        request.lockInto = project
        return try workspace(store).importHFCache(request)
    }
}

@Suite("import --hf-cache: a cache is hostile input")
struct HFCacheImportTests {
    static let files = TestWorkspace.tinyFiles
    static let repo = try! RepoID(parsing: "acme/tiny-model")

    @Test func adoptsAWellFormedCacheAndRecordsTheSnapshot() throws {
        try CacheFixture.with { cache, store, _ in
            try cache.snapshot(Self.files)
            let report = try CacheFixture.importAll(cache, store)
            #expect(report.refused == 0)
            let snapshot = try #require(report.repos.first?.snapshots.first)
            #expect(snapshot.outcome == .recorded && snapshot.revisions == ["main"] && snapshot.manifest != nil)
            #expect(snapshot.files.map(\.outcome) == Array(repeating: .added, count: Self.files.count))
            let stored = try #require(try store.snapshot(repo: Self.repo, revision: "main"))
            #expect(stored.commit == TestWorkspace.commit)
            #expect(Set(stored.files.map(\.path)) == Set(Self.files.map(\.path)))
            for file in Self.files {
                #expect((try? store.path(of: SHA256.hash(file.cacheFixtureBytes))) != nil)
                let recorded = try #require(stored.files.first { $0.path == file.path })
                #expect(recorded.lfs == file.lfs)
                #expect(recorded.gitBlobID == (file.lfs ? nil : GitBlobHasher.id(of: file.cacheFixtureBytes)))
            }
            // Again: nothing new, the same manifest.
            let again = try CacheFixture.importAll(cache, store)
            #expect(again.repos.first?.snapshots.first?.files.map(\.outcome) == Array(repeating: .present, count: Self.files.count))
            #expect(again.repos.first?.snapshots.first?.manifest == snapshot.manifest)
        }
    }

    /// One hostile or broken shape each: refused with its reason, the snapshot not recorded,
    /// and nothing outside the cache read (the secret's bytes never reach the store).
    struct Shape: Sendable, CustomStringConvertible {
        let description: String
        let kind: HFCacheFinding.Kind
        let reason: String
        /// Whether the good snapshot is still recorded (the damage is outside it).
        let recorded: Bool
        let damage: @Sendable (CacheBuilder, URL) throws -> Void
    }

    static let config = files[0]
    static let configEtag = CacheBuilder.etag(config)
    static let secretEtag = GitBlobHasher.id(of: CacheFixture.secret).hex

    static let shapes: [Shape] = [
        Shape(description: "absolute link", kind: .malformed, reason: "absolute path", recorded: false) { cache, outside in
            try cache.link("stolen.json", to: outside.appendingPathComponent("secret").path, etag: "")
        },
        Shape(description: "link leaving the repo folder", kind: .malformed, reason: "leaves the repo folder", recorded: false) { cache, outside in
            // A well-named blob in a sibling folder: the name matches, the place does not.
            try FileManager.default.createDirectory(at: cache.root.appendingPathComponent("evil/blobs"), withIntermediateDirectories: true)
            _ = try writeFile(cache.root.appendingPathComponent("evil/blobs/\(secretEtag)"), CacheFixture.secret)
            try cache.link("stolen.json", to: "../../../evil/blobs/\(secretEtag)", etag: "")
        },
        Shape(description: "dot-dot after blobs/", kind: .malformed, reason: "leaves the repo folder", recorded: false) { cache, _ in
            try cache.link("stolen.json", to: "../../blobs/../../../outside/secret", etag: "")
        },
        Shape(description: "a chain: link to another link", kind: .malformed, reason: "a link to another link", recorded: false) { cache, _ in
            try cache.link("again.json", to: "config.json", etag: "")
        },
        Shape(description: "link into refs/", kind: .malformed, reason: "not to a file in the repo's blobs/", recorded: false) { cache, _ in
            try cache.link("ref.json", to: "../../refs/main", etag: "")
        },
        Shape(description: "blob name that is no etag", kind: .malformed, reason: "not an etag", recorded: false) { cache, _ in
            try cache.blob("passwd", CacheFixture.secret)
            try cache.link("stolen.json", to: "../../blobs/passwd", etag: "")
        },
        Shape(description: "regular file in a snapshot", kind: .malformed, reason: "a regular file where", recorded: false) { cache, _ in
            _ = try writeFile(cache.repoURL.appendingPathComponent("snapshots/\(TestWorkspace.commit)/planted.bin"), CacheFixture.pickleBomb)
        },
        Shape(description: "a .git directory in a snapshot", kind: .malformed, reason: "version-control or tool directory", recorded: false) { cache, _ in
            try cache.link(".git/hooks/post-checkout", etag: configEtag)
        },
        Shape(description: "paths a case-insensitive file system cannot tell apart", kind: .malformed, reason: "case-insensitive", recorded: false) { cache, _ in
            try cache.link("CONFIG.json", etag: configEtag)
        },
        Shape(description: "dangling link", kind: .dangling, reason: "which is not there", recorded: false) { cache, _ in
            try cache.link("gone.json", etag: String(repeating: "e", count: 40))
        },
        Shape(description: "blob that is a symlink out", kind: .malformed, reason: "a symbolic link where the blob's bytes belong", recorded: false) { cache, outside in
            try FileManager.default.createSymbolicLink(
                atPath: cache.repoURL.appendingPathComponent("blobs/\(secretEtag)").path, withDestinationPath: outside.appendingPathComponent("secret").path)
            try cache.link("stolen.json", etag: secretEtag)
        },
        Shape(description: "snapshot directory that is a symlink", kind: .malformed, reason: "a symbolic link where a directory belongs", recorded: true) { cache, outside in
            try FileManager.default.createSymbolicLink(
                atPath: cache.repoURL.appendingPathComponent("snapshots/\(String(repeating: "9", count: 40))").path, withDestinationPath: outside.path)
        },
        Shape(description: "subdirectory of a snapshot that is a symlink", kind: .malformed, reason: "leaves the repo folder", recorded: false) { cache, _ in
            // Judged as a link by its text, never entered: `sub/secret` is not read.
            try FileManager.default.createSymbolicLink(
                atPath: cache.repoURL.appendingPathComponent("snapshots/\(TestWorkspace.commit)/sub").path, withDestinationPath: "../../../../outside")
        },
        Shape(description: "ref with a newline", kind: .malformed, reason: "ends with a line break", recorded: true) { cache, _ in
            try cache.ref("v1", TestWorkspace.commit + "\n")
        },
        Shape(description: "ref that is no commit", kind: .malformed, reason: "is not a commit id", recorded: true) { cache, _ in
            try cache.ref("v2", "../../../outside/secret")
        },
        Shape(description: "ref that is a symlink", kind: .malformed, reason: "a symbolic link where a ref file belongs", recorded: true) { cache, outside in
            try FileManager.default.createSymbolicLink(
                atPath: cache.repoURL.appendingPathComponent("refs/v3").path, withDestinationPath: outside.appendingPathComponent("secret").path)
        },
        Shape(description: "snapshot folder that is no commit", kind: .malformed, reason: "not a commit id", recorded: true) { cache, _ in
            try FileManager.default.createDirectory(at: cache.repoURL.appendingPathComponent("snapshots/main"), withIntermediateDirectories: true)
        },
        Shape(description: "repo folder that is a symlink", kind: .malformed, reason: "a symbolic link where a directory belongs", recorded: true) { cache, outside in
            try FileManager.default.createSymbolicLink(atPath: cache.root.appendingPathComponent("models--acme--evil").path, withDestinationPath: outside.path)
        },
        Shape(description: "folder that names no repo", kind: .malformed, reason: "not a repo folder", recorded: true) { cache, _ in
            try FileManager.default.createDirectory(at: cache.root.appendingPathComponent("models--a--b--c"), withIntermediateDirectories: true)
        },
        Shape(description: "blobs/ that is a symlink", kind: .malformed, reason: "a symbolic link where a directory belongs", recorded: false) { cache, outside in
            let blobs = cache.repoURL.appendingPathComponent("blobs")
            let moved = outside.appendingPathComponent("blobs")
            try FileManager.default.moveItem(at: blobs, to: moved)
            try FileManager.default.createSymbolicLink(atPath: blobs.path, withDestinationPath: moved.path)
        },
    ]

    @Test(arguments: shapes)
    func refusesHostileShapes(_ shape: Shape) throws {
        try CacheFixture.with { cache, store, outside in
            try cache.snapshot(Self.files)
            try shape.damage(cache, outside)
            let report = try CacheFixture.importAll(cache, store)
            let findings = report.findings + report.repos.flatMap(\.findings) + report.repos.flatMap(\.snapshots).flatMap(\.findings)
            #expect(findings.contains { $0.kind == shape.kind && $0.reason.contains(shape.reason) }, "\(findings)")
            #expect(report.refused > 0)
            let good = report.repos.first { $0.folder == cache.folder }?.snapshots.first { $0.commit == TestWorkspace.commit }
            #expect(good?.outcome == (shape.recorded ? .recorded : .refused))
            #expect(((try? store.snapshot(repo: Self.repo, revision: TestWorkspace.commit)) ?? nil != nil) == shape.recorded)
            #expect((try? store.path(of: SHA256.hash(CacheFixture.secret))) == nil, "bytes from outside the cache reached the store")
            #expect((try? store.path(of: SHA256.hash(CacheFixture.pickleBomb))) == nil)
        }
    }

    @Test(arguments: [false, true])
    func refusesATamperedBlob(lfs: Bool) throws {
        try CacheFixture.with { cache, store, _ in
            try cache.snapshot(Self.files)
            let victim = Self.files.first { $0.lfs == lfs }!
            var tampered = victim.cacheFixtureBytes
            tampered[tampered.count / 2] ^= 0x01
            try cache.blob(CacheBuilder.etag(victim), tampered)
            let report = try CacheFixture.importAll(cache, store)
            let snapshot = try #require(report.repos.first?.snapshots.first)
            let refused = try #require(snapshot.files.first { $0.path == victim.path })
            #expect(refused.outcome == .refused)
            #expect(refused.reason?.contains("not the ones its name says") == true)
            #expect(refused.reason?.contains(CacheBuilder.etag(victim)) == true)
            #expect(snapshot.outcome == .refused && snapshot.manifest == nil)
            #expect(report.refused == 1)
            #expect((try? store.path(of: SHA256.hash(tampered))) == nil)
            #expect(try store.snapshot(repo: Self.repo, revision: "main") == nil)
            // The good blobs were admitted: verified bytes, unreferenced until a snapshot names them.
            let good = try #require(Self.files.first { $0.path != victim.path })
            #expect((try? store.path(of: SHA256.hash(good.cacheFixtureBytes))) != nil)
        }
    }

    @Test func refusesAPickleBombAndNeverAdmitsIt() throws {
        try CacheFixture.with { cache, store, _ in
            let bomb = FakeHub.File("pytorch_model.bin", CacheFixture.pickleBomb, lfs: true)
            try cache.snapshot([Self.config, bomb])
            let report = try CacheFixture.importAll(cache, store)
            let snapshot = try #require(report.repos.first?.snapshots.first)
            let refused = try #require(snapshot.files.first { $0.path == "pytorch_model.bin" })
            #expect(refused.outcome == .refused)
            #expect(refused.reason?.contains("would run code") == true)
            #expect(refused.reason?.contains("os.system") == true)
            #expect(snapshot.outcome == .refused)
            #expect((try? store.path(of: SHA256.hash(CacheFixture.pickleBomb))) == nil)
            #expect(try store.snapshot(repo: Self.repo, revision: "main") == nil)
        }
    }

    /// The scan policy of a pull: the repository's own Python is refused unless the user says
    /// they will run it (`--allow-remote-code`), and `--strict` refuses what was not checked.
    @Test(arguments: [(false, false, true), (true, false, false), (false, true, true)])
    func appliesThePullsScanPolicy(allowRemoteCode: Bool, strict: Bool, refused: Bool) throws {
        try CacheFixture.with { cache, store, _ in
            let code = FakeHub.File("modeling_tiny.py", Array("import os\n".utf8))
            let unknown = FakeHub.File("notes.dat", [0x00, 0xFF, 0x13, 0x37])
            try cache.snapshot([Self.config, allowRemoteCode || strict ? (strict ? unknown : code) : code])
            var configuration = WorkspaceConfiguration(environment: [:], userAgent: "test")
            configuration.scanPolicy.allowRemoteCode = allowRemoteCode
            configuration.scanPolicy.strict = strict
            let workspace = Workspace(openStore: { _ in store }, keyringDirectory: { "/nonexistent" }, configuration: configuration)
            let report = try workspace.importHFCache(HFCacheImportRequest(cache: FilePath(cache.root.path)))
            #expect((report.refused > 0) == refused, "\(report.repos.first?.snapshots.first?.files ?? [])")
            #expect(report.repos.first?.snapshots.first?.outcome == (refused ? .refused : .recorded))
        }
    }

    /// A dataset's folder is a dataset, recorded under `datasets/…`; the same id as a model is
    /// another repo.
    @Test func aDatasetKeepsItsKind() throws {
        try CacheFixture.with { cache, store, _ in
            let dataset = CacheBuilder(root: cache.root, folder: "datasets--acme--tiny-model")
            try dataset.snapshot([Self.config])
            let report = try CacheFixture.importAll(cache, store, selections: [try HFCacheSelection(parsing: "datasets/acme/tiny-model")])
            #expect(report.repos.map(\.repo) == ["datasets/acme/tiny-model"])
            #expect(report.repos.first?.snapshots.first?.outcome == .recorded)
            #expect(try store.snapshot(repo: try RepoID(parsing: "datasets/acme/tiny-model"), revision: "main") != nil)
            #expect(try store.snapshot(repo: Self.repo, revision: "main") == nil)
        }
    }

    /// A second cache that claims the same commit with other bytes: the store's record stands,
    /// the claim is refused, and the cache's other snapshots are still recorded.
    @Test func aCommitTheStoreKnowsWithOtherBytesIsRefused() throws {
        try CacheFixture.with { cache, store, _ in
            try cache.snapshot(Self.files)
            #expect(try CacheFixture.importAll(cache, store).refused == 0)
            let forgedRoot = cache.root.deletingLastPathComponent().appendingPathComponent("forged")
            let forged = CacheBuilder(root: forgedRoot)
            let lie = FakeHub.File("config.json", Array(#"{"architectures": ["Forged"]}"#.utf8))
            try forged.snapshot([lie])
            let other = String(repeating: "5d6e", count: 10)
            try forged.snapshot([Self.config], commit: other, ref: "v1")
            let report = try CacheFixture.importAll(forged, store)
            let outcomes = Dictionary(uniqueKeysWithValues: (report.repos.first?.snapshots ?? []).map { ($0.commit, $0) })
            #expect(outcomes[TestWorkspace.commit]?.outcome == .refused)
            #expect(outcomes[TestWorkspace.commit]?.findings.contains { $0.kind == .conflict && $0.reason.contains("config.json") } == true)
            #expect(outcomes[other]?.outcome == .recorded)
            #expect(report.refused == 1)
            let recorded = try #require(try store.snapshot(repo: Self.repo, revision: TestWorkspace.commit))
            #expect(recorded.files.first { $0.path == "config.json" }?.sha256 == SHA256.hash(Self.config.cacheFixtureBytes))
        }
    }

    @Test func selectsRepoAndRevision() throws {
        try CacheFixture.with { cache, store, _ in
            try cache.snapshot(Self.files)
            let other = String(repeating: "5d6e", count: 10)
            try cache.snapshot([Self.config], commit: other, ref: "v1")
            let report = try CacheFixture.importAll(cache, store, selections: [try HFCacheSelection(parsing: "acme/tiny-model@v1")])
            let outcomes = Dictionary(uniqueKeysWithValues: (report.repos.first?.snapshots ?? []).map { ($0.commit, $0.outcome) })
            #expect(outcomes == [other: .recorded, TestWorkspace.commit: .skipped])
            // A stray folder elsewhere in the cache is not this import's business.
            try FileManager.default.createDirectory(at: cache.root.appendingPathComponent("not-a-repo"), withIntermediateDirectories: true)
            #expect(try CacheFixture.importAll(cache, store, selections: [try HFCacheSelection(parsing: "acme/tiny-model@v1")]).refused == 0)
            #expect(try CacheFixture.importAll(cache, store).findings.map(\.path) == ["not-a-repo"])
            #expect(throws: HFCacheReadError.self) { try CacheFixture.importAll(cache, store, selections: [try HFCacheSelection(parsing: "acme/absent")]) }
            #expect(throws: HFCacheReadError.self) { try CacheFixture.importAll(cache, store, selections: [try HFCacheSelection(parsing: "acme/tiny-model@v9")]) }
        }
    }
}

@Suite("import --hf-cache --lock, and lock --update confirming it")
struct HFCacheLockTests {
    static let manifest = "version = 1\n"

    static func project(_ directory: FilePath) throws -> Project {
        _ = try writeFile(URL(fileURLWithPath: directory.appending("modelpin.toml").string), Array(manifest.utf8))
        return try Project.load(directory.appending("modelpin.toml"))
    }

    @Test func locksWithProvenanceThenTheHubConfirms() throws {
        try TestWorkspace.with { hub in
            let cache = CacheBuilder(root: URL(fileURLWithPath: hub.directory.appending("cache").string))
            try cache.snapshot(TestWorkspace.tinyFiles)
            let project = try Self.project(hub.directory)
            let report = try CacheFixture.importAll(cache, hub.store, lockInto: project)
            #expect(report.locked.map(\.alias) == ["tiny-model"])
            let saved = try Project.load(project.manifestPath)
            #expect(saved.manifest.model("tiny-model")?.repo == "acme/tiny-model")
            #expect(saved.manifest.model("tiny-model")?.revision == "main")
            let lockText = try String(contentsOfFile: saved.lockPath.string, encoding: .utf8)
            #expect(lockText.contains("source = \"hf-cache\"\n"))
            let locked = try #require(try saved.loadLock()?.model("tiny-model"))
            #expect(locked.source == .hfCache && locked.commit.hex == TestWorkspace.commit)
            // The LFS pointer's id is computed as the Hub lists it.
            for file in TestWorkspace.tinyFiles {
                #expect(locked.files.first { $0.path == file.path }?.gitBlobID.hex == hub.hub.gitOID(of: file))
            }

            // `lock --update` asks the Hub: same commit, same files: confirmed, the mark dropped.
            let (relocked, changes) = try Locker(puller: hub.puller).lock(
                saved, previous: try saved.loadLock(), update: ["tiny-model"], endpoint: TestWorkspace.hubBase)
            #expect(changes.first?.change == .confirmed(commit: TestWorkspace.commit))
            #expect(relocked.model("tiny-model")?.source == nil)
            #expect(relocked.model("tiny-model")?.files.map(\.sha256) == locked.files.map(\.sha256))
            #expect(!LockfileFormat.render(relocked).contains("source"))
        }
    }

    /// Importing again changes nothing; another commit of a repo the project has is refused,
    /// leaving the person's entry alone.
    @Test func aRepoAlreadyInTheProjectIsLeftAlone() throws {
        try CacheFixture.with { cache, store, _ in
            try cache.snapshot(TestWorkspace.tinyFiles)
            let directory = FilePath(cache.root.deletingLastPathComponent().path)
            let project = try Self.project(directory)
            #expect(try CacheFixture.importAll(cache, store, lockInto: project).locked.map(\.outcome) == [.added])
            let saved = try Project.load(project.manifestPath)
            let lock = try String(contentsOfFile: saved.lockPath.string, encoding: .utf8)
            #expect(try CacheFixture.importAll(cache, store, lockInto: saved).locked.map(\.outcome) == [.unchanged])

            let other = String(repeating: "5d6e", count: 10)
            try FileManager.default.removeItem(at: cache.repoURL.appendingPathComponent("refs/main"))
            try cache.snapshot([TestWorkspace.tinyFiles[0]], commit: other, ref: "main")
            #expect {
                try CacheFixture.importAll(cache, store, selections: [try HFCacheSelection(parsing: "acme/tiny-model@main")], lockInto: try Project.load(project.manifestPath))
            } throws: { error in
                guard case .alreadyInProject(_, let alias, let locked, let cached, _)? = error as? HFCacheReadError else { return false }
                return alias == "tiny-model" && locked == TestWorkspace.commit && cached == other
            }
            #expect(try String(contentsOfFile: saved.lockPath.string, encoding: .utf8) == lock)
        }
    }

    @Test func theHubRefusesACacheThatLiedAboutItsCommit() throws {
        try TestWorkspace.with { hub in
            let cache = CacheBuilder(root: URL(fileURLWithPath: hub.directory.appending("cache").string))
            // The same commit id, other bytes: a cache that claims what the Hub never published.
            let forged = FakeHub.File("config.json", Array(#"{"architectures": ["Forged"]}"#.utf8))
            try cache.snapshot([forged] + TestWorkspace.tinyFiles.dropFirst())
            let project = try Self.project(hub.directory)
            _ = try CacheFixture.importAll(cache, hub.store, lockInto: project)
            let saved = try Project.load(project.manifestPath)
            #expect(throws: ProjectError.self) {
                try Locker(puller: hub.puller).lock(saved, previous: try saved.loadLock(), update: ["tiny-model"], endpoint: TestWorkspace.hubBase)
            }
        }
    }

    /// A typosquat in the cache does not reach the project: `--lock` runs the name gate as `lock` does.
    @Test func theNameGateGuardsTheLock() throws {
        try CacheFixture.with { cache, store, _ in
            try cache.snapshot(TestWorkspace.tinyFiles)
            let directory = FilePath(cache.root.deletingLastPathComponent().path)
            let project = try Self.project(directory)
            var configuration = WorkspaceConfiguration(environment: [:], userAgent: "test")
            let allowlist = try Allowlist.parse("acme/tiny-modeI\n", source: "models.allow")
            configuration.allowlist = { (NameChecker(allowlist: allowlist), "models.allow") }
            let workspace = Workspace(openStore: { _ in store }, keyringDirectory: { "/nonexistent" }, configuration: configuration)
            var request = HFCacheImportRequest(cache: FilePath(cache.root.path))
            request.lockInto = project
            #expect {
                try workspace.importHFCache(request)
            } throws: { error in
                (error as? any ModelpinError)?.kind == .refused
            }
            #expect(try String(contentsOfFile: project.manifestPath.string, encoding: .utf8) == Self.manifest)
            #expect(!FileManager.default.fileExists(atPath: project.lockPath.string))
        }
    }

    @Test func plainLockKeepsTheMarkAndItParsesBack() throws {
        var model = LockedModel(
            alias: ModelAlias(rawValue: "tiny")!, requestedRepo: "acme/tiny", requestedRevision: "main", include: [], exclude: [],
            endpoint: "https://hub.test", repo: "acme/tiny", commit: try CommitID(parsing: TestWorkspace.commit), files: [])
        model.source = LockSource.hfCache
        let text = LockfileFormat.render(Lockfile(models: [model]))
        #expect(try LockfileFormat.parse(text, file: "modelpin.lock").model("tiny")?.source == .hfCache)
        let edited = text.replacingOccurrences(of: "source = \"hf-cache\"", with: "source = \"hub\"")
        #expect {
            try LockfileFormat.parse(edited, file: "modelpin.lock")
        } throws: { error in
            (error as? ProjectFileError)?.description.contains("source") == true
        }
    }
}

extension FakeHub.File {
    /// The fixture's bytes (every fixture here is in memory).
    var cacheFixtureBytes: [UInt8] {
        guard case .bytes(let bytes) = content else { preconditionFailure("an in-memory fixture") }
        return bytes
    }
}
