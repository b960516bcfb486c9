import Foundation
import PinDigest
import PinLock
import PinModel
import PinStore
import PinTestSupport
import PinTransport
import PinWorkspace
import Synchronization
import SystemPackage
import Testing

/// The upload side of `mirror s3://`: what is sent, skipped and refused, in which order. The
/// bucket here is a directory that records each call (PinS3's client against a real server is
/// exercised by the end-to-end tests); the writer only speaks `S3Bucket`.
@Suite("mirror s3://: the writer over a bucket")
struct S3MirrorWriterTests {
    final class RecordingBucket: S3Bucket, @unchecked Sendable {
        // @unchecked: every field is behind the mutex or immutable.
        let root: URL
        let calls = Mutex<[String]>([])

        init(root: URL) { self.root = root }

        var description: String { "s3://test-bucket/mirror/" }

        func size(of key: String) throws -> Int64? {
            calls.withLock { $0.append("HEAD \(key)") }
            let attributes = try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(key).path)
            return (attributes?[.size] as? NSNumber)?.int64Value
        }

        func upload(file: FilePath, size: Int64, sha256: SHA256Digest, to key: String) throws -> S3UploadReport {
            calls.withLock { $0.append("UPLOAD \(key)") }
            try write(Data(contentsOf: URL(fileURLWithPath: file.string)), key)
            return S3UploadReport(bytes: size, resumedParts: 0)
        }

        func put(_ bytes: [UInt8], to key: String) throws {
            calls.withLock { $0.append("PUT \(key)") }
            try write(Data(bytes), key)
        }

        func presignedGET(_ key: String, expiry: Int) throws -> HTTPURL { HTTPURL("http://bucket.test/" + key)! }

        func configure(_ policy: inout TransportPolicy) {}

        private func write(_ data: Data, _ key: String) throws {
            let url = root.appendingPathComponent(key)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
    }

    static let contents: [(String, [UInt8])] = [("config.json", Array(#"{"a": 1}"#.utf8)), ("model.safetensors", pseudoRandomBytes(count: 70_000, seed: 3))]

    /// A store holding `contents`, and the lock naming them.
    static func fixture(_ directory: URL) throws -> (Store, Lockfile) {
        let store = try Store.open(at: FilePath(directory.appendingPathComponent("store").path), access: .readWrite)
        var files: [LockedFile] = []
        for (path, bytes) in contents {
            let source = directory.appendingPathComponent(path.replacingOccurrences(of: "/", with: "_"))
            try Data(bytes).write(to: source)
            _ = try store.ingest(file: FilePath(source.path))
            files.append(LockedFile(path: path, size: Int64(bytes.count), sha256: SHA256.hash(bytes), gitBlobID: GitBlobHasher.id(of: bytes), lfs: bytes.count > 1000))
        }
        let model = LockedModel(
            alias: ModelAlias(rawValue: "tiny")!, requestedRepo: "acme/tiny", requestedRevision: "main", include: [], exclude: [],
            endpoint: "https://hub.test", repo: "acme/tiny", commit: try CommitID(parsing: String(repeating: "ab", count: 20)), files: files)
        return (store, Lockfile(models: [model]))
    }

    @Test func uploadsWhatIsMissingSkipsWhatIsThereAndPublishesTheLockLast() throws {
        try withTemporaryDirectory { directory in
            let (store, lock) = try Self.fixture(directory)
            let bucket = RecordingBucket(root: directory.appendingPathComponent("bucket"))
            let writer = S3MirrorWriter(store: store, bucket: bucket, events: DiscardEvents())
            let lockKey = try MirrorLayout.lockKey(project: "demo")
            let first = try writer.write(lock, files: [(lockKey, Array("lock text".utf8))])
            #expect((first.blobs, first.uploaded, first.skipped) == (2, 2, 0))
            #expect(first.bytes == Int64(Self.contents.map(\.1.count).reduce(0, +)))
            let calls = bucket.calls.withLock { $0 }
            #expect(calls.last == "PUT projects/demo/modelpin.lock", "the lock goes last: \(calls)")
            for (_, bytes) in Self.contents {
                let key = "blobs/sha256/" + SHA256.hash(bytes).hex
                #expect(try Data(contentsOf: bucket.root.appendingPathComponent(key)) == Data(bytes))
                #expect(calls.firstIndex(of: "HEAD \(key)")! < calls.firstIndex(of: "UPLOAD \(key)")!, "HEAD first")
            }

            // Again: both there with the lock's size, nothing sent. One truncated: sent again.
            let truncated = bucket.root.appendingPathComponent("blobs/sha256/" + SHA256.hash(Self.contents[1].1).hex)
            let again = try writer.write(lock, files: [(lockKey, Array("lock text".utf8))])
            #expect((again.uploaded, again.skipped, again.bytes) == (0, 2, 0))
            try Data(Self.contents[1].1.prefix(10)).write(to: truncated)
            let repaired = try writer.write(lock, files: [(lockKey, Array("lock text".utf8))])
            #expect((repaired.uploaded, repaired.skipped) == (1, 1))
            #expect(try Data(contentsOf: truncated) == Data(Self.contents[1].1))
        }
    }

    @Test func aDamagedStoreBlobIsNeverPublishedNorTheLock() throws {
        try withTemporaryDirectory { directory in
            let (store, lock) = try Self.fixture(directory)
            let digest = SHA256.hash(Self.contents[1].1)
            let blob = try store.path(of: digest).string
            chmod(blob, 0o644)
            var damaged = Self.contents[1].1
            damaged[100] ^= 0xFF
            try Data(damaged).write(to: URL(fileURLWithPath: blob))
            chmod(blob, 0o444)  // as the store keeps it: a blob it still lists
            let bucket = RecordingBucket(root: directory.appendingPathComponent("bucket"))
            let writer = S3MirrorWriter(store: store, bucket: bucket, events: DiscardEvents())
            #expect {
                _ = try writer.write(lock, files: [(try MirrorLayout.lockKey(project: "demo"), Array("lock".utf8))])
            } throws: { error in
                // The store's own stamp check notices the rewrite first (the blob is no longer
                // what was admitted); the writer's hash catches what a stamp cannot (bit rot).
                guard let error = error as? any ModelpinError, error.kind == .refused else { return false }
                return "\(error) \(error.causes)".contains("model.safetensors")
                    || (error as? ProjectError).map { if case .notInStore(let files) = $0 { files.contains { $0.contains("model.safetensors") } } else { false } } == true
            }
            let calls = bucket.calls.withLock { $0 }
            #expect(!calls.contains("UPLOAD blobs/sha256/\(digest.hex)"))
            #expect(!calls.contains { $0.hasPrefix("PUT ") }, "no lock for a mirror that lacks a blob: \(calls)")
        }
    }

    @Test(arguments: ["", "..", ".", "a/b", ".git", "-x", String(repeating: "a", count: 65), "caf\u{E9}"])
    func aProjectNameThatIsNotOneSafeComponentIsRefused(name: String) {
        #expect(throws: ProjectError.self) { try MirrorLayout.lockKey(project: name) }
    }

    @Test func theBlobSourceHandsOutPresignedURLsAndNothingForAFileWithoutSHA256() throws {
        let source = S3MirrorSource(bucket: RecordingBucket(root: URL(fileURLWithPath: "/nonexistent")))
        let digest = SHA256.hash(Array("x".utf8))
        let commit = try CommitID(parsing: String(repeating: "ab", count: 20))
        guard case .remote(let url, _, _)? = source.location(of: SnapshotFile(path: "a", size: 1, gitBlobID: GitBlobHasher.id(of: Array("x".utf8)), sha256: digest, isLFS: true), repo: "acme/tiny", commit: commit) else {
            Issue.record("expected a remote location")
            return
        }
        #expect(url.description == "http://bucket.test/blobs/sha256/" + digest.hex)
        #expect(source.location(of: SnapshotFile(path: "a", size: 1, gitBlobID: GitBlobHasher.id(of: Array("x".utf8)), sha256: nil, isLFS: false), repo: "acme/tiny", commit: commit) == nil)
    }
}

@Suite("pull --mirror s3://: presigned URLs through the ordinary fetch path")
struct S3MirrorSourcePullTests {
    /// A bucket whose presigned URLs point at an in-process server (the signature is a query
    /// string the server ignores, as a presigned URL's host would check it).
    struct PresigningBucket: S3Bucket {
        var description: String { "s3://bucket/mirror/" }
        func size(of key: String) throws -> Int64? { nil }
        func upload(file: FilePath, size: Int64, sha256: SHA256Digest, to key: String) throws -> S3UploadReport { S3UploadReport(bytes: 0, resumedParts: 0) }
        func put(_ bytes: [UInt8], to key: String) throws {}
        func presignedGET(_ key: String, expiry: Int) throws -> HTTPURL {
            HTTPURL("https://bucket.test/mirror/\(key)?X-Amz-Expires=\(expiry)&X-Amz-Signature=0123")!
        }
        func configure(_ policy: inout TransportPolicy) {}
    }

    @Test func whatTheBucketLacksOrGetsWrongComesFromTheHubAndEveryByteIsChecked() throws {
        try TestWorkspace.with { workspace in
            // The bucket has the JSON files right, the weights with one byte flipped, no `extra`.
            var flipped = TestWorkspace.weights
            flipped[flipped.count / 2] ^= 0x01
            let bucket = FakeBlobMirror([TestWorkspace.config, TestWorkspace.tokenizer])
            bucket.put(flipped, as: SHA256.hash(TestWorkspace.weights).hex)
            workspace.http.serve(bucket, at: "https://bucket.test")

            var locked = LockedPuller(puller: workspace.puller)
            locked.mirrors = [S3MirrorSource(bucket: PresigningBucket())]
            let outcome = try locked.fetch([try MirrorFallbackTests.lockedTinyModel(workspace.hub)])

            #expect(outcome.fetched.map(\.source) == ["s3://bucket/mirror/", "https://hub.test"])
            #expect(outcome.fetched.map(\.count) == [2, 2])
            for bytes in [TestWorkspace.config, TestWorkspace.tokenizer, TestWorkspace.weights, TestWorkspace.extra] {
                #expect(workspace.stores(bytes))
            }
            #expect(!workspace.stores(flipped))
            #expect(try workspace.storedBlobsMatchTheirNames())
            let fromBucket = workspace.requests(containing: "https://bucket.test/mirror/blobs/sha256/")
            #expect(!fromBucket.isEmpty && fromBucket.allSatisfy { $0.url.contains("X-Amz-Signature=") }, "\(fromBucket)")
            #expect(workspace.reporter.fallbacks.contains { $0 == ("model.safetensors", "s3://bucket/mirror/", true) })
        }
    }
}
