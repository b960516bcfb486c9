import Foundation
import PinDigest
import PinModel
import PinStore
import PinTestSupport
@testable import PinWorkspace
import Synchronization
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The writer on its own: a store with a few blobs, a snapshot of them, and a cache directory.
@Suite struct HFCacheWriterTests {
    static let commit = String(repeating: "0123abcd", count: 5)
    static let config = Array(#"{"model_type": "bert"}"#.utf8)
    static let weights = safetensorsFile(payloadBytes: 2048, seed: 1)
    static let nested = safetensorsFile(payloadBytes: 512, seed: 2)

    /// A store holding the files of `acme/tiny` (one of them twice, under two paths) and the
    /// snapshot that names them.
    struct Fixture {
        let directory: FilePath
        let store: Store
        let snapshot: StoredSnapshot
        var cache: FilePath { directory.appending("hf") }
        var repoFolder: FilePath { cache.appending("models--acme--tiny") }
        var writer: HFCacheWriter { HFCacheWriter(store: store, cacheRoot: cache) }

        static func with<T>(repo: String = "acme/tiny", cache: FilePath? = nil, _ body: (Fixture) throws -> T) throws -> T {
            try withTemporaryDirectory("modelpin-hfcache") { url in
                let directory = FilePath(url.path)
                let store = try Store.open(at: directory.appending("store"), access: .readWrite)
                var files: [StoredSnapshot.File] = []
                for (path, bytes, lfs) in [
                    ("config.json", HFCacheWriterTests.config, false), ("model.safetensors", HFCacheWriterTests.weights, true),
                    ("a/b/model.safetensors", HFCacheWriterTests.nested, true), ("copy/config.json", HFCacheWriterTests.config, false),
                ] {
                    let source = directory.appending("input-\(files.count)")
                    try writeFile(URL(fileURLWithPath: source.string), bytes)
                    let stored = try store.ingest(file: source)
                    files.append(StoredSnapshot.File(
                        path: path, sha256: stored.digest, size: stored.size, gitBlobID: lfs ? nil : GitBlobHasher.id(of: bytes), lfs: lfs))
                }
                let snapshot = StoredSnapshot(repo: try RepoID(parsing: repo), commit: HFCacheWriterTests.commit, endpoint: nil, files: files)
                return try body(Fixture(directory: directory, store: store, snapshot: snapshot))
            }
        }

        func lstat(_ relative: String) -> Stat? { try? Stat(repoFolder.appending(relative), flags: .symlinkNoFollow) }
        func link(_ relative: String) -> String? {
            try? FileManager.default.destinationOfSymbolicLink(atPath: repoFolder.appending(relative).string)
        }
        func contents(_ relative: String) -> [UInt8]? {
            (try? Data(contentsOf: URL(fileURLWithPath: repoFolder.appending(relative).string))).map(Array.init)
        }
        func etag(_ bytes: [UInt8], lfs: Bool) -> String {
            if lfs {
                var hasher = SHA256()
                hasher.update(bytes)
                return hasher.finalize().hex
            }
            return GitBlobHasher.id(of: bytes).hex
        }
    }

    @Test func writesTheLayoutTheClientReads() throws {
        try Fixture.with { fixture in
            let outcome = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: true)
            let configTag = fixture.etag(Self.config, lfs: false)
            let weightsTag = fixture.etag(Self.weights, lfs: true)
            let nestedTag = fixture.etag(Self.nested, lfs: true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.repoFolder.appending("blobs").string).sorted()
                == [configTag, weightsTag, nestedTag].sorted())
            #expect(fixture.link("snapshots/\(Self.commit)/config.json") == "../../blobs/\(configTag)")
            #expect(fixture.link("snapshots/\(Self.commit)/copy/config.json") == "../../../blobs/\(configTag)")
            #expect(fixture.link("snapshots/\(Self.commit)/model.safetensors") == "../../blobs/\(weightsTag)")
            #expect(fixture.link("snapshots/\(Self.commit)/a/b/model.safetensors") == "../../../../blobs/\(nestedTag)")
            #expect(fixture.contents("snapshots/\(Self.commit)/a/b/model.safetensors") == Self.nested)
            #expect(fixture.contents("refs/main") == Array(Self.commit.utf8), "the commit, with no newline")
            #expect(FileManager.default.fileExists(atPath: fixture.cache.appending(".locks/models--acme--tiny/\(weightsTag).lock").string))

            // Hard links of the store's own (read-only) blobs: no byte copied.
            let stored = try Stat(fixture.store.path(of: fixture.snapshot.files.first { $0.path == "model.safetensors" }!.sha256))
            let blob = try #require(fixture.lstat("blobs/\(weightsTag)"))
            #expect(blob.inode == stored.inode && blob.deviceID == stored.deviceID)
            #expect((outcome.linked, outcome.copied, outcome.reflinked, outcome.kept, outcome.crossFilesystem) == (3, 0, 0, 0, false))
            #expect(outcome.snapshot == fixture.repoFolder.appending("snapshots/\(Self.commit)").string)

            // trees/<commit>.json, as _tree_cache reads it.
            let tree = try #require(fixture.contents("trees/\(Self.commit).json"))
            let document = try #require(try JSONSerialization.jsonObject(with: Data(tree)) as? [String: Any])
            #expect(document["format_version"] as? Int == 1)
            let listing = try #require(document["files"] as? [String: [String: Any]])
            #expect(listing.keys.sorted() == ["a/b/model.safetensors", "config.json", "copy/config.json", "model.safetensors"])
            #expect(listing["config.json"]?["blob_id"] as? String == configTag)
            #expect(listing["config.json"]?["size"] as? Int == Self.config.count)
            #expect(listing["config.json"]?["lfs_sha256"] == nil)
            #expect(listing["model.safetensors"]?["lfs_sha256"] as? String == weightsTag)
            #expect(listing["model.safetensors"]?["lfs_size"] as? Int == Self.weights.count)
            // An LFS file's blob_id is its pointer's git id, computed when the store lacks it.
            let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:\(weightsTag)\nsize \(Self.weights.count)\n"
            #expect(listing["model.safetensors"]?["blob_id"] as? String == GitBlobHasher.id(of: Array(pointer.utf8)).hex)
        }
    }

    /// A link moves the store blob's ctime; its stamp is renewed, so the next use of the blob
    /// (every pull, every export) does not re-hash gigabytes.
    @Test func linkingKeepsTheStoreStampCurrent() throws {
        try Fixture.with { fixture in
            let weights = fixture.snapshot.files.first { $0.path == "model.safetensors" }!.sha256
            _ = try fixture.store.path(of: weights)  // stamped as ingest left it
            _ = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: false)
            let blob = try Stat(fixture.store.blobPath(weights))
            let stamp = try String(contentsOfFile: fixture.directory.appending("store/stamps/\(weights.hex)").string, encoding: .utf8)
            let fields = stamp.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            #expect(fields.suffix(2) == ["\(blob.st_ctim.tv_sec)", "\(blob.st_ctim.tv_nsec)"], "stamp: \(stamp)")
        }
    }

    @Test func aCommitGetsNoRefAndAPRRefNests() throws {
        try Fixture.with { fixture in
            _ = try fixture.writer.export(fixture.snapshot, revision: Self.commit, writeTree: false)
            #expect(fixture.lstat("refs") == nil)
            #expect(fixture.lstat("trees") == nil)
            _ = try fixture.writer.export(fixture.snapshot, revision: "refs/pr/1", writeTree: false)
            #expect(fixture.contents("refs/refs/pr/1") == Array(Self.commit.utf8))
        }
    }

    @Test func aDatasetGoesUnderDatasets() throws {
        try Fixture.with(repo: "datasets/acme/tiny") { fixture in
            _ = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: false)
            let folder = fixture.cache.appending("datasets--acme--tiny")
            #expect(FileManager.default.fileExists(atPath: folder.appending("snapshots/\(Self.commit)/config.json").string))
            #expect(!FileManager.default.fileExists(atPath: fixture.repoFolder.string))
        }
    }

    /// Other bytes under an etag's name: refused with both digests, and left as they are.
    @Test(arguments: [false, true])
    func aConflictingBlobIsRefusedNeverOverwritten(lfs: Bool) throws {
        try Fixture.with { fixture in
            let bytes = lfs ? Self.weights : Self.config
            let tag = fixture.etag(bytes, lfs: lfs)
            let planted = Array("not the bytes".utf8)
            try FileManager.default.createDirectory(atPath: fixture.repoFolder.appending("blobs").string, withIntermediateDirectories: true)
            try writeFile(URL(fileURLWithPath: fixture.repoFolder.appending("blobs/\(tag)").string), planted)
            let actual = fixture.etag(planted, lfs: lfs)
            do {
                _ = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: true)
                Issue.record("a conflicting blob was accepted")
            } catch let error as HFCacheError {
                guard case .blobConflict(let path, let expected, let found) = error else { throw error }
                #expect(path == fixture.repoFolder.appending("blobs/\(tag)"))
                #expect(expected.name == tag && found.name == actual)
                #expect(error.causes.contains { $0.contains(tag) } && error.causes.contains { $0.contains(actual) })
                #expect(error.kind == .refused)
            }
            #expect(fixture.contents("blobs/\(tag)") == planted)
            #expect(fixture.lstat("refs/main") == nil, "no ref to a snapshot that was not written whole")
        }
    }

    /// A correct blob already there (a client's own download) is kept, not replaced.
    @Test func aCorrectBlobAlreadyThereIsKept() throws {
        try Fixture.with { fixture in
            let tag = fixture.etag(Self.weights, lfs: true)
            try FileManager.default.createDirectory(atPath: fixture.repoFolder.appending("blobs").string, withIntermediateDirectories: true)
            try writeFile(URL(fileURLWithPath: fixture.repoFolder.appending("blobs/\(tag)").string), Self.weights)
            let before = try #require(fixture.lstat("blobs/\(tag)"))
            let outcome = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: false)
            #expect(fixture.lstat("blobs/\(tag)")?.inode == before.inode)
            #expect((outcome.linked, outcome.kept) == (2, 1))
        }
    }

    /// huggingface_hub 2.x's shared Xet store: `blobs/<etag>` a link to `../../blobs/XX/<hex>`
    /// in the cache root. Read through the root (never out of it) and kept when its bytes match.
    @Test func theClientsSharedBlobLinkIsCheckedAndKept() throws {
        try Fixture.with { fixture in
            let tag = fixture.etag(Self.weights, lfs: true)
            let xet = String(repeating: "7e", count: 32)
            let shared = fixture.cache.appending("blobs/7e/\(xet)")
            try FileManager.default.createDirectory(atPath: shared.removingLastComponent().string, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: fixture.repoFolder.appending("blobs").string, withIntermediateDirectories: true)
            try writeFile(URL(fileURLWithPath: shared.string), Self.weights)
            try FileManager.default.createSymbolicLink(
                atPath: fixture.repoFolder.appending("blobs/\(tag)").string, withDestinationPath: "../../blobs/7e/\(xet)")
            let outcome = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: false)
            #expect(outcome.kept == 1)
            #expect(fixture.link("blobs/\(tag)") == "../../blobs/7e/\(xet)")

            // The same form with other bytes behind it is a conflict like any other.
            try FileManager.default.removeItem(atPath: shared.string)
            try writeFile(URL(fileURLWithPath: shared.string), Array("other".utf8))
            #expect(throws: HFCacheError.self) { try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: false) }
        }
    }

    /// A symbolic link planted anywhere on the way is refused; nothing is written through it.
    @Test(arguments: ["models--acme--tiny", "models--acme--tiny/blobs", "models--acme--tiny/snapshots",
                      "models--acme--tiny/snapshots/\(commit)", "models--acme--tiny/refs", ".locks",
                      "models--acme--tiny/blobs/\(String(repeating: "ab", count: 20))"])
    func plantedSymlinksAreRefused(planted: String) throws {
        try Fixture.with { fixture in
            let outside = fixture.directory.appending("outside")
            try FileManager.default.createDirectory(atPath: outside.string, withIntermediateDirectories: true)
            // The last case is the config's etag position only when named so; plant at the real one.
            var relative = planted
            if planted.hasSuffix(String(repeating: "ab", count: 20)) {
                relative = "models--acme--tiny/blobs/\(fixture.etag(Self.config, lfs: false))"
                try writeFile(URL(fileURLWithPath: outside.appending("target").string), Self.config)
            }
            let link = fixture.cache.appending(relative)
            try FileManager.default.createDirectory(atPath: link.removingLastComponent().string, withIntermediateDirectories: true)
            let target = relative.hasPrefix("models--acme--tiny/blobs/") ? outside.appending("target") : outside
            try FileManager.default.createSymbolicLink(atPath: link.string, withDestinationPath: target.string)
            #expect(throws: HFCacheError.self) { try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: true) }
            let leaked = try FileManager.default.contentsOfDirectory(atPath: outside.string).filter { $0 != "target" }
            #expect(leaked.isEmpty, "written through the link: \(leaked)")
        }
    }

    /// Eight exports of one snapshot at once (the client's lock per blob, temp-and-rename
    /// everywhere else): all succeed and the layout is whole.
    @Test func concurrentExportsOfOneSnapshot() throws {
        try Fixture.with { fixture in
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                do {
                    _ = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: true)
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            for file in fixture.snapshot.files {
                let bytes = fixture.contents("snapshots/\(Self.commit)/\(file.path)")
                #expect(bytes.map { $0.count } == Int(file.size), "\(file.path)")
            }
            #expect(fixture.contents("refs/main") == Array(Self.commit.utf8))
            let strays = try FileManager.default.subpathsOfDirectory(atPath: fixture.repoFolder.string).filter { $0.contains(".modelpin-") }
            #expect(strays.isEmpty, "temp files left: \(strays)")
        }
    }

    @Test func reExportKeepsEverything() throws {
        try Fixture.with { fixture in
            _ = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: true)
            let tree = try #require(fixture.lstat("trees/\(Self.commit).json"))
            let link = try #require(fixture.lstat("snapshots/\(Self.commit)/config.json"))
            let again = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: true)
            #expect((again.linked, again.kept, again.wroteTree) == (0, 3, false))
            #expect(fixture.lstat("trees/\(Self.commit).json")?.inode == tree.inode)
            #expect(fixture.lstat("snapshots/\(Self.commit)/config.json")?.inode == link.inode)
        }
    }

    /// A pointer that is wrong (a user's file, a link elsewhere) is replaced, as the client
    /// replaces one; a directory in a file's place is refused.
    @Test func wrongPointersAreReplaced() throws {
        try Fixture.with { fixture in
            let pointer = fixture.repoFolder.appending("snapshots/\(Self.commit)/config.json")
            try FileManager.default.createDirectory(atPath: pointer.removingLastComponent().string, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: pointer.string, withDestinationPath: "/etc/passwd")
            _ = try fixture.writer.export(fixture.snapshot, revision: "main", writeTree: false)
            #expect(fixture.link("snapshots/\(Self.commit)/config.json") == "../../blobs/\(fixture.etag(Self.config, lfs: false))")
        }
    }

    /// The cache on another filesystem (a tmpfs): blobs are copies, flushed, and said to be.
    @Test func acrossFilesystemsBlobsAreCopiedAndSaidToBe() throws {
        try Fixture.with { fixture in
            try Tmpfs.with(sizeKiB: 1024) { tmpfs in
                let writer = HFCacheWriter(store: fixture.store, cacheRoot: FilePath(tmpfs.mountPoint.path))
                let outcome = try writer.export(fixture.snapshot, revision: "main", writeTree: false)
                #expect(outcome.crossFilesystem)
                #expect(outcome.copied + outcome.reflinked == 3 && outcome.linked == 0)
                let path = tmpfs.mountPoint.appendingPathComponent("models--acme--tiny/snapshots/\(Self.commit)/model.safetensors").path
                #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == Self.weights)
            }
        }
    }
}
