import Foundation
import PinTestSupport
import Testing

/// A publisher who signs with OpenSSF model signing: EC keys and a test CA made by openssl, and
/// `model.sig` bundles made by the real `model_signing` package (PyPI, its own venv).
struct OMSPublisher {
    let fixture: ModelSigningFixture
    let alice: ModelSigningFixture.KeyPair
    let mallory: ModelSigningFixture.KeyPair

    static func with<T>(_ body: (OMSPublisher) throws -> T) throws -> T {
        try withTemporaryDirectory("modelpin-oms-publisher") { directory throws in
            let fixture = ModelSigningFixture(directory: directory)
            return try body(OMSPublisher(fixture: fixture, alice: try fixture.keyPair("alice"), mallory: try fixture.keyPair("mallory")))
        }
    }

    /// A directory named `name` holding `files`, as a publisher has it before signing.
    func model(_ name: String, _ files: [FakeHub.File] = HubSandbox.files) throws -> URL {
        let directory = fixture.directory.appendingPathComponent("models/\(UUID().uuidString)/\(name)")
        try ModelSigningFixture.write(files, to: directory)
        return directory
    }

    /// The test model plus the `model.sig` `model_signing sign key` wrote for it with `key`
    /// (signed as the directory `name`: model_signing names a model by its directory).
    func keySigned(by key: ModelSigningFixture.KeyPair, as name: String = "tiny-model", files: [FakeHub.File] = HubSandbox.files) throws -> [FakeHub.File] {
        files + [FakeHub.File("model.sig", try fixture.signWithKey(try model(name, files), privateKey: key.privateKey))]
    }

    /// `keys import` of a PEM file through the CLI; returns the pin it prints in `--json`.
    @discardableResult
    func trust(_ file: URL, in project: ProjectSandbox, kind: String = "oms-key") throws -> String {
        let imported = try project.run("keys", "import", file.path, "--json")
        #expect(imported.status == 0, "\(imported.stderr)")
        let entry = try #require((try json(imported.stdout) as? [[String: Any]])?.first)
        #expect(entry["kind"] as? String == kind)
        return (entry["pin"] as? String) ?? "\(kind):\(entry["id"] as? String ?? "")"
    }
}

extension ProjectSandbox {
    static func serving<T>(_ files: [FakeHub.File], _ body: (ProjectSandbox) throws -> T) throws -> T {
        try with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)], body)
    }
}

@Suite("OpenSSF model signing: model.sig from model_signing verifies, modelpin's verifies in model_signing", .tags(.pythonClients),
       .enabled(if: PythonClients.enabled))
struct ModelSigningTests {
    @Test func aKeySignedModelIsPulledWithItsPinnedKeyAndTheLockSaysSo() throws {
        try OMSPublisher.with { publisher throws in
            try ProjectSandbox.serving(try publisher.keySigned(by: publisher.alice)) { project throws in
                let pin = try publisher.trust(publisher.alice.publicKey, in: project)
                #expect(pin.hasPrefix("oms-key:") && pin.count == 8 + 64)
                let listed = try project.run("keys", "list")
                #expect(listed.stdout.contains(pin), "\(listed.stdout)")

                let added = try project.run("add", "acme/tiny-model", "--as", "tiny", "--signer", pin)
                #expect(added.status == 0, "\(added.stderr)")
                #expect(try project.manifestText().contains("signers = [\"\(pin)\"]"))
                let lock = try project.lockText()
                #expect(lock.contains("signers = [\"\(pin)\"]\nsignature-kind = \"oms-key\"\nsigned-by = \"\(pin)\"\nsignatures = [\"model.sig\"]"), "\(lock)")
                #expect(lock.contains("path = \"model.sig\""))
                #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))

                // A locked pull checks it again, against the store's blobs, and says who vouched.
                try FileManager.default.removeItem(at: project.model)
                let pulled = try project.run("pull", "--locked", "--json")
                #expect(pulled.status == 0, "\(pulled.stderr)")
                let summary = try #require(try json(pulled.stdout) as? [String: Any])
                let model = try #require((summary["models"] as? [[String: Any]])?.first)
                let signature = try #require(model["signature"] as? [String: Any])
                #expect(signature["kind"] as? String == "oms-key")
                #expect(signature["signer"] as? String == pin)
                #expect(signature["documents"] as? [String] == ["model.sig"])

                // The key removed from the keyring: nothing vouches any more.
                #expect(try project.run("keys", "remove", pin).status == 0)
                let unpinned = try project.run("pull", "--locked")
                #expect(unpinned.status == 1)
                #expect(unpinned.stderr.contains("signed by a key that is not pinned"), "\(unpinned.stderr)")
            }
        }
    }

    @Test func aCertificateBundleVerifiesAgainstThePinnedCAAndIdentity() throws {
        try OMSPublisher.with { publisher throws in
            let certificate = try publisher.fixture.certificate("acme", identity: "release@acme.test")
            let signed = try publisher.fixture.signWithCertificate(try publisher.model("tiny-model"), certificate)
            try ProjectSandbox.serving(HubSandbox.files + [FakeHub.File("model.sig", signed)]) { project throws in
                // No CA in the keyring yet: the chain leads nowhere.
                let untrusted = try project.run("add", "acme/tiny-model", "--as", "tiny", "--signer", "oms-cert:release@acme.test")
                #expect(untrusted.status == 1)
                #expect(untrusted.stderr.contains("does not chain to a pinned CA"), "\(untrusted.stderr)")

                try publisher.trust(certificate.authority, in: project, kind: "oms-ca")
                let other = try project.run("add", "acme/tiny-model", "--as", "tiny", "--signer", "oms-cert:someone@acme.test")
                #expect(other.status == 1)
                #expect(other.stderr.contains("oms-cert:release@acme.test, which is not among the pinned signers"), "\(other.stderr)")

                let added = try project.run("add", "acme/tiny-model", "--as", "tiny", "--signer", "oms-cert:release@acme.test")
                #expect(added.status == 0, "\(added.stderr)")
                let lock = try project.lockText()
                #expect(lock.contains("signature-kind = \"oms-certificate\"\nsigned-by = \"oms-cert:release@acme.test\""), "\(lock)")
                try FileManager.default.removeItem(at: project.model)
                let pulled = try project.run("pull", "--locked")
                #expect(pulled.status == 0, "\(pulled.stderr)")
            }
        }
    }

    @Test func modelpinsOwnModelSigVerifiesInModelSigning() throws {
        try OMSPublisher.with { publisher throws in
            // A directory: every file, the git paths left out, as model_signing signs it.
            let directory = try publisher.model("tiny-model", HubSandbox.files + [FakeHub.File(".gitattributes", Array("*.bin filter=lfs\n".utf8))])
            try ProjectSandbox.with { project throws in
                let signed = try project.run("sign", "--oms", "--key", publisher.alice.privateKey.path, directory.path, "--json")
                #expect(signed.status == 0, "\(signed.stderr)")
                let summary = try #require(try json(signed.stdout) as? [String: Any])
                #expect(summary["files"] as? Int == HubSandbox.files.count)
                let signature = directory.appendingPathComponent("model.sig")
                let verified = try publisher.fixture.verifyWithKey(directory, signature: signature, publicKey: publisher.alice.publicKey)
                #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
                // And it is a signature, not a stamp: the wrong key fails in model_signing too.
                let wrong = try publisher.fixture.verifyWithKey(directory, signature: signature, publicKey: publisher.mallory.publicKey)
                #expect(wrong.status != 0)

                // A project's model: its locked files from the store, model.sig into its directory.
                #expect(try project.run("add", "acme/tiny-model", "--as", "tiny").status == 0)
                let aliased = try project.run("sign", "--oms", "--key", publisher.alice.privateKey.path, "tiny")
                #expect(aliased.status == 0, "\(aliased.stderr)")
                let laidOut = try publisher.fixture.verifyWithKey(
                    project.model, signature: project.model.appendingPathComponent("model.sig"), publicKey: publisher.alice.publicKey)
                #expect(laidOut.status == 0, "\(laidOut.stdout)\(laidOut.stderr)")

                // What modelpin signed, published, pulls with the key pinned.
                let pin = try publisher.trust(publisher.alice.publicKey, in: project)
                let bundle = Array(try Data(contentsOf: signature))
                try project.env.hub.update { repos in repos[0].commits[HubSandbox.commit] = HubSandbox.files + [FakeHub.File("model.sig", bundle)] }
                // (The model.sig `sign` wrote into the directory is not modelpin's to replace: start afresh.)
                #expect(try project.run("remove", "tiny").status == 0)
                try FileManager.default.removeItem(at: project.model)
                let pinned = try project.run("add", "acme/tiny-model", "--as", "tiny", "--signer", pin)
                #expect(pinned.status == 0, "\(pinned.stderr)")
            }
        }
    }

    @Test func aSymbolicLinkInADirectoryToSignIsRefused() throws {
        try OMSPublisher.with { publisher throws in
            let directory = try publisher.model("tiny-model")
            try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("escape").path, withDestinationPath: "/etc/passwd")
            try Sandbox.with { sandbox throws in
                let refused = try sandbox.run("sign", "--oms", "--key", publisher.alice.privateKey.path, directory.path)
                #expect(refused.status == 1)
                #expect(refused.stderr.contains("escape") && refused.stderr.contains("symbolic link"), "\(refused.stderr)")
                #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.sig").path))
            }
        }
    }

    /// Each way a model.sig can fail refuses the pull (exit 1), names why, and lays nothing out.
    @Test(arguments: Refusal.allCases)
    func aBadModelSigRefusesThePull(_ refusal: Refusal) throws {
        try OMSPublisher.with { publisher throws in
            let files = try refusal.files(publisher)
            try ProjectSandbox.serving(files) { project throws in
                let pin = try publisher.trust(publisher.alice.publicKey, in: project)
                try publisher.trust(publisher.mallory.publicKey, in: project)
                let refused = try project.run("add", "acme/tiny-model", "--as", "tiny", "--signer", pin)
                #expect(refused.status == 1, "\(refused.stderr)")
                for expected in refusal.expected {
                    #expect(refused.stderr.contains(expected), "\(refusal): \(refused.stderr)")
                }
                #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))
                #expect(!FileManager.default.fileExists(atPath: project.model.path))
            }
        }
    }

    enum Refusal: CaseIterable, Sendable {
        case tamperedFile, extraFile, wrongKey, otherModel, truncatedBundle

        func files(_ publisher: OMSPublisher) throws -> [FakeHub.File] {
            switch self {
            case .tamperedFile:
                var files = try publisher.keySigned(by: publisher.alice)
                var tampered = HubSandbox.config
                tampered[tampered.count - 2] = UInt8(ascii: "5")
                files[0] = FakeHub.File("config.json", tampered)
                return files
            case .extraFile:
                return try publisher.keySigned(by: publisher.alice) + [FakeHub.File("extra.json", Array("{}".utf8))]
            case .wrongKey:
                return try publisher.keySigned(by: publisher.mallory)
            case .otherModel:
                return try publisher.keySigned(by: publisher.alice, as: "other-model")
            case .truncatedBundle:
                var files = try publisher.keySigned(by: publisher.alice)
                guard case .bytes(let bundle) = files[files.count - 1].content else { fatalError() }
                files[files.count - 1] = FakeHub.File("model.sig", Array(bundle.prefix(bundle.count / 2)))
                return files
            }
        }

        var expected: [String] {
            switch self {
            case .tamperedFile: ["config.json does not match its signed digest"]
            case .extraFile: ["extra.json is in the model but not in the signed statement"]
            case .wrongKey: ["signed by a key that is not pinned"]
            case .otherModel: ["the statement signs the model 'other-model', not 'tiny-model'"]
            case .truncatedBundle: ["truncated"]
            }
        }
    }
}

/// `lockfiles/oms-signed` is real: its lock is what `modelpin lock` writes against the demo Hub's
/// acme/signed-model, whose model.sig `model_signing sign key` made (committed: ECDSA signatures
/// differ on every signing, so the bundle is data, not something a test can remake byte for byte).
@Suite("lockfiles/oms-signed")
struct OMSExampleLockfileTests {
    static let example = ExampleLockfileTests.root.appendingPathComponent("lockfiles/oms-signed")

    static func repos() throws -> [FakeHub.Repo] {
        let model = ExampleLockfileTests.root.appendingPathComponent("demo/hub/acme/signed-model")
        func file(_ path: String) throws -> FakeHub.File { FakeHub.File(path, Array(try Data(contentsOf: model.appendingPathComponent(path)))) }
        let commit = String(repeating: "c0ffee", count: 7).prefix(40).description
        return [FakeHub.Repo(id: "acme/signed-model", commit: commit, files: [try file("config.json"), try file("tokenizer/tokenizer.json"), try file("model.sig")])]
    }

    @Test func theExampleLockIsWhatModelpinWritesAndALockedPullChecksItAgain() throws {
        try HubSandbox.with(repos: try Self.repos()) { env throws in
            let manifest = try String(contentsOf: Self.example.appendingPathComponent("modelpin.toml"), encoding: .utf8)
            try writeFile(
                env.directory.appendingPathComponent("modelpin.toml"),
                Array(manifest.replacingOccurrences(of: ExampleLockfileTests.demoEndpoint, with: env.hub.endpoint).utf8))
            try writeFile(env.directory.appendingPathComponent("models.allow"), Array(try Data(contentsOf: Self.example.appendingPathComponent("models.allow"))))
            // Not in the keyring yet: refused, naming the bundle's key.
            let unknown = try env.sandbox.run("lock")
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("signed by a key that is not pinned"), "\(unknown.stderr)")

            let imported = try env.sandbox.run("keys", "import", Self.example.appendingPathComponent("publisher.pub.pem").path)
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(manifest.contains(imported.stdout.split(separator: " ")[1].description), "\(imported.stdout)")
            let locked = try env.sandbox.run("lock")
            #expect(locked.status == 0, "\(locked.stderr)")
            let written = try String(contentsOf: env.directory.appendingPathComponent("modelpin.lock"), encoding: .utf8)
            let committed = try String(contentsOf: Self.example.appendingPathComponent("modelpin.lock"), encoding: .utf8)
            #expect(written.replacingOccurrences(of: env.hub.endpoint, with: ExampleLockfileTests.demoEndpoint) == committed)
            #expect(try env.sandbox.run("pull", "--frozen").status == 0)
            #expect(try env.sandbox.run("verify").status == 0)
        }
    }
}

/// `keys import|list|remove` with OMS material: PEM from a user is hostile input too.
@Suite("keys: OMS public keys and CA certificates")
struct OMSKeyringTests {
    @Test func privateKeysAndJunkAreRefusedAndAStoredKeyMustMatchItsName() throws {
        try withTemporaryDirectory("modelpin-oms-keys") { directory throws in
            let fixture = ModelSigningFixture(directory: directory)
            let pair = try fixture.keyPair("alice")
            try Sandbox.with { sandbox throws in
                // A private key (SEC1 as openssl writes it) is never stored, and says why.
                let secret = try sandbox.run("keys", "import", pair.privateKey.path)
                #expect(secret.status == 64)
                #expect(secret.stderr.contains("secret-key material"), "\(secret.stderr)")
                let junk = try sandbox.file("junk.pem", Array("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".utf8))
                let refused = try sandbox.run("keys", "import", junk.path)
                #expect(refused.status != 0)
                #expect(refused.stderr.contains("junk.pem") && refused.stderr.contains("no usable OMS key"), "\(refused.stderr)")
                #expect(try sandbox.run("keys", "list").stdout.isEmpty)

                let imported = try sandbox.run("keys", "import", pair.publicKey.path)
                #expect(imported.status == 0, "\(imported.stderr)")
                let pin = String(imported.stdout.split(separator: " ")[1])
                let id = String(pin.dropFirst("oms-key:".count))
                // The id is the SHA-256 of the PEM text openssl wrote (what model_signing's hint holds).
                #expect(id == sha256Hex(try Data(contentsOf: pair.publicKey)))

                // A stored key whose content is not its name is an error, never another key.
                let keys = sandbox.store.appendingPathComponent("keyring/oms/keys")
                let other = try fixture.keyPair("other")
                try FileManager.default.removeItem(at: keys.appendingPathComponent("\(id).pem"))
                try FileManager.default.copyItem(at: other.publicKey, to: keys.appendingPathComponent("\(id).pem"))
                let swapped = try sandbox.run("keys", "list")
                #expect(swapped.status == 2)
                #expect(swapped.stderr.contains("not the one its name says"), "\(swapped.stderr)")

                #expect(try sandbox.run("keys", "remove", pin).status == 0)
                #expect(try sandbox.run("keys", "list").stdout.isEmpty)
                #expect(try sandbox.run("keys", "remove", pin).status != 0)
            }
        }
    }
}
