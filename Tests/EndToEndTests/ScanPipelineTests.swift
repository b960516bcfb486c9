import Foundation
import PinTestSupport
import Testing

/// Pickles assembled opcode by opcode (nothing here is ever unpickled).
enum Pickles {
    /// `os.system("echo pwned")` on load: GLOBAL + REDUCE, protocol 2.
    static let osSystem: [UInt8] = [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x58] + le32(10) + Array("echo pwned".utf8) + [0x85, 0x52, 0x2E]
    /// A callable nobody vouches for: `acme.layers.CustomLayer()`.
    static let unknownCallable: [UInt8] = [0x80, 0x02] + Array("cacme.layers\nCustomLayer\n".utf8) + [0x29, 0x52, 0x2E]
    /// Plain data: `{"weights": [1, 2, 3]}`.
    static let plainData: [UInt8] = [0x80, 0x02, 0x7D, 0x58] + le32(7) + Array("weights".utf8) + [0x5D, 0x28, 0x4B, 1, 0x4B, 2, 0x4B, 3, 0x65, 0x73, 0x2E]

    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}

@Suite("scanning before admission")
struct ScanPipelineTests {
    /// `name`: the weights' path. A pickle disguised as safetensors is judged by its content
    /// (and the disguise is itself a finding).
    static func repo(weights: [UInt8], name: String = "pytorch_model.safetensors") -> FakeHub.Repo {
        FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: [
            FakeHub.File("config.json", HubSandbox.config),
            FakeHub.File(name, weights, lfs: true),
        ])
    }

    @Test func aPickleThatRunsCodeOnLoadIsRefusedAndNeverStoredOrLaidOut() throws {
        try HubSandbox.with(repos: [Self.repo(weights: Pickles.osSystem)]) { env throws in
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("`acme/tiny-model/pytorch_model.safetensors` would run code"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("os.system"))
            #expect(outcome.stderr.contains("its content is not safetensors"))
            #expect(!env.blobs.contains(sha256Hex(Data(Pickles.osSystem))))
            #expect(!FileManager.default.fileExists(atPath: env.model.appendingPathComponent("pytorch_model.safetensors").path))
            try env.sandbox.expectEveryBlobMatchesItsName()
        }
    }

    @Test func aFileAlreadyInTheStoreIsScannedBeforeItIsLaidOut() throws {
        try HubSandbox.with(repos: [Self.repo(weights: Pickles.osSystem)]) { env throws in
            // Put there by hand, bypassing the pull: the pull must still refuse to lay it out.
            let file = try env.sandbox.file("payload.bin", Pickles.osSystem)
            #expect(try env.sandbox.run("store", "add", file.path).status == 0)
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("os.system"))
            #expect(!FileManager.default.fileExists(atPath: env.model.appendingPathComponent("pytorch_model.safetensors").path))
        }
    }

    @Test func anUnknownCallableBlocksUntilAllowedExplicitly() throws {
        try HubSandbox.with(repos: [Self.repo(weights: Pickles.unknownCallable, name: "pytorch_model.bin")]) { env throws in
            let refused = try env.pull("acme/tiny-model")
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("suspicious"), "\(refused.stderr)")
            #expect(refused.stderr.contains("--allow-global acme.layers.CustomLayer"))
            let allowed = try env.pull("acme/tiny-model", "--allow-global", "acme.layers.CustomLayer")
            #expect(allowed.status == 0, "\(allowed.stderr)")
            #expect(try env.contents("pytorch_model.bin") == Data(Pickles.unknownCallable))
        }
    }

    @Test func aDangerousCallableCannotBeAllowed() throws {
        try HubSandbox.with(repos: [Self.repo(weights: Pickles.osSystem, name: "pytorch_model.bin")]) { env throws in
            let outcome = try env.pull("acme/tiny-model", "--allow-global", "os.system")
            #expect(outcome.status == 64, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("cannot accept --allow-global `os.system`"))
            #expect(outcome.stderr.contains("dangerous"))
            #expect(!FileManager.default.fileExists(atPath: env.model.appendingPathComponent("pytorch_model.bin").path))
        }
    }

    @Test func anAcceptedCallableIsRecordedInTheLockAndHonouredByLaterPulls() throws {
        try ProjectSandbox.with(repos: [Self.repo(weights: Pickles.unknownCallable, name: "pytorch_model.bin")]) { project throws in
            let refused = try project.run("add", "acme/tiny-model")
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("--allow-global acme.layers.CustomLayer"))
            #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))

            let added = try project.run("add", "acme/tiny-model", "--allow-global", "acme.layers.CustomLayer")
            #expect(added.status == 0, "\(added.stderr)")
            let lock = try project.lockText()
            #expect(lock.contains("accepted = [\"acme.layers.CustomLayer\"]"), "\(lock)")
            #expect(lock.components(separatedBy: "accepted = ").count - 1 == 1)

            // CI: a fresh store, no flag; the lock carries the decision.
            let ci = try project.runWithFreshStore("pull", "--locked")
            #expect(ci.status == 0, "\(ci.stderr)")
            // A newer scanner rescans, and still honours what the lock accepted.
            try lock.replacingOccurrences(of: "modelpin-scan/3", with: "modelpin-scan/1").write(to: project.lockfile, atomically: true, encoding: .utf8)
            let rescanned = try project.runWithFreshStore("pull", "--locked", store: "another-store")
            #expect(rescanned.status == 0, "\(rescanned.stderr)")
        }
    }

    @Test func theLockRecordsTheScannerAndEachVerdict() throws {
        try ProjectSandbox.with(repos: [Self.repo(weights: Pickles.plainData, name: "pytorch_model.bin")]) { project throws in
            let added = try project.run("add", "acme/tiny-model")
            #expect(added.status == 0, "\(added.stderr)")
            let lock = try project.lockText()
            #expect(lock.contains("scanner = \"modelpin-scan/3\""))
            #expect(lock.components(separatedBy: "verdict = \"safe\"").count - 1 == 2)
        }
    }

    @Test func scanCommandJudgesFilesAndDirectoriesByContent() throws {
        try Sandbox.with { sandbox throws in
            try FileManager.default.createDirectory(at: sandbox.directory.appendingPathComponent("models"), withIntermediateDirectories: true)
            try sandbox.file("models/good.pkl", Pickles.plainData)
            try sandbox.file("models/evil.safetensors", Pickles.osSystem)
            try sandbox.file("models/config.json", Array(#"{"hidden_size": 64}"#.utf8))
            let outcome = try sandbox.run("scan", "models", "--json")
            #expect(outcome.status == 1)
            let reports = try #require(try json(outcome.stdout) as? [[String: Any]])
            let byPath = Dictionary(uniqueKeysWithValues: reports.map { ($0["path"] as? String ?? "", $0) })
            #expect(byPath["models/evil.safetensors"]?["verdict"] as? String == "unsafe")
            #expect(byPath["models/evil.safetensors"]?["format"] as? String == "pickle")
            #expect(byPath["models/good.pkl"]?["verdict"] as? String == "safe")
            #expect(byPath["models/config.json"]?["verdict"] as? String == "safe")
            let findings = try #require(byPath["models/evil.safetensors"]?["findings"] as? [[String: Any]])
            #expect(findings.contains { $0["callable"] as? String == "os.system" })

            #expect(try sandbox.run("scan", "models/good.pkl", "models/config.json").status == 0)
            #expect(try sandbox.run("scan", "missing.bin").status == 2)
        }
    }

    /// A legacy `torch.save` tar (sys_info, pickle, tensors, storages): `torch.load` opens any
    /// non-zip file with tarfile first and unpickles its `pickle` member.
    static func legacyTorchTar(pickle: [UInt8]) -> [UInt8] {
        func member(_ name: String, _ data: [UInt8]) -> [UInt8] {
            var h = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { h[offset + i] = b } }
            let size = String(data.count, radix: 8)
            put(name, at: 0); put("0000644\0", at: 100); put("0000000\0", at: 108); put("0000000\0", at: 116)
            put(String(repeating: "0", count: 11 - size.count) + size + "\0", at: 124); put("00000000000\0", at: 136)
            put("        ", at: 148); put("0", at: 156); put("ustar\u{0}00", at: 257)
            let sum = String(h.reduce(0) { $0 + Int($1) }, radix: 8)
            put(String(repeating: "0", count: 6 - sum.count) + sum + "\0 ", at: 148)
            return h + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        let count: [UInt8] = [0x80, 0x02, 0x4B, 0x00, 0x2E]  // pickle.dumps(0, protocol=2)
        return member("sys_info", Pickles.plainData) + member("pickle", pickle) + member("tensors", count)
            + member("storages", count + [0x80, 0x02, 0x5D, 0x2E]) + [UInt8](repeating: 0, count: 1024)
    }

    @Test func aLegacyTorchTarThatRunsCodeOnLoadIsRefused() throws {
        let tar = Self.legacyTorchTar(pickle: Pickles.osSystem)
        try HubSandbox.with(repos: [Self.repo(weights: tar, name: "pytorch_model.bin")]) { env throws in
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 1, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("os.system"), "\(outcome.stderr)")
            #expect(!env.blobs.contains(sha256Hex(Data(tar))))
            #expect(!FileManager.default.fileExists(atPath: env.model.appendingPathComponent("pytorch_model.bin").path))
        }
        let benign = Self.legacyTorchTar(pickle: Pickles.plainData)
        try HubSandbox.with(repos: [Self.repo(weights: benign, name: "pytorch_model.bin")]) { env throws in
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(try env.contents("pytorch_model.bin") == Data(benign))
        }
    }
}
