import Foundation
import PinDigest
import PinLock
import PinModel
import PinStore
import PinTestSupport
import PinWorkspace
import SystemPackage
import Testing

@Suite("verify --hf-cache: offline, against the lock or the blob names")
struct HFCacheVerifyTests {
    static let files = TestWorkspace.tinyFiles
    static let config = files[0]

    /// The lock `import --hf-cache --lock` would write for the fixture's snapshot.
    static func lock(_ files: [FakeHub.File]) throws -> Lockfile {
        var model = LockedModel(
            alias: ModelAlias(rawValue: "tiny-model")!, requestedRepo: "acme/tiny-model", requestedRevision: "main", include: [], exclude: [],
            endpoint: "https://hub.test", repo: "acme/tiny-model", commit: try CommitID(parsing: TestWorkspace.commit),
            files: files.map { LockedFile(path: $0.path, size: Int64($0.cacheFixtureBytes.count), sha256: SHA256.hash($0.cacheFixtureBytes), gitBlobID: GitBlobHasher.id(of: $0.cacheFixtureBytes), lfs: $0.lfs) })
        model.source = LockSource.hfCache
        return Lockfile(models: [model])
    }

    /// A workspace with no store and an endpoint nobody listens on: verify needs neither.
    static func verify(_ cache: CacheBuilder, lock: Lockfile?, selections: [HFCacheSelection] = []) throws -> HFCacheVerifyReport {
        let workspace = Workspace(
            openStore: { _ in throw HFCacheReadError.unreadableCache(FilePath("/no-store"), "verify must not open the store") },
            keyringDirectory: { "/nonexistent" },
            configuration: WorkspaceConfiguration(environment: ["MODELPIN_ENDPOINT": "http://127.0.0.1:9"], userAgent: "test"))
        return try workspace.verifyHFCache(FilePath(cache.root.path), selections: selections, lock: lock)
    }

    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let locked: Bool
        let expected: [HFCacheVerifyReport.Problem.Kind]
        let damage: @Sendable (CacheBuilder) throws -> Void
    }

    static let cases: [Case] = [
        Case(description: "intact, locked", locked: true, expected: []) { _ in },
        Case(description: "intact, unlocked", locked: false, expected: []) { _ in },
        Case(description: "a byte flipped in an LFS blob, locked", locked: true, expected: [.modified]) { cache in
            try flip(files[2], in: cache)
        },
        Case(description: "a byte flipped in a git blob, unlocked", locked: false, expected: [.modified]) { cache in
            try flip(config, in: cache)
        },
        Case(description: "a locked file missing from the snapshot", locked: true, expected: [.missing]) { cache in
            try FileManager.default.removeItem(at: cache.repoURL.appendingPathComponent("snapshots/\(TestWorkspace.commit)/config.json"))
        },
        Case(description: "a blob deleted under its link", locked: true, expected: [.dangling]) { cache in
            try FileManager.default.removeItem(at: cache.repoURL.appendingPathComponent("blobs/\(CacheBuilder.etag(files[2]))"))
        },
        Case(description: "a file the lock does not name", locked: true, expected: [.extra]) { cache in
            let extra = FakeHub.File("notes.txt", Array("later\n".utf8))
            try cache.blob(CacheBuilder.etag(extra), extra.cacheFixtureBytes)
            try cache.link(extra.path, etag: CacheBuilder.etag(extra))
        },
        Case(description: "an extra file, unlocked, is just a file", locked: false, expected: []) { cache in
            let extra = FakeHub.File("notes.txt", Array("later\n".utf8))
            try cache.blob(CacheBuilder.etag(extra), extra.cacheFixtureBytes)
            try cache.link(extra.path, etag: CacheBuilder.etag(extra))
        },
        Case(description: "a link that leaves the repo", locked: false, expected: [.malformed]) { cache in
            try cache.link("escape.json", to: "../../../../etc/passwd", etag: "")
        },
    ]

    static func flip(_ file: FakeHub.File, in cache: CacheBuilder) throws {
        var bytes = file.cacheFixtureBytes
        bytes[0] ^= 0x20
        try cache.blob(CacheBuilder.etag(file), bytes)
    }

    @Test(arguments: cases)
    func reportsEachProblem(_ test: Case) throws {
        try CacheFixture.with { cache, _, _ in
            try cache.snapshot(Self.files)
            try test.damage(cache)
            let report = try Self.verify(cache, lock: test.locked ? try Self.lock(Self.files) : nil)
            #expect(report.problems.map(\.kind) == test.expected, "\(report.problems)")
            #expect(report.snapshots == 1 && report.locked == (test.locked ? 1 : 0))
            for problem in report.problems {
                #expect(problem.path.hasPrefix(cache.folder + "/"))
                #expect(!problem.detail.isEmpty)
            }
        }
    }

    @Test func aLockForAnotherCommitIsNotApplied() throws {
        try CacheFixture.with { cache, _, _ in
            try cache.snapshot(Self.files)
            var lock = try Self.lock([Self.config])
            lock.models[0].commit = try CommitID(parsing: String(repeating: "5d6e", count: 10))
            let report = try Self.verify(cache, lock: lock)
            #expect(report.locked == 0 && report.problems.isEmpty)
        }
    }
}
