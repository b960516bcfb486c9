import Foundation
import PinDigest
import PinLock
import PinModel
import PinTestSupport
import PinTransport
import PinWorkspace
import SystemPackage
import Testing

@Suite("A locked pull through a mirror, falling back to the Hub")
struct MirrorFallbackTests {
    /// The tiny model, locked as the fake Hub lists it.
    static func lockedTinyModel(_ hub: FakeHub) throws -> LockedModel {
        let files = try TestWorkspace.tinyFiles.map { file in
            guard case .bytes(let bytes) = file.content else { throw CocoaError(.fileReadUnknown) }
            return LockedFile(
                path: file.path, size: Int64(bytes.count), sha256: SHA256.hash(bytes),
                gitBlobID: try GitBlobID(parsing: hub.gitOID(of: file)), lfs: file.lfs)
        }
        return LockedModel(
            alias: try ModelAlias(validating: "tiny"), requestedRepo: "acme/tiny-model", requestedRevision: "main", include: [], exclude: [],
            endpoint: TestWorkspace.hubBase, repo: "acme/tiny-model", commit: try CommitID(parsing: TestWorkspace.commit), files: files)
    }

    @Test func whatTheMirrorLacksOrGetsWrongComesFromTheHub() throws {
        try TestWorkspace.with { workspace in
            // The mirror has the two JSON files right, the weights with one byte flipped (same
            // size), and no `extra` at all.
            var flipped = TestWorkspace.weights
            flipped[flipped.count / 2] ^= 0x01
            let mirror = FakeBlobMirror([TestWorkspace.config, TestWorkspace.tokenizer])
            mirror.put(flipped, as: SHA256.hash(TestWorkspace.weights).hex)
            workspace.http.serve(mirror, at: "https://mirror.test")

            var locked = LockedPuller(puller: workspace.puller)
            locked.mirrors = [try MirrorSource(parsing: "https://mirror.test")]
            let outcome = try locked.fetch([try Self.lockedTinyModel(workspace.hub)])

            #expect(outcome.present == 0)
            #expect(outcome.fetched.map(\.source) == ["https://mirror.test/", "https://hub.test"])
            #expect(outcome.fetched.map(\.count) == [2, 2])
            #expect(outcome.fetched.map(\.bytes) == [
                Int64(TestWorkspace.config.count + TestWorkspace.tokenizer.count),
                Int64(TestWorkspace.weights.count + TestWorkspace.extra.count),
            ])
            for bytes in [TestWorkspace.config, TestWorkspace.tokenizer, TestWorkspace.weights, TestWorkspace.extra] {
                #expect(workspace.stores(bytes))
            }
            #expect(!workspace.stores(flipped))
            #expect(try workspace.storedBlobsMatchTheirNames())
            // The Hub was asked only for what the mirror could not give.
            let fromHub = workspace.requests(containing: "https://hub.test/acme/tiny-model/resolve/\(TestWorkspace.commit)/")
            #expect(Set(fromHub.compactMap { $0.url.split(separator: "/").last.map(String.init) }) == ["model.safetensors", "extra.safetensors"])
            #expect(workspace.reporter.fallbacks.contains { $0 == ("model.safetensors", "https://mirror.test/", true) })
        }
    }
}

@Suite("Locking again after the manifest changed")
struct RelockTests {
    static let v2 = String(repeating: "5e6f", count: 10)
    static let moved = String(repeating: "7c8d", count: 10)
    static let otherWeights = safetensorsFile(payloadBytes: 100 << 10, seed: 64)
    static let otherWeightsV2 = safetensorsFile(payloadBytes: 120 << 10, seed: 65)

    static let other = FakeHub.Repo(
        id: "acme/other", refs: ["main": TestWorkspace.commit, "v2": v2],
        commits: [
            TestWorkspace.commit: [FakeHub.File("config.json", TestWorkspace.config), FakeHub.File("model.safetensors", otherWeights, lfs: true)],
            v2: [FakeHub.File("config.json", TestWorkspace.config), FakeHub.File("model.safetensors", otherWeightsV2, lfs: true)],
        ])

    static func manifest(other change: String) -> String {
        """
        version = 1

        [models.other]
        repo = "acme/other"
        \(change)

        [models.tiny]
        repo = "acme/tiny-model"

        """
    }

    /// The changed line of `other`'s request, and the commit it then locks.
    @Test(arguments: [("revision = \"v2\"", v2), ("include = [\"*.json\"]", TestWorkspace.commit)])
    func onlyTheChangedRequestIsResolvedAgain(_ change: String, _ commit: String) throws {
        try TestWorkspace.with(repos: [TestWorkspace.tinyRepo, Self.other]) { workspace in
            let path = workspace.directory.appending("modelpin.toml")
            try writeFile(URL(fileURLWithPath: path.string), Array(Self.manifest(other: "").utf8))
            let locker = Locker(puller: workspace.puller)
            let (first, _) = try locker.lock(try Project.load(path), previous: nil, endpoint: TestWorkspace.hubBase)
            #expect(first.models.map(\.commit.hex) == [TestWorkspace.commit, TestWorkspace.commit])

            // The tiny model's branch moves on: a request that did not change keeps its entry.
            try workspace.hub.update { repos in
                repos[0].refs["main"] = Self.moved
                repos[0].commits[Self.moved] = [FakeHub.File("config.json", TestWorkspace.config)]
            }
            try writeFile(URL(fileURLWithPath: path.string), Array(Self.manifest(other: change).utf8))
            workspace.http.clearLog()
            let (second, changes) = try locker.lock(try Project.load(path), previous: first, endpoint: TestWorkspace.hubBase)

            #expect(second.model("tiny") == first.model("tiny"))
            #expect(second.model("other")?.commit.hex == commit)
            #expect(second.model("other") != first.model("other"))
            #expect(changes.map(\.alias) == ["other", "tiny"])
            #expect(changes.map(\.change) == [.updated(from: TestWorkspace.commit, to: commit), .unchanged])
            #expect(workspace.requests(containing: "/api/models/acme/tiny-model/").isEmpty)
            #expect(workspace.requests(containing: "/api/models/acme/other/revision/").count == 1)
        }
    }
}
