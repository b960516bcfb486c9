import Foundation
import PinTestSupport
import Testing

/// A publisher's keys (real, made by gpg) and repos whose files they sign.
struct Publisher {
    let gpg: GPGFixture
    let alice: GPGFixture.Key
    let bob: GPGFixture.Key
    let mallory: GPGFixture.Key

    static func with<T>(_ body: (Publisher) throws -> T) throws -> T {
        let gpg = try GPGFixture()
        defer { gpg.close() }
        return try body(Publisher(
            gpg: gpg, alice: try gpg.generateKey(name: "Alice Publisher", email: "alice@acme.test"),
            bob: try gpg.generateKey(name: "Bob Publisher", email: "bob@acme.test"),
            mallory: try gpg.generateKey(name: "Mallory", email: "mallory@evil.test")))
    }

    /// `SHA256SUMS` for `files`, as `sha256sum` writes it.
    static func sums(_ files: [FakeHub.File]) -> [UInt8] {
        Array(files.map { file -> String in
            guard case .bytes(let bytes) = file.content else { fatalError("in-memory files only") }
            return "\(sha256Hex(Data(bytes)))  \(file.path)\n"
        }.joined().utf8)
    }

    /// The test model plus a `SHA256SUMS` signed by `signer` (detached `.asc`).
    func signedFiles(by signer: GPGFixture.Key, sums: [UInt8]? = nil) throws -> [FakeHub.File] {
        let list = sums ?? Self.sums(HubSandbox.files)
        return HubSandbox.files + [
            FakeHub.File("SHA256SUMS", list),
            FakeHub.File("SHA256SUMS.asc", try gpg.sign(list, with: signer)),
        ]
    }

    /// Imports public keys into the sandbox's modelpin keyring through the CLI.
    func trust(_ keys: GPGFixture.Key..., in project: ProjectSandbox) throws {
        for key in keys {
            let file = project.directory.appendingPathComponent("\(key.keyID).asc")
            try writeFile(file, try gpg.exportPublicKey(key))
            let imported = try project.run("keys", "import", file.path)
            #expect(imported.status == 0, "\(imported.stderr)")
        }
    }
}

extension ProjectSandbox {
    /// A model whose files `publisher` signed with `signer`'s key, trusted and pinned: `add
    /// acme/tiny-model --as tiny --signer FPR --include '*.json'`.
    static func addedSigned<T>(_ publisher: Publisher, by signer: GPGFixture.Key, _ body: (ProjectSandbox) throws -> T) throws -> T {
        try signed(publisher, by: signer) { project throws in
            try publisher.trust(signer, in: project)
            let added = try project.run("add", "acme/tiny-model", "--as", "tiny", "--signer", signer.fingerprint, "--include", "*.json")
            #expect(added.status == 0, "\(added.stderr)")
            return try body(project)
        }
    }

    static func signed<T>(_ publisher: Publisher, by signer: GPGFixture.Key, _ body: (ProjectSandbox) throws -> T) throws -> T {
        try with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: try publisher.signedFiles(by: signer))], body)
    }
}

@Suite("signatures: pinned signers, signed checksum lists, signed locks")
struct SignatureTests {
    @Test func aSignedChecksumListByAPinnedKeyVouchesForEveryFile() throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.addedSigned(publisher, by: publisher.alice) { project throws in
                #expect(try project.manifestText().contains("signers = [\"\(publisher.alice.fingerprint)\"]"))
                let lock = try project.lockText()
                #expect(lock.contains("signed-by = \"\(publisher.alice.fingerprint)\"\nsignatures = [\"SHA256SUMS.asc\"]"))
                // The documents come along even though --include left them out.
                #expect(lock.contains("path = \"SHA256SUMS.asc\""))

                try FileManager.default.removeItem(at: project.model)
                let pulled = try project.runWithFreshStore("pull", "--locked", "--json")
                // The fresh store has its own (empty) keyring: the signer is unknown there.
                #expect(pulled.status == 1)
                #expect(pulled.stderr.contains("not in modelpin's keyring: \(publisher.alice.fingerprint)"), "\(pulled.stderr)")
                #expect(!FileManager.default.fileExists(atPath: project.model.appendingPathComponent("config.json").path))

                let again = try project.run("pull", "--locked", "--json")
                #expect(again.status == 0, "\(again.stderr)")
                let summary = try #require(try json(again.stdout) as? [String: Any])
                let model = try #require((summary["models"] as? [[String: Any]])?.first)
                let signature = try #require(model["signature"] as? [String: Any])
                #expect(signature["signer"] as? String == publisher.alice.fingerprint)
                #expect((signature["userID"] as? String)?.contains("alice@acme.test") == true)
            }
        }
    }

    @Test func aForeignAnUnknownOrABadSignatureRefusesAndWritesNothing() throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.signed(publisher, by: publisher.mallory) { project throws in
                let manifest = try project.manifestText()
                // Not imported at all: gpg knows no such key.
                let unknown = try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint)
                #expect(unknown.status == 1)
                #expect(unknown.stderr.contains(publisher.mallory.keyID) || unknown.stderr.contains(publisher.mallory.fingerprint), "\(unknown.stderr)")

                // Imported, good, but not the pinned signer.
                try publisher.trust(publisher.alice, publisher.mallory, in: project)
                let foreign = try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint)
                #expect(foreign.status == 1)
                #expect(foreign.stderr.contains("not pinned"), "\(foreign.stderr)")
                #expect(foreign.stderr.contains(publisher.mallory.fingerprint))
                // --json names the outcome as data.
                let asJSON = try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint, "--json")
                let failure = try #require((try json(asJSON.stdout) as? [String: Any])?["error"] as? [String: Any])
                let details = try #require(failure["details"] as? [String: Any])
                #expect(details["reason"] as? String == "signer-not-pinned")
                #expect(details["key"] as? String == publisher.mallory.fingerprint)
                #expect(failure["exitCode"] as? Int == 1)

                // Signed by alice, then the list was changed: a bad signature.
                let genuine = Publisher.sums(HubSandbox.files)
                var forged = genuine
                forged[0] = forged[0] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
                try project.env.hub.update { repos in
                    repos[0].commits[HubSandbox.commit] = HubSandbox.files + [
                        FakeHub.File("SHA256SUMS", forged),
                        FakeHub.File("SHA256SUMS.asc", try! publisher.gpg.sign(genuine, with: publisher.alice)),
                    ]
                }
                let bad = try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint)
                #expect(bad.status == 1)
                #expect(bad.stderr.contains("bad signature"), "\(bad.stderr)")

                #expect(try project.manifestText() == manifest)
                #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))
                #expect(!FileManager.default.fileExists(atPath: project.model.path))
            }
        }
    }

    @Test func aFileTheSignedListDoesNotCoverIsRefused() throws {
        try Publisher.with { publisher throws in
            let partial = Publisher.sums(Array(HubSandbox.files.prefix(1)))
            let files = try publisher.signedFiles(by: publisher.alice, sums: partial)
            try ProjectSandbox.with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)]) { project throws in
                try publisher.trust(publisher.alice, in: project)
                let refused = try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint)
                #expect(refused.status == 1)
                #expect(refused.stderr.contains("no signature by a pinned signer covers 3 files"), "\(refused.stderr)")
                #expect(refused.stderr.contains("model.safetensors"))
            }
        }
    }

    @Test func detachedSignaturesBesideEachFileIncludingTheWeights() throws {
        try Publisher.with { publisher throws in
            var files = HubSandbox.files
            for file in HubSandbox.files {
                guard case .bytes(let bytes) = file.content else { continue }
                files.append(FakeHub.File(file.path + ".sig", try publisher.gpg.sign(bytes, with: publisher.bob, style: .binaryDetached)))
            }
            try ProjectSandbox.with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)]) { project throws in
                try publisher.trust(publisher.bob, in: project)
                let added = try project.run("add", "acme/tiny-model", "--signer", publisher.bob.fingerprint)
                #expect(added.status == 0, "\(added.stderr)")
                #expect(try project.lockText().contains("\"model.safetensors.sig\""))
                // The weights were downloaded once: one CDN request per LFS file.
                #expect(project.env.cdnRequests.count == 2)
            }
        }
    }

    @Test func anotherSignerIsRefusedUntilTheManifestSaysSo() throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.signed(publisher, by: publisher.alice) { project throws in
                try publisher.trust(publisher.alice, publisher.bob, in: project)
                #expect(try project.run("add", "acme/tiny-model", "--as", "tiny", "--signer", publisher.alice.fingerprint, "--signer", publisher.bob.fingerprint).status == 0)
                #expect(try project.lockText().contains("signed-by = \"\(publisher.alice.fingerprint)\""))

                // A new commit, the same files, now signed by bob (also pinned).
                let next = String(repeating: "7e", count: 20)
                let bySomeoneElse = try publisher.signedFiles(by: publisher.bob)
                try project.env.hub.update { repos in
                    repos[0].commits[next] = bySomeoneElse
                    repos[0].refs["main"] = next
                }
                let before = try project.lockText()
                let refused = try project.run("lock", "--update")
                #expect(refused.status == 1)
                #expect(refused.stderr.contains("`tiny` is now signed by \(publisher.bob.fingerprint), but the lock records \(publisher.alice.fingerprint)"), "\(refused.stderr)")
                #expect(try project.lockText() == before)

                // The manifest now pins bob alone: that is a decision, and the lock follows it.
                try writeFile(project.manifest, Array(try project.manifestText().replacingOccurrences(
                    of: "signers = [\"\(min(publisher.alice.fingerprint, publisher.bob.fingerprint))\", \"\(max(publisher.alice.fingerprint, publisher.bob.fingerprint))\"]",
                    with: "signers = [\"\(publisher.bob.fingerprint)\"]").utf8))
                let relocked = try project.run("lock")
                #expect(relocked.status == 0, "\(relocked.stderr)")
                #expect(try project.lockText().contains("signed-by = \"\(publisher.bob.fingerprint)\""))
            }
        }
    }

    /// Files that look like signatures get no pass for their name: each must verify (good, by a
    /// pinned key, over the file it names) or be vouched for as a file by a signature that did.
    /// (Before, any `X.sig` beside an `X` and an unsigned `SHA256SUMS` were exempt unchecked.)
    @Test(arguments: SignatureLookalike.allCases)
    func aFileThatOnlyLooksLikeASignatureIsRefused(_ lookalike: SignatureLookalike) throws {
        try Publisher.with { publisher throws in
            let files = try lookalike.files(publisher)
            try ProjectSandbox.with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)]) { project throws in
                try publisher.trust(publisher.alice, publisher.mallory, in: project)
                let added = try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint)
                guard let named = lookalike.refusedFile else {
                    #expect(added.status == 0, "\(added.stderr)")
                    return
                }
                #expect(added.status == 1, "\(added.stderr)")
                #expect(added.stderr.contains(named), "\(added.stderr)")
                #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))
                #expect(!FileManager.default.fileExists(atPath: project.model.path))
            }
        }
    }

    @Test(arguments: ["revoked-key", "expired-key", "expired-signature"])
    func aRevokedOrExpiredKeyOrSignatureRefuses(_ reason: String) throws {
        try Publisher.with { publisher throws in
            let list = Publisher.sums(HubSandbox.files)
            let signer: GPGFixture.Key
            let signature: [UInt8]
            switch reason {
            case "revoked-key":
                signer = try publisher.gpg.generateKey(name: "Revoked Publisher")
                signature = try publisher.gpg.sign(list, with: signer)
                try publisher.gpg.revoke(signer)
            case "expired-key":
                signer = try publisher.gpg.generateExpiredKey(name: "Expired Publisher")
                signature = try publisher.gpg.sign(list, with: signer, fakedTime: GPGFixture.pastSigningTime)
            default:
                signer = try publisher.gpg.generateKey(name: "Old Publisher", expiry: "never", fakedTime: GPGFixture.pastKeyCreation)
                signature = try publisher.gpg.signWithExpiredSignature(list, with: signer)
            }
            let files = HubSandbox.files + [FakeHub.File("SHA256SUMS", list), FakeHub.File("SHA256SUMS.asc", signature)]
            try ProjectSandbox.with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)]) { project throws in
                try publisher.trust(signer, in: project)
                let refused = try project.run("add", "acme/tiny-model", "--signer", signer.fingerprint)
                #expect(refused.status == 1)
                let words = ["revoked-key": "revoked", "expired-key": "expired", "expired-signature": "has expired"][reason]!
                #expect(refused.stderr.lowercased().contains(words), "\(refused.stderr)")
                #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))
            }
        }
    }

    @Test func anOversizedSignatureIsRefusedUnread() throws {
        try Publisher.with { publisher throws in
            let list = Publisher.sums(HubSandbox.files)
            let files = HubSandbox.files + [FakeHub.File("SHA256SUMS", list), FakeHub.File("SHA256SUMS.asc", pseudoRandomBytes(count: 200 << 10, seed: 3))]
            try ProjectSandbox.with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)]) { project throws in
                try publisher.trust(publisher.alice, in: project)
                let refused = try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint)
                #expect(refused.status == 1)
                #expect(refused.stderr.contains("more than any signature document may be"), "\(refused.stderr)")
            }
        }
    }

    @Test func aSignedLockIsRequiredOnlyWhenAskedAndMustBeGood() throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                let missing = try project.run("pull", "--require-signed-lock")
                #expect(missing.status == 1)
                #expect(missing.stderr.contains("has no signature"))

                let signed = try project.run("sign", "--key", publisher.alice.fingerprint, "--gnupg-home", publisher.gpg.home)
                #expect(signed.status == 0, "\(signed.stderr)")
                let unknown = try project.run("pull", "--require-signed-lock")
                #expect(unknown.status == 1, "alice's key is not in modelpin's keyring yet")

                try publisher.trust(publisher.alice, in: project)
                // In the keyring is not enough: lock signers are pinned on their own.
                let unpinned = try project.run("pull", "--require-signed-lock")
                #expect(unpinned.status == 1)
                #expect(unpinned.stderr.contains("no lock signer is pinned"), "\(unpinned.stderr)")
                #expect(unpinned.stderr.contains("MODELPIN_LOCK_SIGNERS"))

                let pinned = ["MODELPIN_LOCK_SIGNERS": publisher.alice.fingerprint]
                let good = try project.run("pull", "--require-signed-lock", environment: pinned)
                #expect(good.status == 0, "\(good.stderr)")
                #expect(good.stderr.contains("modelpin.lock is signed by \(publisher.alice.fingerprint)"))

                // One byte of the lock changed after signing.
                try writeFile(project.lockfile, Array(try project.lockText().replacingOccurrences(of: "revision = \"main\"", with: "revision = \"main\"\n").utf8))
                let tampered = try project.run("pull", "--require-signed-lock", environment: pinned.merging(["MODELPIN_REQUIRE_SIGNED_LOCK": "1"]) { $1 })
                #expect(tampered.status == 1)
                #expect(tampered.stderr.contains("bad signature"), "\(tampered.stderr)")
            }
        }
    }

    /// A key in modelpin's keyring (a model publisher's, imported to check their files) does not
    /// sign locks: only the lock signers pinned in the environment or the user's config do.
    @Test(arguments: ["environment", "config", "xdg-config"])
    func aLockSignedByAPublishersKeyIsRefused(_ pin: String) throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.signed(publisher, by: publisher.alice) { project throws in
                try publisher.trust(publisher.alice, publisher.bob, in: project)
                #expect(try project.run("add", "acme/tiny-model", "--signer", publisher.alice.fingerprint).status == 0)
                // The publisher signs the lock.
                #expect(try project.run("sign", "--key", publisher.alice.fingerprint, "--gnupg-home", publisher.gpg.home).status == 0)

                var environment: [String: String] = [:]
                let config = "lock-signers = [\"\(publisher.bob.fingerprint)\"]\n"
                switch pin {
                case "environment": environment["MODELPIN_LOCK_SIGNERS"] = "\(publisher.bob.fingerprint), \(publisher.mallory.fingerprint)"
                case "config": try writeConfig(config, in: project.directory.appendingPathComponent("home/.config"))
                default:
                    let xdg = project.directory.appendingPathComponent("xdg")
                    try writeConfig(config, in: xdg)
                    environment["XDG_CONFIG_HOME"] = xdg.path
                }
                let refused = try project.run("pull", "--require-signed-lock", environment: environment)
                #expect(refused.status == 1, "\(refused.stderr)")
                #expect(refused.stderr.contains("signed by a key that is not pinned: \(publisher.alice.fingerprint)"), "\(refused.stderr)")
                #expect(refused.stderr.contains(publisher.bob.fingerprint))

                // The pinned lock signer's signature is accepted.
                #expect(try project.run("sign", "--key", publisher.bob.fingerprint, "--gnupg-home", publisher.gpg.home).status == 0)
                let accepted = try project.run("pull", "--require-signed-lock", environment: environment)
                #expect(accepted.status == 0, "\(accepted.stderr)")
            }
        }
    }

    @Test func malformedLockSignersAreRefusedNamingWhere() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            // Whose signature it is comes up only once there is one.
            try writeFile(URL(fileURLWithPath: project.lockfile.path + ".asc"), Array("-----BEGIN PGP SIGNATURE-----\n".utf8))
            let variable = try project.run("pull", "--require-signed-lock", environment: ["MODELPIN_LOCK_SIGNERS": "0123456789ABCDEF"])
            #expect(variable.status == 64, "\(variable.stderr)")
            #expect(variable.stderr.contains("invalid MODELPIN_LOCK_SIGNERS: `0123456789ABCDEF` is a key id"), "\(variable.stderr)")

            try writeConfig("lock-signer = [\"0123456789ABCDEF0123456789ABCDEF01234567\"]\n", in: project.directory.appendingPathComponent("home/.config"))
            let misspelt = try project.run("pull", "--require-signed-lock")
            #expect(misspelt.status == 2, "\(misspelt.stderr)")
            #expect(misspelt.stderr.contains("config.toml`:1"), "\(misspelt.stderr)")
            #expect(misspelt.stderr.contains("lock-signers"), "\(misspelt.stderr)")
        }
    }

    @Test func keysAreImportedListedAndRemovedAndSecretsAreRefused() throws {
        try Publisher.with { publisher throws in
            try Sandbox.with { sandbox throws in
                let secret = try sandbox.file("secret.asc", try publisher.gpg.exportSecretKey(publisher.alice))
                let refused = try sandbox.run("keys", "import", secret.path)
                #expect(refused.status == 64)
                #expect(refused.stderr.contains("secret"), "\(refused.stderr)")
                let junk = try sandbox.file("junk.asc", Array("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\ngarbage\n-----END PGP PUBLIC KEY BLOCK-----\n".utf8))
                #expect(try sandbox.run("keys", "import", junk.path).status != 0)

                let key = try sandbox.file("alice.asc", try publisher.gpg.exportPublicKey(publisher.alice))
                let imported = try sandbox.run("keys", "import", key.path)
                #expect(imported.status == 0, "\(imported.stderr)")
                #expect(imported.stdout.contains("imported \(publisher.alice.fingerprint)"))
                let listed = try sandbox.run("keys", "list", "--json")
                let keys = try #require(try json(listed.stdout) as? [[String: Any]])
                #expect(keys.map { $0["fingerprint"] as? String } == [publisher.alice.fingerprint])
                #expect(try sandbox.run("keys", "remove", publisher.alice.fingerprint).status == 0)
                #expect(try sandbox.run("keys", "list").stdout.isEmpty)
                // Never ~/.gnupg: the keyring is in the store.
                #expect(FileManager.default.fileExists(atPath: sandbox.store.appendingPathComponent("keyring").path))

                var noGPG = sandbox.modelpin
                noGPG.environment["MODELPIN_GPG"] = "/nonexistent/gpg"
                let missing = try noGPG.run(["keys", "list"])
                #expect(missing.status == 2)
                #expect(missing.stderr.contains("gnupg"), "\(missing.stderr)")
            }
        }
    }
}

/// Writes `DIRECTORY/modelpin/config.toml`, the user's config under an XDG config directory.
func writeConfig(_ text: String, in directory: URL) throws {
    let folder = directory.appendingPathComponent("modelpin")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try writeFile(folder.appendingPathComponent("config.toml"), Array(text.utf8))
}

/// A repo signed by alice (a `SHA256SUMS.asc` or a signature per file) plus one file whose name
/// says "signature" while it is not a good one by alice.
enum SignatureLookalike: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `config.json.sig` holds no signature; `config.json` is vouched for by the signed list.
    case garbageBesideAListedFile
    /// `SHA256SUMS.sig` holds no signature; `SHA256SUMS.asc` beside it is good.
    case garbageSecondListSignature
    /// `config.json.sig` is a good signature, by a key that is not pinned.
    case unpinnedSignerBesideAFile
    /// Every file has a good `.sig`, but `SHA256SUMS` itself is signed by no one.
    case unsignedChecksumList
    /// `config.json.sig` holds no signature, but the signed list vouches for its bytes: an
    /// ordinary file, accepted.
    case garbageVouchedForByTheList

    var testDescription: String { rawValue }

    /// The file the refusal must name; nil: the pull is accepted.
    var refusedFile: String? {
        switch self {
        case .garbageBesideAListedFile, .unpinnedSignerBesideAFile: "config.json.sig"
        case .garbageSecondListSignature: "SHA256SUMS.sig"
        case .unsignedChecksumList: "SHA256SUMS"
        case .garbageVouchedForByTheList: nil
        }
    }

    func files(_ publisher: Publisher) throws -> [FakeHub.File] {
        let garbage = FakeHub.File("config.json.sig", Array("not a signature at all\n".utf8))
        switch self {
        case .garbageBesideAListedFile:
            return try publisher.signedFiles(by: publisher.alice) + [garbage]
        case .garbageSecondListSignature:
            return try publisher.signedFiles(by: publisher.alice) + [FakeHub.File("SHA256SUMS.sig", Array("junk".utf8))]
        case .unpinnedSignerBesideAFile:
            let bySomeoneElse = try publisher.gpg.sign(HubSandbox.config, with: publisher.mallory, style: .binaryDetached)
            return try publisher.signedFiles(by: publisher.alice) + [FakeHub.File("config.json.sig", bySomeoneElse)]
        case .unsignedChecksumList:
            var files = HubSandbox.files
            for file in HubSandbox.files {
                guard case .bytes(let bytes) = file.content else { continue }
                files.append(FakeHub.File(file.path + ".sig", try publisher.gpg.sign(bytes, with: publisher.alice, style: .binaryDetached)))
            }
            return files + [FakeHub.File("SHA256SUMS", Publisher.sums(HubSandbox.files))]
        case .garbageVouchedForByTheList:
            let listed = HubSandbox.files + [garbage]
            let sums = Publisher.sums(listed)
            return listed + [FakeHub.File("SHA256SUMS", sums), FakeHub.File("SHA256SUMS.asc", try publisher.gpg.sign(sums, with: publisher.alice))]
        }
    }
}
