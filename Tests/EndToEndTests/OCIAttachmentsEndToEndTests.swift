import Foundation
import PinTestSupport
import Testing

/// What a push attaches to a model's manifest on a real registry (Debian's docker-registry,
/// referrers by the `sha256-<hex>` tag fallback), and what a pull by name makes of it: the
/// lock, a publisher's OpenPGP signature among the files (checked against modelpin's keyring),
/// and the scan report (listed: the pull scans for itself).
@Suite struct OCIAttachmentsEndToEndTests {
    /// Pushes `tiny` (a model whose SHA256SUMS `signer` signed) and pulls it back by name into
    /// another directory with the same store and keyring; returns the pull's attachments.
    static func pushedAndPulled(_ project: ProjectSandbox, registry: RegistryServer) throws -> (pushed: [String], pulled: [[String: Any]], stderr: String) {
        let pushed = try project.run("push", registry.reference("signed/tiny"), "tiny", "--plain-http", "--json")
        try #require(pushed.status == 0, "\(pushed.stderr)")
        let summary = try #require(try json(pushed.stdout) as? [String: Any], "\(pushed.stdout)")
        let pulled = try project.run(
            "pull", registry.reference("signed/tiny", tag: HubSandbox.commit), "--plain-http", "--json",
            "--to", project.directory.appendingPathComponent("pulled").path)
        try #require(pulled.status == 0, "\(pulled.stderr)")
        let attachments = try #require((try json(pulled.stdout) as? [String: Any])?["attachments"] as? [[String: Any]], "\(pulled.stdout)")
        return (summary["attachments"] as? [String] ?? [], attachments, pulled.stderr)
    }

    static func status(_ attachments: [[String: Any]], _ name: String) -> String? {
        attachments.first { $0["name"] as? String == name }?["status"] as? String
    }

    @Test func aPublishersSignatureTravelsAsAReferrerAndIsVerifiedOnThePull() throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.addedSigned(publisher, by: publisher.alice) { project throws in
                let registry = try RegistryServer(directory: project.directory.appendingPathComponent("registry"), auth: .none)
                defer { registry.stop() }
                let (pushed, attachments, _) = try Self.pushedAndPulled(project, registry: registry)
                #expect(Set(pushed) == ["modelpin.lock", "SHA256SUMS.asc", "scan-report.json"], "\(pushed)")
                #expect(Self.status(attachments, "modelpin.lock") == "verified", "\(attachments)")
                #expect(Self.status(attachments, "SHA256SUMS.asc") == "verified", "\(attachments)")
                #expect(Self.status(attachments, "scan-report.json") == "listed", "\(attachments)")
                let report = try #require(attachments.first { $0["name"] as? String == "scan-report.json" })
                #expect((report["detail"] as? String)?.contains("exactly these") == true, "\(report)")
            }
        }
    }

    @Test func aSignatureByAKeyTheKeyringLacksFailsItsCheckAsAWarningOnAPullByName() throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.signed(publisher, by: publisher.mallory) { project throws in
                // Only alice is trusted here; the model is added without a pinned signer.
                try publisher.trust(publisher.alice, in: project)
                let added = try project.run("add", "acme/tiny-model", "--as", "tiny")
                try #require(added.status == 0, "\(added.stderr)")
                let registry = try RegistryServer(directory: project.directory.appendingPathComponent("registry"), auth: .none)
                defer { registry.stop() }
                let (_, attachments, stderr) = try Self.pushedAndPulled(project, registry: registry)
                #expect(Self.status(attachments, "SHA256SUMS.asc") == "failed", "\(attachments)")
                #expect(stderr.contains("SHA256SUMS.asc") && stderr.contains("failed its check"), "\(stderr)")
            }
        }
    }
}
