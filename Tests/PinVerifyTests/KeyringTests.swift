import Foundation
import PinModel
import PinTestSupport
import PinVerify
import Testing

@Suite("keyring")
struct KeyringTests {
    @Test func createMakesAPrivateDirectoryWithNoAutostart() throws {
        let bench = try Bench()
        var info = stat()
        #expect(stat(bench.keyringDirectory, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        let configuration = try String(contentsOfFile: bench.keyringDirectory + "/gpg.conf", encoding: .utf8)
        #expect(configuration.split(separator: "\n").contains("no-autostart"))
        #expect(try bench.keyring.list() == [])
    }

    @Test func importReturnsFingerprintAndUserIDAndListShowsIt() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice", email: "alice@example.org")
        let imported = try bench.importPublic(alice)
        #expect(imported.count == 1)
        let key = try #require(imported.first)
        #expect(key.fingerprint == (try fingerprint(alice)))
        #expect(key.userIDs == ["Alice <alice@example.org>"])
        #expect(key.revoked == false && key.expired == false)
        let now = Int64(Date().timeIntervalSince1970)
        #expect(abs((key.created ?? 0) - now) < 600)
        #expect(((key.expires ?? 0) - now) > 300 * 86400)  // 1y
        #expect(try bench.keyring.list() == [key])

        // Again: already present, still reported; binary exports import as well.
        #expect(try bench.importPublic(alice) == [key])
        #expect(try bench.keyring.importKeys(bench.fixture.exportPublicKey(alice, armored: false), source: "a.gpg") == [key])
        #expect(try bench.keyring.list().count == 1)

        // Armour headers, CRLF line ends and text around the block are fine.
        let armored = String(decoding: try bench.fixture.exportPublicKey(alice), as: UTF8.self)
        let edited = "Alice's key:\r\n" + armored
            .replacingOccurrences(of: "-----\n", with: "-----\nComment: from the website\n", options: [], range: armored.range(of: "-----\n"))
            .replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try bench.keyring.importKeys(Array(edited.utf8), source: "web.asc") == [key])
    }

    @Test func importOfSeveralKeysInOneFile() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let bob = try bench.fixture.generateKey(name: "Bob", expiry: "never")
        let both = try bench.fixture.exportPublicKey(alice) + Array("\n".utf8) + bench.fixture.exportPublicKey(bob)
        let imported = try bench.keyring.importKeys(both, source: "team.asc")
        #expect(Set(imported.map(\.fingerprint)) == [try fingerprint(alice), try fingerprint(bob)])
        let listed = try bench.keyring.list()
        #expect(listed.count == 2)
        #expect(listed.first { $0.fingerprint == (try? fingerprint(bob)) }?.expires == nil)
    }

    @Test func listShowsExpiredAndRevokedKeys() throws {
        let bench = try Bench()
        let old = try bench.fixture.generateExpiredKey(name: "Old")
        let carol = try bench.fixture.generateKey(name: "Carol")
        try bench.fixture.revoke(carol)
        try bench.importPublic(old)
        try bench.importPublic(carol)
        let keys = Dictionary(uniqueKeysWithValues: try bench.keyring.list().map { ($0.fingerprint.hex, $0) })
        let expired = try #require(keys[old.fingerprint])
        #expect(expired.expired && !expired.revoked)
        // Made at 2020-01-01T00:00:00Z (gpg's faked clock runs on, so a second may pass), for a day.
        let created = try #require(expired.created)
        #expect((1_577_836_800...1_577_836_805).contains(created))
        #expect(expired.expires == created + 86_400)
        let revoked = try #require(keys[carol.fingerprint])
        #expect(revoked.revoked)
    }

    @Test func removeThenVerifyIsAnUnknownKey() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let bob = try bench.fixture.generateKey(name: "Bob")
        try bench.importPublic(alice)
        try bench.importPublic(bob)
        let signature = try bench.fixture.sign(sampleData, with: alice)
        #expect(try bench.keyring.verifyDetached(signature: signature, signatureSource: "s", data: sampleData).map(\.outcome) == [.good])
        try bench.keyring.remove(fingerprint(alice))
        #expect(try bench.keyring.list().map(\.fingerprint) == [try fingerprint(bob)])
        #expect(try bench.keyring.verifyDetached(signature: signature, signatureSource: "s", data: sampleData).map(\.outcome) == [.unknownKey])
        #expect(throws: VerifyError.keyNotFound(try fingerprint(alice))) { try bench.keyring.remove(fingerprint(alice)) }
    }

    @Test func removeBySubkeyFingerprintIsRefused() throws {
        let bench = try Bench()
        let dana = try bench.fixture.generateKeyWithSigningSubkey(name: "Dana")
        try bench.importPublic(dana)
        let subkey = try Fingerprint(parsing: try #require(dana.subkeys.first))
        #expect(throws: VerifyError.keyNotFound(subkey)) { try bench.keyring.remove(subkey) }
        #expect(try bench.keyring.list().count == 1)
    }

    @Test(arguments: [true, false])
    func secretKeyIsRefusedBeforeGpgSeesIt(armored: Bool) throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let secret = try bench.fixture.exportSecretKey(alice, armored: armored)
        #expect(throws: VerifyError.secretKeyRefused(source: "alice.key")) {
            try bench.keyring.importKeys(secret, source: "alice.key")
        }
        // Secret packets after a public key, or under a PUBLIC KEY BLOCK header, are found too.
        let publicKey = try bench.fixture.exportPublicKey(alice, armored: false)
        let binarySecret = try bench.fixture.exportSecretKey(alice, armored: false)
        #expect(throws: VerifyError.secretKeyRefused(source: "mixed")) {
            try bench.keyring.importKeys(publicKey + binarySecret, source: "mixed")
        }
        let disguised = try relabel(bench.fixture.exportSecretKey(alice, armored: true))
        #expect(throws: VerifyError.secretKeyRefused(source: "disguised")) {
            try bench.keyring.importKeys(disguised, source: "disguised")
        }
        #expect(try bench.keyring.list() == [])
        let privateKeys = bench.keyringDirectory + "/private-keys-v1.d"
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: privateKeys)) ?? []
        #expect(stored.isEmpty)
        // The refusal explains itself.
        let error = VerifyError.secretKeyRefused(source: "alice.key")
        #expect(error.hint?.contains("gpg --export --armor") == true)
    }

    @Test func inputThatIsNotAKeyIsRefusedNamingItsSource() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let signature = try bench.fixture.sign(sampleData, with: alice)
        let binarySignature = try bench.fixture.sign(sampleData, with: alice, style: .binaryDetached)
        for input in [Array("hello\n".utf8), [], signature, binarySignature, [0x99, 0x01, 0x0D, 0x04], Array("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n".utf8)] {
            #expect {
                try bench.keyring.importKeys(input, source: "notes.txt")
            } throws: { error in
                guard case VerifyError.notAKey(let source, _) = error else { return false }
                return source == "notes.txt" && (error as? VerifyError)?.description.contains("notes.txt") == true
            }
        }
        #expect(try bench.keyring.list() == [])
    }

    @Test func noAgentIsLeftBehindForTheKeyring() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let signature = try bench.fixture.sign(sampleData, with: alice)
        let document = try bench.fixture.sign(sampleData, with: alice, style: .clearsigned)
        try bench.importPublic(alice)
        _ = try bench.keyring.list()
        _ = try bench.keyring.verifyDetached(signature: signature, signatureSource: "s", data: sampleData)
        _ = try bench.keyring.verifyClearsigned(document, source: "d")
        try bench.keyring.remove(fingerprint(alice))
        let entries = try FileManager.default.contentsOfDirectory(atPath: bench.keyringDirectory)
        #expect(!entries.contains { $0.hasPrefix("S.") })
        #expect(daemons(for: bench.keyringDirectory) == [])
        // The fixture (which signs) does run an agent, which shows the check can see one.
        #expect(!daemons(for: bench.fixture.home).isEmpty)
    }

    @Test func missingEngineIsReportedByEveryOperation() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let publicKey = try bench.fixture.exportPublicKey(alice)
        let signature = try bench.fixture.sign(sampleData, with: alice)
        let keyring = try Keyring(directory: bench.keyringDirectory, create: true, gpgPath: "/nonexistent/gpg")
        func isEngineMissing(_ error: any Error) -> Bool {
            guard case VerifyError.engineMissing = error else { return false }
            let verifyError = error as? VerifyError
            return verifyError?.kind == .operational && verifyError?.hint?.contains("apt install gnupg") == true
        }
        #expect(performing: { try keyring.list() }, throws: isEngineMissing)
        #expect(performing: { try keyring.importKeys(publicKey, source: "k") }, throws: isEngineMissing)
        #expect(performing: { try keyring.remove(fingerprint(alice)) }, throws: isEngineMissing)
        #expect(performing: { try keyring.verifyDetached(signature: signature, signatureSource: "s", data: sampleData) },
                throws: isEngineMissing)
        #expect(performing: { try keyring.verifyClearsigned(signature, source: "s") }, throws: isEngineMissing)
        #expect(performing: { try Signer.signDetached(sampleData, key: nil, home: bench.fixture.home, gpgPath: "/nonexistent/gpg") },
                throws: isEngineMissing)
        // A file that is not executable is no engine either.
        let notExecutable = try Keyring(directory: bench.keyringDirectory, create: false, gpgPath: bench.keyringDirectory + "/gpg.conf")
        #expect(performing: { try notExecutable.list() }, throws: isEngineMissing)
    }

    @Test func directoryProblemsAreNamed() throws {
        let bench = try Bench()
        let file = bench.keyringDirectory + "/gpg.conf"
        #expect {
            try Keyring(directory: file, create: true)
        } throws: { error in
            guard case VerifyError.keyringDirectory(let path, _) = error else { return false }
            return path == file
        }
        #expect(performing: { try Keyring(directory: file, create: false) }, throws: { $0 is VerifyError })
        let absent = try Keyring(directory: bench.keyringDirectory + "/absent", create: false)
        #expect {
            try absent.importKeys(bench.fixture.exportPublicKey(bench.fixture.generateKey(name: "A")), source: "k")
        } throws: { error in
            if case VerifyError.keyringDirectory = error { return true }
            return false
        }
        // create: parents are made, the keyring itself is 0700.
        let nested = bench.keyringDirectory + "/a/b/keyring"
        _ = try Keyring(directory: nested, create: true)
        var info = stat()
        #expect(stat(nested, &info) == 0 && info.st_mode & 0o777 == 0o700)
    }
}

/// An armoured secret key relabelled as a public key block (same packets inside).
private func relabel(_ armored: [UInt8]) -> [UInt8] {
    Array(String(decoding: armored, as: UTF8.self).replacingOccurrences(of: "PRIVATE KEY BLOCK", with: "PUBLIC KEY BLOCK").utf8)
}
