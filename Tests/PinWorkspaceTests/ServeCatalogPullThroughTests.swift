import Foundation
import PinDigest
import PinModel
import PinNames
import PinPolicy
import PinStore
import PinTestSupport
import PinVerify
import PinWorkspace
import SystemPackage
import Testing

/// `serve --upstream`: a miss resolved and fetched through the whole pipeline, in process.
@Suite("The serve catalog's pull-through")
struct ServeCatalogPullThroughTests {
    static let repo = try! RepoID(parsing: "acme/tiny-model")

    static func allowing(_ text: String) -> (inout PullSettings) -> Void {
        { $0.names = NameChecker(allowlist: try! Allowlist.parse(text, source: "the server's allowlist")) }
    }

    static func catalog(_ workspace: TestWorkspace) throws -> StoreServeCatalog {
        try StoreServeCatalog(store: workspace.store, upstream: workspace.puller, events: workspace.reporter)
    }

    @Test func aMissIsPulledThroughAndRecorded() async throws {
        try await TestWorkspace.withAsync(configure: Self.allowing("acme/*\n")) { workspace in
            let catalog = try Self.catalog(workspace)
            let snapshot = try await catalog.snapshot(Self.repo, revision: "main")
            #expect(snapshot.commit.hex == TestWorkspace.commit)
            #expect(snapshot.files.map(\.path) == TestWorkspace.tinyFiles.map(\.path).sorted())
            // The plain files came with the listing (the Hub lists no SHA-256 for them); the
            // LFS files wait for a request.
            let recorded = try #require(try workspace.store.snapshot(repo: Self.repo, revision: "main"))
            #expect(recorded.files.map(\.path) == ["config.json", "tokenizer/tokenizer.json"])
            #expect(workspace.requests(containing: "https://cdn.test/").isEmpty)

            let blob = try await catalog.open("model.safetensors", in: snapshot)
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: blob.path))) == TestWorkspace.weights)
            let grown = try #require(try workspace.store.snapshot(repo: Self.repo, revision: TestWorkspace.commit))
            #expect(grown.files.map(\.path) == ["config.json", "model.safetensors", "tokenizer/tokenizer.json"])
            _ = try await catalog.open("model.safetensors", in: snapshot)
            #expect(workspace.requests(containing: "https://cdn.test/").count == 1)

            let pulled = workspace.reporter.events.compactMap { event -> [String]? in
                guard case .pulledThrough(Self.repo, _, let paths, _) = event else { return nil }
                return paths
            }
            #expect(pulled == [["config.json", "tokenizer/tokenizer.json"], ["model.safetensors"]])

            // A new process (a new catalog): the record is completed by the upstream's listing of
            // the commit; without an upstream, the record alone is served.
            let restarted = try await Self.catalog(workspace).snapshot(Self.repo, revision: "main")
            #expect(restarted.files.map(\.path) == snapshot.files.map(\.path))
            let offline = try await StoreServeCatalog(store: workspace.store, events: workspace.reporter).snapshot(Self.repo, revision: "main")
            #expect(offline.files.map(\.path) == grown.files.map(\.path))
        }
    }

    @Test func anUpstreamThatSendsACorruptByteGetsNothingStoredOrServed() async throws {
        try await TestWorkspace.withAsync(configure: Self.allowing("acme/*\n")) { workspace in
            workspace.hub.configure { $0.corruptLFS = true }
            let catalog = try Self.catalog(workspace)
            let snapshot = try await catalog.snapshot(Self.repo, revision: "main")
            let outcome = await ServeCatalogTests.result { () throws(ServeError) in try await catalog.open("model.safetensors", in: snapshot) }
            guard case .failure(.integrity(Self.repo, "model.safetensors", let reason)) = outcome else {
                Issue.record("expected an integrity refusal, got \(outcome)")
                return
            }
            #expect(reason.contains(workspace.hub.sha256(of: TestWorkspace.tinyFiles[2])), "the digest the listing promised: \(reason)")
            #expect(!workspace.requests(containing: "https://cdn.test/").isEmpty)
            #expect(!workspace.stores(TestWorkspace.weights))
            #expect(try workspace.storedBlobsMatchTheirNames())
            let recorded = try #require(try workspace.store.snapshot(repo: Self.repo, revision: "main"))
            #expect(!recorded.files.contains { $0.path == "model.safetensors" })

            // Once the upstream serves the right bytes, the same request succeeds.
            workspace.hub.configure { $0.corruptLFS = false }
            let blob = try await catalog.open("model.safetensors", in: snapshot)
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: blob.path))) == TestWorkspace.weights)
        }
    }

    /// The store holds the snapshot and the upstream is down: the record is served, and the
    /// upstream is not waited on again for every request.
    @Test func aStoredSnapshotIsServedWhileTheUpstreamIsDown() async throws {
        try await TestWorkspace.withAsync(configure: Self.allowing("acme/*\n")) { workspace in
            _ = try workspace.pull("acme/tiny-model")
            workspace.hub.configure {
                $0.failStatus = 503
                $0.failCount = Int.max
                $0.retryAfter = 0
            }
            workspace.http.clearLog()
            let catalog = try Self.catalog(workspace)
            let first = try await catalog.snapshot(Self.repo, revision: "main")
            #expect(first.files.map(\.path) == TestWorkspace.tinyFiles.map(\.path).sorted())
            let asked = workspace.http.log.count
            #expect(asked > 0, "the upstream was asked to complete the record")
            for _ in 0..<3 { #expect(try await catalog.snapshot(Self.repo, revision: "main") == first) }
            _ = try await catalog.open("model.safetensors", in: first)
            #expect(workspace.http.log.count == asked, "and not again while it is down")
        }
    }

    @Test func aNameTheAllowlistRefusesIsGatedBeforeTheUpstreamIsAsked() async throws {
        try await TestWorkspace.withAsync(configure: Self.allowing("acme/other-model\n")) { workspace in
            let catalog = try Self.catalog(workspace)
            let outcome = await ServeCatalogTests.result { () throws(ServeError) in try await catalog.snapshot(Self.repo, revision: "main") }
            guard case .failure(.gated(Self.repo, let reason)) = outcome else {
                Issue.record("expected .gated, got \(outcome)")
                return
            }
            #expect(reason.contains("acme/tiny-model"))
            #expect(workspace.http.log.isEmpty)
            #expect(try workspace.store.snapshot(repo: Self.repo, revision: "main") == nil)
        }
    }

    @Test func theUpstreamsNotFoundAnswersArePassedOn() async throws {
        try await TestWorkspace.withAsync(configure: Self.allowing("acme/*\n")) { workspace in
            let catalog = try Self.catalog(workspace)
            let missing = try RepoID(parsing: "acme/missing-model")
            let cases: [(RepoID, String, ServeError)] = [
                (missing, "main", .repoNotFound(missing)),
                (Self.repo, "no-such-branch", .revisionNotFound(Self.repo, revision: "no-such-branch")),
            ]
            for (repo, revision, expected) in cases {
                let outcome = await ServeCatalogTests.result { () throws(ServeError) in try await catalog.snapshot(repo, revision: revision) }
                #expect(outcome.failure == expected)
            }
        }
    }

    @Test func sixteenRequestsForAMissingFileShareOneFetch() async throws {
        try await TestWorkspace.withAsync(configure: Self.allowing("acme/*\n")) { workspace in
            workspace.hub.configure { $0.bytesPerSecond = 2 << 20 }  // slow enough that all sixteen overlap
            let catalog = try Self.catalog(workspace)
            let snapshot = try await catalog.snapshot(Self.repo, revision: "main")
            let blobs = try await withThrowingTaskGroup(of: ServedBlob.self) { group in
                for _ in 0..<16 { group.addTask { try await catalog.open("model.safetensors", in: snapshot) } }
                return try await group.reduce(into: [ServedBlob]()) { $0.append($1) }
            }
            #expect(blobs.count == 16)
            #expect(Set(blobs.map(\.inode)).count == 1)
            #expect(workspace.requests(containing: "https://cdn.test/").count == 1)
            #expect(workspace.requests(containing: "/revision/main").count == 1)
        }
    }

    @Test func pullThroughWithoutAnAllowlistIsRefusedAtTheStart() throws {
        _ = try TestWorkspace.with { workspace in
            #expect(throws: ServeSetupError.pullThroughWithoutAllowlist(TestWorkspace.hubBase)) {
                try StoreServeCatalog(store: workspace.store, upstream: workspace.puller, events: workspace.reporter)
            }
        }
    }

    /// Signers required for a repo: the whole snapshot is fetched at once and its signature
    /// checked before anything of it is recorded, so one signed by another key is never served.
    @Test func aRepoThatMustBeSignedIsServedOnlyWhenItIs() async throws {
        let gpg = try GPGFixture()
        defer { gpg.close() }
        let alice = try gpg.generateKey(name: "Alice Publisher", email: "alice@acme.test")
        let mallory = try gpg.generateKey(name: "Mallory", email: "mallory@evil.test")
        let sums = Array(TestWorkspace.tinyFiles.map { file -> String in
            guard case .bytes(let bytes) = file.content else { fatalError("in-memory files only") }
            return "\(SHA256.hash(bytes).hex)  \(file.path)\n"
        }.joined().utf8)
        for (signer, accepted) in [(alice, true), (mallory, false)] {
            let files = TestWorkspace.tinyFiles + [
                FakeHub.File("SHA256SUMS", sums), FakeHub.File("SHA256SUMS.asc", try gpg.sign(sums, with: signer)),
            ]
            let repo = FakeHub.Repo(id: "acme/tiny-model", commit: TestWorkspace.commit, files: files)
            try await TestWorkspace.withAsync(repos: [repo], configure: Self.allowing("acme/*\n")) { workspace in
                let keyring = try Keyring(directory: workspace.store.root.appending("keyring").string, create: true)
                for key in [alice, mallory] { _ = try keyring.importKeys(try gpg.exportPublicKey(key), source: key.userID) }
                let catalog = try StoreServeCatalog(
                    store: workspace.store, upstream: workspace.puller,
                    signers: ["acme/tiny-model": [.openpgp(try Fingerprint(parsing: alice.fingerprint))]], events: workspace.reporter)
                let outcome = await ServeCatalogTests.result { () throws(ServeError) in try await catalog.snapshot(Self.repo, revision: "main") }
                let recorded = try workspace.store.snapshot(repo: Self.repo, revision: "main")
                if accepted {
                    let snapshot = try outcome.get()
                    #expect(snapshot.files.count == files.count)
                    #expect(recorded?.files.count == files.count, "every file, fetched and vouched for at once")
                    _ = try await catalog.open("model.safetensors", in: snapshot)
                } else {
                    guard case .failure(.gated(Self.repo, let reason)) = outcome else {
                        Issue.record("expected .gated, got \(outcome)")
                        return
                    }
                    #expect(reason.contains(mallory.fingerprint) || reason.contains("sign"), "\(reason)")
                    #expect(recorded == nil, "nothing recorded, so nothing served")
                }
            }
        }
    }
}

/// The admission policy at the pull-through gate: what it blocks is never recorded, so never
/// served, and the decision is in the event stream (where the audit log reads it).
@Suite("The serve catalog's pull-through under a policy")
struct ServePullThroughPolicyTests {
    @Test func aBlockedRepoIsNeitherRecordedNorServed() async throws {
        try await TestWorkspace.withAsync(configure: ServeCatalogPullThroughTests.allowing("acme/*\n")) { workspace in
            let rules = "[policy]\n[[policy.rule]]\nname = \"no-acme\"\naction = \"block\"\nowners = [\"acme\"]\n"
            let set = try #require(try PolicyFormat.parse(rules, file: "org.toml", shared: true))
            var puller = workspace.puller
            puller.policy = try PolicyGate(policy: Policy(ruleSets: [set]), today: PolicyGate.currentDay)
            let catalog = try StoreServeCatalog(store: workspace.store, upstream: puller, events: workspace.reporter)
            await #expect(throws: (any Error).self) { _ = try await catalog.snapshot(ServeCatalogPullThroughTests.repo, revision: "main") }
            #expect(try workspace.store.snapshot(repo: ServeCatalogPullThroughTests.repo, revision: "main") == nil)
            let refusals = workspace.reporter.events.compactMap { event -> String? in
                guard case .decided(let decision) = event, decision.gate == .policy, case .refuse(let error) = decision.decision else { return nil }
                return error.description
            }
            #expect(refusals == ["the admission policy blocks `acme/tiny-model`: no-acme: owner `acme` matches `acme`"])

            // The same server without the policy pulls it through.
            let open = try await ServeCatalogPullThroughTests.catalog(workspace).snapshot(ServeCatalogPullThroughTests.repo, revision: "main")
            #expect(open.commit.hex == TestWorkspace.commit)
        }
    }
}
