import Foundation
import PinTestSupport
import Testing

extension HostileCases {
    static let trust: [HostileCase] = [
        HostileCase(7, "a hostile author's `config.json.sig` that is no signature rides along in a signer-pinned model") {
            try Publisher.with { publisher throws in
                let files = try publisher.signedFiles(by: publisher.alice) + [FakeHub.File("config.json.sig", Array("\u{1B}]8;;https://evil.test\u{7}".utf8))]
                try ProjectSandbox.with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)]) { project throws in
                    try publisher.trust(publisher.alice, in: project)
                    let added = try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint)
                    #expect(added.status == 1, "\(added.stderr)")
                    #expect(added.stderr.contains("config.json.sig"), "\(added.stderr)")
                    #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))
                    #expect(!FileManager.default.fileExists(atPath: project.model.path))
                }
            }
        },
        HostileCase(9, "a hostile Hub's ESC, OSC, C1 and bidi bytes in an error body, X-Repo-Commit, a redirect and listed paths") {
            for source in HostileTextSource.allCases {
                try HubSandbox.with { env throws in
                    try source.arm(env.hub)
                    let outcome = try env.pull("acme/tiny-model", "--retries", "1")
                    #expect((outcome.status != 0) == source.refuses, "\(source)")
                    #expect(rawControls(in: outcome.stderr + outcome.stdout).isEmpty, "\(source): \(outcome.stderr.debugDescription)")
                    // (The directory itself may exist: copies are written there while they download.)
                    for file in ["config.json", "model.safetensors"] where source.refuses {
                        #expect(!FileManager.default.fileExists(atPath: env.model.appendingPathComponent(file).path), "\(source): \(file)")
                    }
                }
            }
        },
        HostileCase(11, "a pull request points modelpin.toml's endpoint at its own host to collect CI's HF_TOKEN") {
            try ProjectSandbox.with { project throws in
                // The attacker's host answers like a Hub serving a private repo: only a token opens it.
                let collector = try FakeHub(repos: privateTinyModel)
                defer {
                    collector.hub.stop()
                    collector.cdn.stop()
                }
                try writeFile(project.manifest, Array(try project.manifestText().replacingOccurrences(
                    of: "endpoint = \"\(project.env.hub.endpoint)\"", with: "endpoint = \"\(collector.endpoint)\"").utf8))
                let pulled = try project.run("add", "acme/tiny-model", environment: ["HF_TOKEN": "hf_secret"])
                #expect(pulled.status != 0)
                #expect(pulled.stderr.contains("HF_TOKEN is not sent to `\(collector.endpoint)`"), "\(pulled.stderr)")
                #expect(!collector.log.isEmpty)
                #expect(collector.log.allSatisfy { $0.authorization == nil }, "the token reached the manifest's host")
                #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))
            }
        },
        HostileCase(12, "a pull request's lock signed by a model publisher's key passes --require-signed-lock") {
            try Publisher.with { publisher throws in
                try ProjectSandbox.signed(publisher, by: publisher.alice) { project throws in
                    // CI pins bob as the lock signer; alice publishes the model and her key is in
                    // the keyring to check its files.
                    try publisher.trust(publisher.alice, publisher.bob, in: project)
                    #expect(try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint).status == 0)
                    // The pull request changes the lock and signs it with the publisher's key.
                    try writeFile(project.lockfile, Array(try project.lockText().replacingOccurrences(of: "requested-revision = \"main\"", with: "requested-revision = \"main\"\n").utf8))
                    #expect(try project.run("sign", "--key", publisher.alice.fingerprint, "--gnupg-home", publisher.gpg.home).status == 0)
                    try FileManager.default.removeItem(at: project.model)
                    let pulled = try project.run("pull", "--require-signed-lock", environment: ["MODELPIN_LOCK_SIGNERS": publisher.bob.fingerprint])
                    #expect(pulled.status == 1, "\(pulled.stderr)")
                    #expect(pulled.stderr.contains("not pinned: \(publisher.alice.fingerprint)"), "\(pulled.stderr)")
                    #expect(!FileManager.default.fileExists(atPath: project.model.path))
                }
            }
        },
    ]
}
