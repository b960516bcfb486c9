import Foundation
import PinModel
import PinTestSupport
import PinVerify
import Testing

/// Every row of the outcome table (reference §2.3), with real keys and gpg.
@Suite("signature outcomes")
struct SignatureOutcomeTests {
    @Test func goodArmoredDetachedSignatureIsAcceptedWhenPinned() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        try bench.importPublic(alice)
        let signature = try bench.fixture.sign(sampleData, with: alice, style: .armoredDetached)
        #expect(signature.starts(with: Array("-----BEGIN PGP SIGNATURE-----".utf8)))
        let checks = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.asc", data: sampleData)
        #expect(checks.count == 1)
        #expect(checks[0].outcome == .good)
        #expect(checks[0].reportedKey == alice.fingerprint)
        #expect(checks[0].primary == (try fingerprint(alice)))
        #expect(checks[0].userID == alice.userID)
        #expect((checks[0].created ?? 0) > 1_600_000_000)
        let verdict = try bench.policy(alice).decide(checks, document: "acme/x: x.asc")
        #expect(verdict == .accepted(signer: try fingerprint(alice), userID: alice.userID))
    }

    @Test func goodBinarySignatureOverBytesAndOverAFileDescriptor() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        try bench.importPublic(alice)
        let data = pseudoRandomBytes(count: 3 << 20, seed: 7)
        let signature = try bench.fixture.sign(data, with: alice, style: .binaryDetached)
        #expect(signature.first.map { $0 & 0x80 != 0 } == true)

        let fromBytes = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.sig", data: data)
        #expect(fromBytes.map(\.outcome) == [.good])

        let path = bench.keyringDirectory + "/../blob"
        try Data(data).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let fromFile = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.sig", fileDescriptor: fd)
        #expect(fromFile.map(\.outcome) == [.good])
        #expect(try bench.policy(alice).decide(fromFile, document: "blob") == .accepted(signer: fingerprint(alice), userID: alice.userID))

        // A descriptor is read from its offset on: the same signature fails over a suffix.
        #expect(lseek(fd, 1, SEEK_SET) == 1)
        let fromOffset = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.sig", fileDescriptor: fd)
        #expect(fromOffset.map(\.outcome) == [.badSignature])
    }

    @Test func clearsignedDocumentReturnsExactlyTheSignedText() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        try bench.importPublic(alice)
        let text = Array("""
            0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  model.safetensors
            -----BEGIN a line that needs dash-escaping
            - and another
            last line

            """.utf8)
        let document = try bench.fixture.sign(text, with: alice, style: .clearsigned)
        #expect(document.starts(with: Array("-----BEGIN PGP SIGNED MESSAGE-----".utf8)))
        let (signed, checks) = try bench.keyring.verifyClearsigned(document, source: "SHA256SUMS.asc")
        #expect(checks.map(\.outcome) == [.good])
        #expect(String(decoding: signed, as: UTF8.self) == String(decoding: text, as: UTF8.self))
        #expect(signed == text)
    }

    @Test func clearsignedTextOutsideTheSignatureIsNotReturned() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        try bench.importPublic(alice)
        let text = Array("signed\n".utf8)
        let document = Array("unsigned preamble\n".utf8) + (try bench.fixture.sign(text, with: alice, style: .clearsigned))
            + Array("unsigned trailer\n".utf8)
        let (signed, checks) = try bench.keyring.verifyClearsigned(document, source: "SHA256SUMS.asc")
        #expect(checks.map(\.outcome) == [.good])
        #expect(signed == text)
    }

    @Test func tamperedDataIsABadSignatureNamingTheKeyID() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        try bench.importPublic(alice)
        let signature = try bench.fixture.sign(sampleData, with: alice)
        var tampered = sampleData
        tampered[3] ^= 0x01
        let checks = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.asc", data: tampered)
        #expect(checks.map(\.outcome) == [.badSignature])
        #expect(checks[0].reportedKey == alice.keyID)
        #expect(checks[0].primary == (try fingerprint(alice)))  // looked up by key id
        guard case .refused(let refusal) = try bench.policy(alice).decide(checks, document: "acme/x: x.asc") else {
            Issue.record("a tampered file was accepted")
            return
        }
        #expect(refusal.reason == .badSignature)
        #expect(refusal.description.contains("the signed file was changed, or the signature belongs to another file"))
        #expect(refusal.kind == .refused)

        // A tampered clearsigned document too.
        var document = try bench.fixture.sign(Array("signed text\n".utf8), with: alice, style: .clearsigned)
        let index = try #require(document.indices.first { document[$0...].starts(with: Array("signed text".utf8)) })
        document[index] = UInt8(ascii: "S")
        let clear = try bench.keyring.verifyClearsigned(document, source: "SHA256SUMS.asc")
        #expect(clear.checks.map(\.outcome) == [.badSignature])
    }

    @Test func signerNotImportedIsAnUnknownKeyWithItsFingerprint() throws {
        let bench = try Bench()
        let mallory = try bench.fixture.generateKey(name: "Mallory")
        let signature = try bench.fixture.sign(sampleData, with: mallory)
        let checks = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.asc", data: sampleData)
        #expect(checks.map(\.outcome) == [.unknownKey])
        #expect(checks[0].reportedKey == mallory.fingerprint)
        #expect(checks[0].primary == nil)
        #expect(checks[0].userID == nil)
        guard case .refused(let refusal) = try bench.policy(mallory).decide(checks, document: "acme/x: x.asc") else {
            Issue.record("accepted without the key")
            return
        }
        #expect(refusal.reason == .unknownKey)
        #expect(refusal.key == mallory.fingerprint)
        #expect(refusal.description.contains(mallory.fingerprint))
        #expect(refusal.hint?.contains("modelpin keys import") == true)
    }

    @Test func aMissingKeyringDirectoryIsAnEmptyKeyring() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let signature = try bench.fixture.sign(sampleData, with: alice)
        let missing = try Keyring(directory: bench.keyringDirectory + "/not-there", create: false)
        #expect(try missing.list() == [])
        let checks = try missing.verifyDetached(signature: signature, signatureSource: "x.asc", data: sampleData)
        #expect(checks.map(\.outcome) == [.unknownKey])
        #expect(!FileManager.default.fileExists(atPath: missing.directory))
        #expect(throws: VerifyError.keyNotFound(try fingerprint(alice))) { try missing.remove(fingerprint(alice)) }
    }

    @Test func importedButUnpinnedSignerIsRefusedAsNotPinned() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let bob = try bench.fixture.generateKey(name: "Bob")
        try bench.importPublic(alice)
        try bench.importPublic(bob)
        let signature = try bench.fixture.sign(sampleData, with: bob)
        let checks = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.asc", data: sampleData)
        #expect(checks.map(\.outcome) == [.good])
        let verdict = try bench.policy(alice).decide(checks, document: "acme/x: SHA256SUMS.asc")
        let expected = SignatureRefusal(
            document: "acme/x: SHA256SUMS.asc", reason: .notPinned, key: bob.fingerprint, userID: bob.userID,
            pinned: [try fingerprint(alice)])
        #expect(verdict == .refused(expected))
        #expect(
            expected.description
                == "`acme/x: SHA256SUMS.asc`: signed by a key that is not pinned: \(bob.fingerprint) (\(bob.userID))")
    }

    @Test func expiredKeyIsRefused() throws {
        let bench = try Bench()
        let old = try bench.fixture.generateExpiredKey(name: "Old")
        let signature = try bench.fixture.sign(sampleData, with: old, fakedTime: GPGFixture.pastSigningTime)
        let info = try bench.importPublic(old)
        #expect(info.first?.expired == true)
        let checks = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.asc", data: sampleData)
        #expect(checks.map(\.outcome) == [.expiredKey])
        #expect(checks[0].reportedKey == old.fingerprint)
        guard case .refused(let refusal) = try bench.policy(old).decide(checks, document: "d") else {
            Issue.record("an expired key was accepted")
            return
        }
        #expect(refusal.reason == .expiredKey)
    }

    @Test func expiredSignatureIsRefused() throws {
        let bench = try Bench()
        let signer = try bench.fixture.generateKey(name: "Past", expiry: "never", fakedTime: GPGFixture.pastKeyCreation)
        let signature = try bench.fixture.signWithExpiredSignature(sampleData, with: signer)
        try bench.importPublic(signer)
        let checks = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.asc", data: sampleData)
        #expect(checks.map(\.outcome) == [.expiredSignature])
        guard case .refused(let refusal) = try bench.policy(signer).decide(checks, document: "d") else {
            Issue.record("an expired signature was accepted")
            return
        }
        #expect(refusal.reason == .expiredSignature)
    }

    @Test func revokedKeyIsRefused() throws {
        let bench = try Bench()
        let carol = try bench.fixture.generateKey(name: "Carol")
        let signature = try bench.fixture.sign(sampleData, with: carol)
        try bench.fixture.revoke(carol)
        let info = try bench.importPublic(carol)
        #expect(info.first?.revoked == true)
        let checks = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.asc", data: sampleData)
        #expect(checks.map(\.outcome) == [.revokedKey])
        let refusal = SignatureRefusal(
            document: "d", reason: .revokedKey, key: carol.fingerprint, userID: carol.userID, pinned: [try fingerprint(carol)])
        #expect(try bench.policy(carol).decide(checks, document: "d") == .refused(refusal))
    }

    @Test func signingSubkeyIsAcceptedWhenItsPrimaryIsPinned() throws {
        let bench = try Bench()
        let dana = try bench.fixture.generateKeyWithSigningSubkey(name: "Dana")
        let subkey = try #require(dana.signingSubkeys.first)
        #expect(subkey != dana.fingerprint)
        let info = try bench.importPublic(dana)
        #expect(info.first?.subkeys == [try Fingerprint(parsing: subkey)])
        let signature = try bench.fixture.sign(sampleData, with: dana)
        let checks = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.asc", data: sampleData)
        #expect(checks.map(\.outcome) == [.good])
        #expect(checks[0].reportedKey == subkey)
        #expect(checks[0].primary == (try fingerprint(dana)))
        #expect(try bench.policy(dana).decide(checks, document: "d") == .accepted(signer: fingerprint(dana), userID: dana.userID))
        // Pinning the subkey alone also works; pinning someone else does not.
        let subkeyPolicy = SignaturePolicy(pinned: [try Fingerprint(parsing: subkey)])
        #expect(subkeyPolicy.decide(checks, document: "d") == .accepted(signer: try Fingerprint(parsing: subkey), userID: dana.userID))
    }

    @Test func twoSignaturesOnePinnedIsAccepted() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let bob = try bench.fixture.generateKey(name: "Bob")
        try bench.importPublic(alice)
        try bench.importPublic(bob)
        let signature = try bench.fixture.sign(sampleData, with: [bob.fingerprint, alice.fingerprint])
        let checks = try bench.keyring.verifyDetached(signature: signature, signatureSource: "x.asc", data: sampleData)
        #expect(checks.map(\.outcome) == [.good, .good])
        #expect(Set(checks.map(\.reportedKey)) == [alice.fingerprint, bob.fingerprint])
        #expect(try bench.policy(alice).decide(checks, document: "d") == .accepted(signer: fingerprint(alice), userID: alice.userID))
        #expect(try bench.policy(bob).decide(checks, document: "d") == .accepted(signer: fingerprint(bob), userID: bob.userID))
    }

    @Test func garbageSignatureIsMalformed() throws {
        let bench = try Bench()
        for garbage in [Array("garbage\n".utf8), [], sampleData] {
            #expect {
                try bench.keyring.verifyDetached(signature: garbage, signatureSource: "x.sig", data: sampleData)
            } throws: { error in
                guard case VerifyError.malformedSignature(let source, _) = error else { return false }
                return source == "x.sig" && (error as? VerifyError)?.kind == .refused
            }
        }
        #expect {
            try bench.keyring.verifyClearsigned(Array("not signed at all\n".utf8), source: "SHA256SUMS")
        } throws: { error in
            if case VerifyError.malformedSignature("SHA256SUMS", _) = error { return true }
            return false
        }
    }

    @Test func oversizedSignatureIsRefusedWithoutRunningGpg() throws {
        // With no gpg at all, the size check still answers first.
        let keyring = try Keyring(directory: "/nonexistent/keyring", create: false, gpgPath: "/nonexistent/gpg")
        let huge = [UInt8](repeating: 0x41, count: Keyring.signatureLimit + 1)
        #expect(throws: VerifyError.tooLarge(source: "x.asc", limit: Keyring.signatureLimit)) {
            try keyring.verifyDetached(signature: huge, signatureSource: "x.asc", data: [])
        }
        #expect(throws: VerifyError.tooLarge(source: "x.asc", limit: Keyring.signatureLimit)) {
            try keyring.verifyDetached(signature: huge, signatureSource: "x.asc", fileDescriptor: 0)
        }
        let document = [UInt8](repeating: 0x41, count: Keyring.clearsignedLimit + 1)
        #expect(throws: VerifyError.tooLarge(source: "S", limit: Keyring.clearsignedLimit)) {
            try keyring.verifyClearsigned(document, source: "S")
        }
        let key = [UInt8](repeating: 0x41, count: Keyring.keyImportLimit + 1)
        #expect(throws: VerifyError.tooLarge(source: "k", limit: Keyring.keyImportLimit)) {
            try keyring.importKeys(key, source: "k")
        }
    }

    @Test func concurrentVerificationsFromFourThreadsAreAllGood() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        try bench.importPublic(alice)
        let signed = try (0..<4).map { index in
            let data = sampleData + [UInt8(index)]
            return (data: data, signature: try bench.fixture.sign(data, with: alice))
        }
        let keyring = bench.keyring
        let results = Locked<[Int: [SignatureCheck.Outcome]]>([:])
        let done = DispatchSemaphore(value: 0)
        for index in 0..<4 {
            Thread {
                defer { done.signal() }
                for _ in 0..<3 {
                    let (data, signature) = signed[index]
                    let outcomes = (try? keyring.verifyDetached(signature: signature, signatureSource: "\(index)", data: data))?
                        .map(\.outcome) ?? [.error]
                    results.withLock { $0[index, default: []] += outcomes }
                }
            }.start()
        }
        for _ in 0..<4 { done.wait() }
        let outcomes = results.withLock { $0 }
        #expect(outcomes.count == 4)
        #expect(outcomes.values.allSatisfy { $0 == [.good, .good, .good] })
    }
}

/// A value behind a lock, shared with plain threads.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
