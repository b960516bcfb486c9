import Foundation
import PinTestSupport
import Testing

/// A keyless (Sigstore) `model.sig` end to end through the CLI: refused "not supported offline"
/// until a trusted_root.json is imported with `keys import`, then pinned as `oms-cert:ISSUER|SAN`.
/// The bundle and root are PinModelSigningTests' committed fixtures (generate-keyless.py: a
/// synthetic Fulcio CA and Rekor log), so no network and no Python here.
@Suite struct KeylessModelSigningTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PinModelSigningTests/Fixtures").standardizedFileURL
    static let pin = "oms-cert:https://issuer.example.test|publisher@example.com"

    /// The fixture's text-only model (signed as `keyless-model`) and its keyless model.sig.
    static func repo() throws -> FakeHub.Repo {
        func file(_ path: String, from: String) throws -> FakeHub.File {
            FakeHub.File(path, Array(try Data(contentsOf: fixtures.appendingPathComponent(from))))
        }
        let files = try ["config.yaml", "README.md"].map { try file($0, from: "keyless/e2e-model/\($0)") }
        return FakeHub.Repo(id: "acme/keyless-model", commit: HubSandbox.commit, files: files + [try file("model.sig", from: "keyless/e2e-model.sig")])
    }

    @Test func aKeylessBundleNeedsAnImportedTrustRootAndItsIdentityPinned() throws {
        try ProjectSandbox.with(repos: [try Self.repo()]) { project throws in
            // The sandbox allows acme/tiny-model; the fixture is signed as `keyless-model`.
            let allow = project.directory.appendingPathComponent("models.allow")
            try (String(contentsOf: allow, encoding: .utf8) + "acme/keyless-model\n").write(to: allow, atomically: true, encoding: .utf8)
            let offline = try project.run("add", "acme/keyless-model", "--as", "m", "--signer", Self.pin)
            #expect(offline.status == 1)
            #expect(offline.stderr.contains("not supported offline"), "\(offline.stderr)")
            #expect(offline.stderr.contains("modelpin keys import trusted_root.json"), "\(offline.stderr)")

            let imported = try project.run("keys", "import", Self.fixtures.appendingPathComponent("keyless/trusted_root.json").path, "--json")
            #expect(imported.status == 0, "\(imported.stderr)")
            let entry = try #require((try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [[String: Any]])?.first)
            #expect(entry["kind"] as? String == "oms-root")
            let listed = try project.run("keys", "list")
            #expect(listed.stdout.contains("oms-root:\(entry["id"] as? String ?? "?")"), "\(listed.stdout)")

            let other = try project.run("add", "acme/keyless-model", "--as", "m", "--signer", "oms-cert:https://issuer.example.test|someone@example.com")
            #expect(other.status == 1)
            #expect(other.stderr.contains("not among the pinned signers"), "\(other.stderr)")

            let added = try project.run("add", "acme/keyless-model", "--as", "m", "--signer", Self.pin)
            #expect(added.status == 0, "\(added.stderr)")
            let lock = try project.lockText()
            #expect(lock.contains("signature-kind = \"oms-certificate\"\nsigned-by = \"\(Self.pin)\""), "\(lock)")
        }
    }
}
