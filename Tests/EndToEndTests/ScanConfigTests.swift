import Foundation
import PinTestSupport
import Testing

/// Content that was not checked (`unsupported`), remote code and hostile configs, through the
/// built binary against the fake Hub.
@Suite("unsupported content and remote code")
struct ScanConfigTests {
    /// Binary in no format modelpin knows, under a name that does not promise weights.
    static let unknownBinary: [UInt8] = (0..<2048).map { UInt8(truncatingIfNeeded: $0 * 131 + 7) }

    static func repo(_ extra: FakeHub.File) -> FakeHub.Repo {
        FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: [
            FakeHub.File("config.json", HubSandbox.config),
            FakeHub.File("model.safetensors", HubSandbox.weights, lfs: true),
            extra,
        ])
    }

    @Test func anUnsupportedFileIsAdmittedAndListedAndStrictRefusesIt() throws {
        try HubSandbox.with(repos: [Self.repo(FakeHub.File("vocab.dat", Self.unknownBinary, lfs: true))]) { env throws in
            let strict = try env.pull("acme/tiny-model", "--strict")
            #expect(strict.status == 1, "\(strict.stderr)")
            #expect(strict.stderr.contains("`acme/tiny-model/vocab.dat` is in no format modelpin recognises"), "\(strict.stderr)")
            #expect(strict.stderr.contains("unsupported"))
            #expect(!FileManager.default.fileExists(atPath: env.model.appendingPathComponent("vocab.dat").path))
            let twin = try env.pull("acme/tiny-model", environment: ["MODELPIN_STRICT": "1"])
            #expect(twin.status == 1, "\(twin.stderr)")

            let pulled = try env.pull("acme/tiny-model")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(pulled.stdout.contains("not checked (unsupported; --strict refuses them):\n    vocab.dat"), "\(pulled.stdout)")
            #expect(try env.contents("vocab.dat") == Data(Self.unknownBinary))

            let summary = try env.pull("acme/tiny-model", "--json")
            let files = try #require((try json(summary.stdout) as? [String: Any])?["files"] as? [[String: Any]])
            let verdicts = Dictionary(uniqueKeysWithValues: files.map { ($0["path"] as? String ?? "", $0["verdict"] as? String) })
            #expect(verdicts == ["config.json": "safe", "model.safetensors": "safe", "vocab.dat": "unsupported"])
        }
    }

    @Test func theLockRecordsUnsupportedAndALockedStrictPullRefusesIt() throws {
        try ProjectSandbox.with(repos: [Self.repo(FakeHub.File("vocab.dat", Self.unknownBinary, lfs: true))]) { project throws in
            let added = try project.run("add", "acme/tiny-model")
            #expect(added.status == 0, "\(added.stderr)")
            let lock = try project.lockText()
            #expect(lock.contains("path = \"vocab.dat\""), "\(lock)")
            #expect(lock.components(separatedBy: "verdict = \"unsupported\"").count - 1 == 1, "\(lock)")
            // CI: the lock's word stands without --strict, and never under it.
            let ci = try project.runWithFreshStore("pull", "--locked")
            #expect(ci.status == 0, "\(ci.stderr)")
            #expect(ci.stdout.contains("not checked (unsupported; --strict refuses them):\n    vocab.dat"), "\(ci.stdout)")
            let strict = try project.runWithFreshStore("pull", "--locked", "--strict", store: "strict-store")
            #expect(strict.status == 1, "\(strict.stderr)")
            #expect(strict.stderr.contains("vocab.dat"))
        }
    }

    @Test func unknownContentNamedLikeWeightsIsRefused() throws {
        try HubSandbox.with(repos: [Self.repo(FakeHub.File("pytorch_model.bin", Self.unknownBinary, lfs: true))]) { env throws in
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 1, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("named `*.bin`, which loaders open as weights"), "\(outcome.stderr)")
        }
    }

    @Test func remoteCodeIsRefusedUntilAllowedLoudly() throws {
        let source = Array("import os\nos.system('id')\n".utf8)
        try HubSandbox.with(repos: [Self.repo(FakeHub.File("modeling_acme.py", source))]) { env throws in
            let refused = try env.pull("acme/tiny-model")
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("remote") || refused.stderr.contains("Python source"), "\(refused.stderr)")
            #expect(refused.stderr.contains("--allow-remote-code"))
            let allowed = try env.pull("acme/tiny-model", "--allow-remote-code")
            #expect(allowed.status == 0, "\(allowed.stderr)")
            #expect(allowed.stderr.contains("warning: --allow-remote-code"), "\(allowed.stderr)")
            #expect(try env.contents("modeling_acme.py") == Data(source))
            #expect(allowed.stdout.contains("admitted by --allow-remote-code:\n    modeling_acme.py"), "\(allowed.stdout)")
        }
    }

    @Test func allowedRemoteCodeIsLockedAsSuspiciousAndEveryPullMustAllowItAgain() throws {
        let source = Array("import os\n".utf8)
        try ProjectSandbox.with(repos: [Self.repo(FakeHub.File("modeling_acme.py", source))]) { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 1)
            let added = try project.run("add", "acme/tiny-model", "--allow-remote-code")
            #expect(added.status == 0, "\(added.stderr)")
            let lock = try project.lockText()
            #expect(lock.contains("path = \"modeling_acme.py\""), "\(lock)")
            #expect(lock.components(separatedBy: "verdict = \"suspicious\"").count - 1 == 1, "\(lock)")
            let ci = try project.runWithFreshStore("pull", "--locked")
            #expect(ci.status == 1, "\(ci.stderr)")
            #expect(ci.stderr.contains("--allow-remote-code"))
            let allowed = try project.runWithFreshStore("pull", "--locked", "--allow-remote-code", store: "allowed-store")
            #expect(allowed.status == 0, "\(allowed.stderr)")
        }
    }

    @Test func scanCommandReportsTemplatesTargetsAndUnsupported() throws {
        try Sandbox.with { sandbox throws in
            try FileManager.default.createDirectory(at: sandbox.directory.appendingPathComponent("m"), withIntermediateDirectories: true)
            try sandbox.file("m/tokenizer_config.json", Array(#"{"chat_template": "{{ cycler.__init__.__globals__.os }}"}"#.utf8))
            try sandbox.file("m/model_config.yaml", Array("encoder:\n  _target_: subprocess.Popen\n".utf8))
            try sandbox.file("m/vocab.dat", Self.unknownBinary)
            let outcome = try sandbox.run("scan", "m", "--json")
            #expect(outcome.status == 1)
            let reports = try #require(try json(outcome.stdout) as? [[String: Any]])
            let verdicts = Dictionary(uniqueKeysWithValues: reports.map { ($0["path"] as? String ?? "", $0["verdict"] as? String) })
            #expect(verdicts == ["m/tokenizer_config.json": "unsafe", "m/model_config.yaml": "unsafe", "m/vocab.dat": "unsupported"])

            let unchecked = try sandbox.run("scan", "m/vocab.dat")
            #expect(unchecked.status == 0, "\(unchecked.stderr)")
            #expect(unchecked.stdout.hasPrefix("unsupported "), "\(unchecked.stdout)")
            #expect(try sandbox.run("scan", "m/vocab.dat", "--strict").status == 1)
        }
    }
}
