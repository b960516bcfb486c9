import Foundation
import PinDigest
import Synchronization
import PinModel
@testable import PinStore
import SystemPackage
import Testing

private let commitA = String(repeating: "a", count: 40)
private let commitB = String(repeating: "b", count: 40)
private let repo = try! RepoID(parsing: "org/model")

/// A stored file of a snapshot: the bytes go into the store first, as a pull would put them.
private func stored(_ fixture: StoreFixture, _ path: String, _ text: String, lfs: Bool = false) throws -> StoredSnapshot.File {
    let bytes = Array(text.utf8)
    let result = try fixture.store.ingest(file: try fixture.file(UUID().uuidString, bytes))
    return StoredSnapshot.File(
        path: path, sha256: result.digest, size: Int64(bytes.count),
        gitBlobID: GitBlobHasher.id(of: bytes), lfs: lfs)
}

private func indexText(_ fixture: StoreFixture) throws -> String {
    String(decoding: try fixture.contents(fixture.store.root.appending("index.json")), as: UTF8.self)
}

private func writeIndex(_ fixture: StoreFixture, _ text: String) throws {
    try Data(text.utf8).write(to: fixture.url(fixture.store.root.appending("index.json")))
}

@Suite struct SnapshotManifestTests {
    static let tiny = StoredSnapshot(
        repo: repo, commit: commitA, endpoint: "https://huggingface.co",
        files: [
            .init(path: "model.safetensors", sha256: SHA256.hash(Array("weights".utf8)), size: 7,
                  gitBlobID: GitBlobHasher.id(of: Array("weights".utf8)), lfs: true),
            .init(path: "config.json", sha256: SHA256.hash(Array("{}".utf8)), size: 2,
                  gitBlobID: GitBlobHasher.id(of: Array("{}".utf8)), lfs: false),
        ])

    @Test func rendersTheModelPackFormByteForByte() throws {
        let rendered = SnapshotManifest.render(Self.tiny)
        let config = String(decoding: rendered.config, as: UTF8.self)
        #expect(config == Golden.config)
        let manifest = String(decoding: rendered.manifest, as: UTF8.self)
        #expect(manifest == Golden.manifest(config: rendered.configDigest))
        #expect(rendered.manifestDigest == SHA256.hash(rendered.manifest))
        #expect(rendered.manifestDigest.description == Golden.manifestDigest)
    }

    @Test func sameSnapshotSameDigestWhateverTheFileOrder() {
        var shuffled = Self.tiny
        shuffled.files.reverse()
        #expect(SnapshotManifest.render(shuffled).manifest == SnapshotManifest.render(Self.tiny).manifest)
        var other = Self.tiny
        other.commit = commitB
        #expect(SnapshotManifest.render(other).manifestDigest != SnapshotManifest.render(Self.tiny).manifestDigest)
    }

    @Test func readsBackWhatItRenders() throws {
        let rendered = SnapshotManifest.render(Self.tiny)
        var read = try SnapshotManifest.parse(rendered.manifest)
        #expect(read.manifest == rendered.manifestDigest)
        read.manifest = nil
        #expect(read == Self.tiny)
    }

    @Test(arguments: [
        ("model.safetensors", LayerKind.weight), ("model-00001-of-00002.safetensors", .weight), ("gguf/q4.GGUF", .weight),
        ("pytorch_model.bin", .weight), ("onnx/model.onnx", .weight), ("flax_model.msgpack", .weight),
        ("config.json", .weightConfig), ("tokenizer.json", .weightConfig), ("tokenizer.model", .weightConfig),
        ("merges.txt", .weightConfig), ("vocab.txt", .weightConfig), ("chat_template.jinja", .weightConfig),
        ("generation_config.json", .weightConfig), (".gitattributes", .weightConfig),
        ("README.md", .doc), ("LICENSE", .doc), ("LICENSE.txt", .doc), ("docs/usage.md", .doc), ("assets/arch.PNG", .doc),
        ("NOTICE", .doc), ("modeling_custom.py", .code), ("scripts/convert.sh", .code), ("kernels/attn.cu", .code),
    ])
    func classifiesLayersByName(path: String, kind: LayerKind) {
        #expect(LayerKind(path: path) == kind)
    }

    @Test func mediaTypesAreTheSpecsStrings() {
        #expect(LayerKind.allCases.map(\.mediaType) == [
            "application/vnd.cncf.model.weight.v1.raw", "application/vnd.cncf.model.weight.config.v1.raw",
            "application/vnd.cncf.model.doc.v1.raw", "application/vnd.cncf.model.code.v1.raw",
        ])
    }

    @Test(arguments: [
        (["a.safetensors", "b.safetensors", "config.json"], "safetensors"), (["q.gguf"], "gguf"),
        (["a.safetensors", "a.bin"], nil), (["pytorch_model.bin"], nil), (["config.json"], nil),
    ] as [([String], String?)])
    func statesTheFormatOnlyWhenEvident(paths: [String], format: String?) {
        #expect(LayerKind.format(of: paths) == format)
    }
}

@Suite struct SnapshotIndexTests {
    @Test func recordsTheCommitAndTheRevisionAsked() throws {
        try StoreFixture.with { fixture in
            let files = [try stored(fixture, "config.json", "{}"), try stored(fixture, "model.safetensors", "weights", lfs: true)]
            let digest = try fixture.store.recordSnapshot(
                StoredSnapshot(repo: repo, commit: commitA, endpoint: "http://127.0.0.1:1", files: files), revision: "main")
            let listed = try fixture.store.snapshots()
            #expect(listed.map(\.name) == ["org/model:\(commitA)", "org/model:main"])
            #expect(listed.allSatisfy { $0.manifest == digest && $0.commit == commitA && $0.files == 2 && $0.problem == nil })

            let found = try #require(try fixture.store.snapshot(repo: repo, revision: "main"))
            #expect(found.commit == commitA)
            #expect(found.endpoint == "http://127.0.0.1:1")
            #expect(found.files == files.sorted { $0.path < $1.path })
            #expect(found.manifest == digest)
            #expect(try fixture.store.snapshot(repo: repo, revision: commitA) == found)
            #expect(try fixture.store.snapshot(repo: repo, revision: "v1") == nil)
            #expect(try fixture.store.snapshot(repo: try RepoID(parsing: "org/other"), revision: "main") == nil)
        }
    }

    @Test func recordingWhatIsRecordedWritesNothing() throws {
        try StoreFixture.with { fixture in
            let snapshot = StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: [try stored(fixture, "config.json", "{}")])
            try fixture.store.recordSnapshot(snapshot, revision: "main")
            let index = fixture.store.root.appending("index.json").string
            let inode = try FileManager.default.attributesOfItem(atPath: index)[.systemFileNumber] as? UInt64
            try fixture.store.recordSnapshot(snapshot, revision: nil)
            try fixture.store.recordSnapshot(snapshot, revision: "main")
            #expect(try FileManager.default.attributesOfItem(atPath: index)[.systemFileNumber] as? UInt64 == inode)
            try fixture.store.recordSnapshot(snapshot, revision: "v1")
            #expect(try FileManager.default.attributesOfItem(atPath: index)[.systemFileNumber] as? UInt64 != inode)
        }
    }

    @Test func anAliasMovesAndACommitStays() throws {
        try StoreFixture.with { fixture in
            let first = [try stored(fixture, "config.json", "{\"v\": 1}")]
            let second = [try stored(fixture, "config.json", "{\"v\": 2}")]
            let old = try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: first), revision: "main")
            let new = try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitB, endpoint: nil, files: second), revision: "main")
            let listed = Dictionary(uniqueKeysWithValues: try fixture.store.snapshots().map { ($0.name, $0.manifest) })
            #expect(listed == ["org/model:\(commitA)": old, "org/model:\(commitB)": new, "org/model:main": new])
            #expect(try fixture.store.snapshot(repo: repo, revision: "main")?.commit == commitB)
        }
    }

    @Test func aCommitOnlyGrowsAndRefusesOtherBytes() throws {
        try StoreFixture.with { fixture in
            let config = try stored(fixture, "config.json", "{}")
            let weights = try stored(fixture, "model.safetensors", "weights", lfs: true)
            try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: [config]), revision: "main")
            let grown = try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: [weights]), revision: nil)
            // Both names follow the grown manifest; neither loses a file.
            #expect(try fixture.store.snapshots().map(\.manifest) == [grown, grown])
            #expect(try fixture.store.snapshot(repo: repo, revision: "main")?.files.map(\.path) == ["config.json", "model.safetensors"])

            let forged = try stored(fixture, "model.safetensors", "other weights", lfs: true)
            #expect(throws: StoreError.self) {
                try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: [forged]), revision: nil)
            }
            #expect(try fixture.store.snapshots().map(\.manifest) == [grown, grown])
        }
    }

    @Test func refusesToRecordWhatIsNotInTheStore() throws {
        try StoreFixture.with { fixture in
            let absent = StoredSnapshot.File(path: "a.bin", sha256: SHA256.hash([1]), size: 1, gitBlobID: nil, lfs: false)
            #expect(throws: StoreError.self) {
                try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: [absent]), revision: nil)
            }
            let present = try stored(fixture, "../escape", "x")
            #expect(throws: StoreError.self) {
                try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: [present]), revision: nil)
            }
            #expect(throws: StoreError.self) {
                try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: "main", endpoint: nil, files: []), revision: nil)
            }
        }
    }

    @Test func refusesToRecordABlobChangedSinceItWasVerified() throws {
        try StoreFixture.with { fixture in
            let file = try stored(fixture, "config.json", "{}")
            try fixture.tamper(with: file.sha256)
            let error = try #require(throws: StoreError.self) {
                try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: [file]), revision: nil)
            }
            #expect(error.causes.contains { $0.contains("config.json") }, "\(error.causes)")
            #expect(try fixture.store.snapshots() == [])
        }
    }

    @Test func keepsEntriesItDoesNotUnderstand() throws {
        try StoreFixture.with { fixture in
            let foreign = """
                {"schemaVersion": 2, "annotations": {"com.example.note": "kept"}, "manifests": [
                  {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha512:\(String(repeating: "0", count: 128))",
                   "size": 3, "platform": {"os": "linux"}, "annotations": {"org.opencontainers.image.ref.name": "busybox:1"}},
                  {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:\(String(repeating: "1", count: 64))", "size": 7}
                ]}
                """
            try writeIndex(fixture, foreign)
            try fixture.store.recordSnapshot(
                StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: [try stored(fixture, "config.json", "{}")]), revision: "main")
            let index = try indexText(fixture)
            for kept in ["com.example.note", "busybox:1", "sha512:", "\"platform\"", "sha256:\(String(repeating: "1", count: 64))", "org/model:main"] {
                #expect(index.contains(kept), "lost \(kept)")
            }
            try fixture.store.forgetSnapshots("org/model")
            #expect(try indexText(fixture).contains("busybox:1"))
            #expect(try fixture.store.snapshots().map(\.name) == [])
        }
    }

    @Test func concurrentRecordsAreAllKept() throws {
        try StoreFixture.with { fixture in
            let repos = try (0..<8).map { try RepoID(parsing: "org/model-\($0)") }
            let files = try repos.map { [try stored(fixture, "config.json", "{\"\($0)\": 1}")] }
            let store = fixture.store
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: repos.count) { index in
                do {
                    try store.recordSnapshot(StoredSnapshot(repo: repos[index], commit: commitA, endpoint: nil, files: files[index]), revision: "main")
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
            #expect(Set(try store.snapshots().map(\.name)) == Set(repos.flatMap { ["\($0):\(commitA)", "\($0):main"] }))
        }
    }

    @Test func forgetRemovesOneNameOrAllOfARepo() throws {
        try StoreFixture.with { fixture in
            let files = [try stored(fixture, "config.json", "{}")]
            try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: files), revision: "main")
            #expect(try fixture.store.forgetSnapshots("org/model:main") == ["org/model:main"])
            #expect(try fixture.store.snapshot(repo: repo, revision: "main") == nil)
            #expect(try fixture.store.snapshot(repo: repo, revision: commitA) != nil)
            #expect(throws: StoreError.self) { try fixture.store.forgetSnapshots("org/model:main") }
            #expect(try fixture.store.forgetSnapshots("org/model") == ["org/model:\(commitA)"])
            #expect(throws: StoreError.self) { try fixture.store.forgetSnapshots("org/mod") }
        }
    }
}

@Suite struct HostileSnapshotTests {
    /// Records a snapshot, then rewrites its manifest with `edit` as someone with write access
    /// to the store might, storing the edited manifest as a proper blob and pointing the index
    /// at it. Returns the error reading it back gives.
    private func readBack(edited edit: (inout [String: Any]) -> Void) throws -> String {
        try StoreFixture.with { fixture in
            let files = [try stored(fixture, "config.json", "{}")]
            let digest = try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: files), revision: "main")
            var manifest = try JSONSerialization.jsonObject(with: Data(try fixture.contents(fixture.store.blobPath(digest)))) as! [String: Any]
            edit(&manifest)
            let bytes = Array(try JSONSerialization.data(withJSONObject: manifest))
            let forged = try fixture.store.ingest(file: try fixture.file("forged.json", bytes)).digest
            try writeIndex(fixture, try indexText(fixture).replacingOccurrences(of: digest.description, with: forged.description)
                .replacingOccurrences(of: "\"size\" : \(try fixture.contents(fixture.store.blobPath(digest)).count)", with: "\"size\" : \(bytes.count)"))
            do {
                _ = try fixture.store.snapshot(repo: repo, revision: "main")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
    }

    private static func setPath(_ path: String) -> (inout [String: Any]) -> Void {
        { manifest in
            var layers = manifest["layers"] as! [[String: Any]]
            var annotations = layers[0]["annotations"] as! [String: String]
            annotations["org.cncf.model.filepath"] = path
            annotations["org.opencontainers.image.title"] = path
            layers[0]["annotations"] = annotations
            manifest["layers"] = layers
        }
    }

    @Test(arguments: ["../../etc/passwd", "/etc/passwd", ".git/config", "a/./b", "a\\b", ""])
    func refusesUnsafePathsNamingTheField(path: String) throws {
        let message = try readBack(edited: Self.setPath(path))
        #expect(message.contains("layers[0].annotations.org.cncf.model.filepath"), "\(message)")
        #expect(message.contains("is malformed"))
    }

    @Test func refusesAManifestOfAnotherKind() throws {
        let message = try readBack { $0["artifactType"] = "application/vnd.example+json" }
        #expect(message.contains("artifactType"), "\(message)")
    }

    @Test func refusesABadDigestOrSize() throws {
        let digest = try readBack { manifest in
            var layers = manifest["layers"] as! [[String: Any]]
            layers[0]["digest"] = "sha256:XYZ"
            manifest["layers"] = layers
        }
        #expect(digest.contains("layers[0].digest"), "\(digest)")
        let size = try readBack { manifest in
            var layers = manifest["layers"] as! [[String: Any]]
            layers[0]["size"] = Int64(1) << 62
            manifest["layers"] = layers
        }
        #expect(size.contains("layers[0].size"), "\(size)")
    }

    @Test func refusesAManifestThatIsNotWhatTheIndexNames() throws {
        try StoreFixture.with { fixture in
            let files = [try stored(fixture, "config.json", "{}")]
            let digest = try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: files), revision: "main")
            // The index names a blob the store has, but under a size that is not its own.
            let manifestSize = try fixture.contents(fixture.store.blobPath(digest)).count
            try writeIndex(fixture, try indexText(fixture).replacingOccurrences(of: "\"size\" : \(manifestSize)", with: "\"size\" : \(manifestSize + 1)"))
            let error = try #require(throws: StoreError.self) { try fixture.store.snapshot(repo: repo, revision: "main") }
            #expect(error.description.contains(digest.hex), "\(error)")
            #expect(error.description.contains("is not the manifest `org/model:main` names"))

            // The index names a manifest the store does not hold.
            try writeIndex(fixture, try indexText(fixture).replacingOccurrences(of: digest.hex, with: String(repeating: "2", count: 64)))
            let missing = try #require(throws: StoreError.self) { try fixture.store.snapshot(repo: repo, revision: "main") }
            #expect(missing.description.contains("index.json"))
            #expect(missing.description.contains("not in the store"))
        }
    }

    @Test func aManifestOfAnotherRepoUnderThisName() throws {
        try StoreFixture.with { fixture in
            let files = [try stored(fixture, "config.json", "{}")]
            try fixture.store.recordSnapshot(StoredSnapshot(repo: try RepoID(parsing: "evil/model"), commit: commitA, endpoint: nil, files: files), revision: "main")
            try writeIndex(fixture, try indexText(fixture).replacingOccurrences(of: "evil/model:main", with: "org/model:main"))
            let error = try #require(throws: StoreError.self) { try fixture.store.snapshot(repo: repo, revision: "main") }
            #expect(error.description.contains("names a snapshot of `evil/model`"), "\(error)")
        }
    }

    @Test(arguments: ["{", "[]", "{\"manifests\": 3}", "{\"manifests\": [{\"mediaType\": 1, \"annotations\": {\"org.opencontainers.image.ref.name\": \"org/model:main\"}}]}"])
    func aBadIndexIsAnErrorNamingIt(text: String) throws {
        try StoreFixture.with { fixture in
            try writeIndex(fixture, text)
            let error = try #require(throws: StoreError.self) { try fixture.store.snapshot(repo: repo, revision: "main") }
            #expect(error.description.contains("index.json"), "\(error)")
            #expect(error.description.contains("is malformed"))
        }
    }

    @Test func anOversizeIndexIsRefusedUnread() throws {
        try StoreFixture.with { fixture in
            try writeIndex(fixture, "{\"manifests\": [" + String(repeating: " ", count: 17 << 20) + "]}")
            let error = try #require(throws: StoreError.self) { try fixture.store.snapshots() }
            #expect(error.description.contains("larger than"), "\(error)")
        }
    }
}

@Suite struct SnapshotGCTests {
    @Test func gcKeepsWhatASnapshotNamesAndFreesItAfterForget() throws {
        try StoreFixture.with { fixture in
            let files = [try stored(fixture, "config.json", "{}"), try stored(fixture, "model.safetensors", "weights", lfs: true)]
            let snapshot = StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: files)
            let manifest = try fixture.store.recordSnapshot(snapshot, revision: "main")
            let config = SnapshotManifest.render(snapshot).configDigest
            let kept = Set(files.map(\.sha256) + [manifest, config])

            let report = try fixture.store.collectGarbage(GCPolicy(gracePeriod: 0))
            #expect(report.removed.compactMap(\.digest) == [])
            #expect(Set(try fixture.store.blobs().map(\.digest)) == kept)

            try fixture.store.forgetSnapshots("org/model:main")
            #expect(try fixture.store.collectGarbage(GCPolicy(gracePeriod: 0)).removed.compactMap(\.digest) == [])
            try fixture.store.forgetSnapshots("org/model")
            let freed = try fixture.store.collectGarbage(GCPolicy(gracePeriod: 0))
            #expect(Set(freed.removed.compactMap(\.digest)) == kept)
            #expect(try fixture.store.blobs() == [])
        }
    }
}

/// The expected bytes of `SnapshotManifestTests.tiny`: changing them changes every recorded
/// snapshot's digest, so a change here must be deliberate.
private enum Golden {
    static let config = """
        {
          "config" : {
            "format" : "safetensors"
          },
          "descriptor" : {
            "name" : "org/model",
            "revision" : "\(commitA)"
          },
          "modelfs" : {
            "diffIds" : [
              "\(SHA256.hash(Array("{}".utf8)))",
              "\(SHA256.hash(Array("weights".utf8)))"
            ],
            "type" : "layers"
          }
        }

        """

    static func manifest(config: SHA256Digest) -> String {
        """
        {
          "annotations" : {
            "dev.modelpin.commit" : "\(commitA)",
            "dev.modelpin.endpoint" : "https://huggingface.co",
            "dev.modelpin.repo" : "org/model",
            "dev.modelpin.snapshot-version" : "1",
            "org.opencontainers.image.revision" : "\(commitA)"
          },
          "artifactType" : "application/vnd.cncf.model.manifest.v1+json",
          "config" : {
            "digest" : "\(config)",
            "mediaType" : "application/vnd.cncf.model.config.v1+json",
            "size" : \(Golden.config.utf8.count)
          },
          "layers" : [
            {
              "annotations" : {
                "dev.modelpin.git-blob-id" : "\(GitBlobHasher.id(of: Array("{}".utf8)).hex)",
                "dev.modelpin.lfs" : "false",
                "org.cncf.model.filepath" : "config.json",
                "org.opencontainers.image.title" : "config.json"
              },
              "digest" : "\(SHA256.hash(Array("{}".utf8)))",
              "mediaType" : "application/vnd.cncf.model.weight.config.v1.raw",
              "size" : 2
            },
            {
              "annotations" : {
                "dev.modelpin.git-blob-id" : "\(GitBlobHasher.id(of: Array("weights".utf8)).hex)",
                "dev.modelpin.lfs" : "true",
                "org.cncf.model.filepath" : "model.safetensors",
                "org.opencontainers.image.title" : "model.safetensors"
              },
              "digest" : "\(SHA256.hash(Array("weights".utf8)))",
              "mediaType" : "application/vnd.cncf.model.weight.v1.raw",
              "size" : 7
            }
          ],
          "mediaType" : "application/vnd.oci.image.manifest.v1+json",
          "schemaVersion" : 2
        }

        """
    }

    static let manifestDigest = "sha256:497c92cbf067e68b8dd7d82de02201d64438439da37292435c2cdcdf4db8118d"
}

@Suite struct SnapshotReferenceTests {
    @Test(arguments: [
        ("main", "org/model:main"), ("v1.0", "org/model:v1.0"), ("refs/pr/1", "org/model:refs/pr/1"),
        ("release_2+cpu", "org/model:release_2+cpu"), (commitA, "org/model:\(commitA)"),
        ("", nil), ("a b", nil), ("a@b", nil), ("feature#1", nil), ("brüder", nil), ("tab\t", nil),
        (String(repeating: "x", count: 257), nil),
    ] as [(String, String?)])
    func namesUseOnlyTheCharactersARefNameMay(revision: String, name: String?) {
        #expect(SnapshotReference.name(repo: repo, revision: revision) == name)
    }

    @Test func aRevisionWithoutANameStillRecordsItsCommit() throws {
        try StoreFixture.with { fixture in
            let files = [try stored(fixture, "config.json", "{}")]
            try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: files), revision: "feature#1")
            #expect(try fixture.store.snapshots().map(\.name) == ["org/model:\(commitA)"])
            // A full commit id is never an alias of another commit.
            try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commitA, endpoint: nil, files: files), revision: commitB)
            #expect(try fixture.store.snapshots().map(\.name) == ["org/model:\(commitA)"])
        }
    }
}
