import Foundation
import PinDigest
import PinModel
import PinNames
import PinStore
import PinTestSupport
import PinWorkspace
import SystemPackage
import Testing

/// serve `--upstream` with OMS signers: a repo whose pin is an OMS signer is served only when its
/// `model.sig` verifies for that signer, through the same signature gate as `pull`. The model,
/// its keyless model.sig and the trust root are PinModelSigningTests' committed fixtures.
@Suite("The serve catalog's pull-through with OMS signers")
struct ServePullThroughOMSTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PinModelSigningTests/Fixtures/keyless").standardizedFileURL
    static let repo = try! RepoID(parsing: "acme/keyless-model")

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: fixtures.appendingPathComponent(path))) }

    @Test func anOMSPinnedRepoIsServedOnlyForItsSigner() async throws {
        let files = [
            FakeHub.File("README.md", try Self.bytes("e2e-model/README.md")), FakeHub.File("config.yaml", try Self.bytes("e2e-model/config.yaml")),
            FakeHub.File("model.sig", try Self.bytes("e2e-model.sig")),
        ]
        let signer = try SignerID(parsing: "oms-cert:https://issuer.example.test|publisher@example.com")
        let stranger = try SignerID(parsing: "oms-cert:https://issuer.example.test|someone@example.com")
        for (pinned, accepted) in [(signer, true), (stranger, false)] {
            let repo = FakeHub.Repo(id: Self.repo.description, commit: TestWorkspace.commit, files: files)
            try await TestWorkspace.withAsync(repos: [repo], configure: ServeCatalogPullThroughTests.allowing("acme/*\n")) { workspace in
                // The trust root in the keyring's OMS folder, named by its SHA-256, as `keys import` stores it.
                let root = try Self.bytes("trusted_root.json")
                let folder = URL(fileURLWithPath: workspace.store.root.appending("keyring/oms/roots").string)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try Data(root).write(to: folder.appendingPathComponent(PinDigest.SHA256.hash(root).hex + ".json"))

                let catalog = try StoreServeCatalog(
                    store: workspace.store, upstream: workspace.puller, signers: [Self.repo.description: [pinned]], events: workspace.reporter)
                let outcome = await ServeCatalogTests.result { () throws(ServeError) in try await catalog.snapshot(Self.repo, revision: "main") }
                let recorded = try workspace.store.snapshot(repo: Self.repo, revision: "main")
                if accepted {
                    let snapshot = try outcome.get()
                    #expect(snapshot.files.count == files.count)
                    #expect(recorded?.files.count == files.count)
                } else {
                    guard case .failure(.gated(Self.repo, let reason)) = outcome else {
                        Issue.record("expected .gated, got \(outcome)")
                        return
                    }
                    #expect(reason.contains("not among the pinned signers"), "\(reason)")
                    #expect(recorded == nil, "nothing recorded, so nothing served")
                }
            }
        }
    }
}
