import Foundation
import PinModel
import PinTestSupport
import PinVerify
import Testing

@Suite("SHA256SUMS")
struct ChecksumListTests {
    static let a = String(repeating: "a", count: 64)
    static let b = String(repeating: "0123456789abcdef", count: 4)
    static func digest(_ hex: String) -> SHA256Digest { try! SHA256Digest(parsing: "sha256:" + hex) }

    @Test func gnuAndBSDStyles() throws {
        let text = """
            # made by sha256sum
            \(Self.a)  model.safetensors
            \(Self.b.uppercased()) *./weights/part 1.bin

            SHA256 (config.json) = \(Self.b)
            SHA256 (odd) = name).txt) = \(Self.a)
            \\\(Self.a)  new\\nline\\\\back
            \(Self.a)  model.safetensors\r
            """
        let list = try ChecksumList.parse(Array(text.utf8), source: "SHA256SUMS")
        #expect(list.entries.map(\.path) == ["model.safetensors", "weights/part 1.bin", "config.json", "odd) = name).txt", "new\nline\\back"])
        #expect(list.digest(of: "model.safetensors") == Self.digest(Self.a))
        #expect(list.digest(of: "./weights/part 1.bin") == Self.digest(Self.b))
        #expect(list.digest(of: "config.json") == Self.digest(Self.b))
        #expect(list.digest(of: "missing") == nil)
        #expect(try ChecksumList.parse([], source: "empty") == ChecksumList(entries: []))
    }

    @Test(arguments: [
        ("zz\(String(repeating: "a", count: 62))  f", "is not hex"),
        ("\(String(repeating: "a", count: 63))  f", "63 hex digits"),
        ("\(String(repeating: "a", count: 65))  f", "65 hex digits"),
        ("\(String(repeating: "a", count: 64))", "no path"),
        ("\(String(repeating: "a", count: 64))  ", "no path"),
        ("\(String(repeating: "a", count: 64))  ./", "no path"),
        ("\(String(repeating: "a", count: 64)) f", "two spaces"),
        ("\(String(repeating: "a", count: 64))\tf", "expected"),
        ("SHA256 (f) \(String(repeating: "a", count: 64))", "expected `SHA256 (<path>) = <checksum>`"),
        ("SHA256 () = \(String(repeating: "a", count: 64))", "no path"),
        ("SHA256 (f) = abc", "3 hex digits"),
        ("MD5 (f) = \(String(repeating: "a", count: 32))", "is not hex"),
        ("\(String(repeating: "b", count: 64))  model.safetensors", "listed again with a different checksum (line 2)"),
    ])
    func malformedLinesNameSourceAndLine(line: String, expected: String) {
        // Line 3: after a comment and a good line for model.safetensors.
        let text = "# sums\n\(Self.a)  model.safetensors\n\(line)\n\(Self.a)  last\n"
        let error = #expect(throws: VerifyError.self) { try ChecksumList.parse(Array(text.utf8), source: "acme/x: SHA256SUMS") }
        guard case .malformedChecksumList(let source, let number, let detail) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(source == "acme/x: SHA256SUMS")
        #expect(number == 3)
        #expect(detail.contains(expected), "\(detail)")
        #expect(error?.description.hasPrefix("acme/x: SHA256SUMS:3: ") == true)
        #expect(error?.kind == .refused)
    }

    @Test func sameDigestTwiceIsListedOnce() throws {
        let text = "\(Self.a)  f\n\(Self.a) *./f\n"
        #expect(try ChecksumList.parse(Array(text.utf8), source: "S").entries == [.init(path: "f", digest: Self.digest(Self.a))])
    }

    @Test func invalidUTF8AndOversizeAreRefused() {
        let bad = Array("\(Self.a)  ".utf8) + [0xFF, 0xFE] + Array("\n".utf8)
        #expect(throws: VerifyError.malformedChecksumList(source: "S", line: 1, detail: "not valid UTF-8")) {
            try ChecksumList.parse(bad, source: "S")
        }
        let huge = [UInt8](repeating: UInt8(ascii: "#"), count: ChecksumList.sizeLimit + 1)
        #expect(throws: VerifyError.tooLarge(source: "S", limit: ChecksumList.sizeLimit)) { try ChecksumList.parse(huge, source: "S") }
    }

    @Test func signedChecksumListEndToEnd() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        try bench.importPublic(alice)
        let sums = Array("\(Self.a)  model.safetensors\n\(Self.b)  config.json\n".utf8)
        let document = try bench.fixture.sign(sums, with: alice, style: .clearsigned)
        let (text, checks) = try bench.keyring.verifyClearsigned(document, source: "acme/x: SHA256SUMS.asc")
        #expect(try bench.policy(alice).decide(checks, document: "acme/x: SHA256SUMS.asc") == .accepted(signer: fingerprint(alice), userID: alice.userID))
        let list = try ChecksumList.parse(text, source: "acme/x: SHA256SUMS.asc")
        #expect(list.digest(of: "config.json") == Self.digest(Self.b))
    }
}

@Suite("signing")
struct SignerTests {
    @Test func signDetachedWithAFixtureHomeVerifiesInTheKeyring() throws {
        let bench = try Bench()
        let alice = try bench.fixture.generateKey(name: "Alice")
        let bob = try bench.fixture.generateKey(name: "Bob")
        try bench.importPublic(alice)
        try bench.importPublic(bob)
        let lock = Array("version = 1\n".utf8)

        let byFingerprint = try Signer.signDetached(lock, key: alice.fingerprint, home: bench.fixture.home)
        #expect(byFingerprint.starts(with: Array("-----BEGIN PGP SIGNATURE-----".utf8)))
        let checks = try bench.keyring.verifyDetached(signature: byFingerprint, signatureSource: "modelpin.lock.asc", data: lock)
        #expect(checks.map(\.outcome) == [.good])
        #expect(checks.first?.primary == (try fingerprint(alice)))

        let byUserID = try Signer.signDetached(lock, key: bob.userID, home: bench.fixture.home)
        #expect(try bench.keyring.verifyDetached(signature: byUserID, signatureSource: "s", data: lock).first?.primary == (try fingerprint(bob)))

        // No key named: gpg's default (the first secret key).
        let byDefault = try Signer.signDetached(lock, key: nil, home: bench.fixture.home)
        #expect(try bench.keyring.verifyDetached(signature: byDefault, signatureSource: "s", data: lock).map(\.outcome) == [.good])
    }

    @Test func noSecretKeyIsAnError() throws {
        let bench = try Bench()
        let missing = String(repeating: "D", count: 40)
        let error = #expect(throws: VerifyError.self) { try Signer.signDetached([1, 2, 3], key: missing, home: bench.fixture.home) }
        guard case .noSecretKey(let key, _) = error else { Issue.record("unexpected \(String(describing: error))"); return }
        #expect(key == missing)
        // A home with no secret key at all: the default key is missing too.
        let empty = #expect(throws: VerifyError.self) { try Signer.signDetached([1, 2, 3], key: nil, home: bench.keyringDirectory) }
        #expect(empty != nil)
        // A public key alone (in the keyring) cannot sign.
        let alice = try bench.fixture.generateKey(name: "Alice")
        try bench.importPublic(alice)
        let publicOnly = #expect(throws: VerifyError.self) {
            try Signer.signDetached([1, 2, 3], key: alice.fingerprint, home: bench.keyringDirectory)
        }
        guard case .noSecretKey = publicOnly else { Issue.record("unexpected \(String(describing: publicOnly))"); return }
    }
}
