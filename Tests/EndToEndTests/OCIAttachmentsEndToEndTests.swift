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

    /// A project's model from a registry (`source = "oci://…"`) that pins its signer: its
    /// attachments are checked on every project pull, and one the registry serves tampered
    /// refuses the pull before anything is laid out. Without pinned signers the same failure is
    /// a warning.
    @Test func aProjectThatPinsSignersIsRefusedWhenAnAttachmentFailsItsCheck() throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.addedSigned(publisher, by: publisher.alice) { project throws in
                let registryDirectory = project.directory.appendingPathComponent("registry")
                let registry = try RegistryServer(directory: registryDirectory, auth: .none)
                defer { registry.stop() }
                let pushed = try project.run("push", registry.reference("signed/tiny"), "tiny", "--plain-http")
                try #require(pushed.status == 0, "\(pushed.stderr)")

                let consumer = project.directory.appendingPathComponent("consumer")
                try FileManager.default.createDirectory(at: consumer, withIntermediateDirectories: true)
                let source = registry.reference("signed/tiny", tag: HubSandbox.commit)
                func manifest(signers: Bool) throws {
                    let pin = signers ? "signers = [\"\(publisher.alice.fingerprint)\"]\n" : ""
                    try Data("version = 1\n[models.tiny]\nsource = \"\(source)\"\n\(pin)".utf8).write(to: consumer.appendingPathComponent("modelpin.toml"))
                }
                try manifest(signers: true)
                var modelpin = project.env.sandbox.modelpin
                modelpin.currentDirectory = consumer
                let first = try modelpin.run(["pull", "--plain-http", "--json"])
                try #require(first.status == 0, "\(first.stderr)")
                let model = try #require(((try json(first.stdout) as? [String: Any])?["models"] as? [[String: Any]])?.first, "\(first.stdout)")
                let attachments = try #require(model["attachments"] as? [[String: Any]], "\(model)")
                #expect(attachments.contains { $0["name"] as? String == "SHA256SUMS.asc" && $0["status"] as? String == "verified" }, "\(attachments)")
                let report = try #require(attachments.first { $0["name"] as? String == "scan-report.json" }?["digest"] as? String)

                // The registry now serves the scan report's referrer manifest with one byte changed.
                let hex = String(report.dropFirst("sha256:".count))
                let data = registryDirectory.appendingPathComponent("storage/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data")
                var bytes = try Data(contentsOf: data)
                bytes[bytes.count - 2] ^= 0x01
                try bytes.write(to: data)
                try FileManager.default.removeItem(at: consumer.appendingPathComponent("models"))
                let refused = try modelpin.run(["pull", "--plain-http"])
                #expect(refused.status == 1, "\(refused.stderr)")
                #expect(refused.stderr.contains("pins its signers") && refused.stderr.contains("scan-report") || refused.stderr.contains(report), "\(refused.stderr)")
                #expect(!FileManager.default.fileExists(atPath: consumer.appendingPathComponent("models").path))

                // Unpinned, the same failure is a warning and the pull goes on.
                try manifest(signers: false)
                let warned = try modelpin.run(["pull", "--plain-http"])
                #expect(warned.status == 0, "\(warned.stderr)")
                #expect(warned.stderr.contains("failed its check"), "\(warned.stderr)")
            }
        }
    }
}
