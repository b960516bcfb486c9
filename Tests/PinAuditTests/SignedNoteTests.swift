import Foundation
@testable import PinAudit
import PinDigest
import Testing

/// Interoperability with golang.org/x/mod/sumdb/note: its published PeterNeumann key and note.
@Suite struct SignedNoteTests {
    static let verifierText = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let seed = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let note = text + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    /// The Go private key's seed as PKCS#8 PEM (RFC 8410: a fixed 16-byte prefix, then the seed).
    static func goKey() throws -> Ed25519PrivateKey {
        let seed = Array(Data(base64Encoded: Self.seed)!.dropFirst())
        let der: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + seed
        let pem = "-----BEGIN PRIVATE KEY-----\n\(Data(der).base64EncodedString())\n-----END PRIVATE KEY-----\n"
        return try Ed25519PrivateKey(pem: Array(pem.utf8))
    }

    @Test func signsGoNoteByteForByte() throws {
        let signer = try CheckpointSigner(name: "PeterNeumann", key: Self.goKey())
        #expect(signer.verifier.text == Self.verifierText)
        #expect(signer.sign(Self.text) == Self.note)
    }

    @Test func readsGoVerifierKeyAndNote() throws {
        let verifier = try NoteVerifierKey(parsing: Self.verifierText)
        #expect(verifier.name == "PeterNeumann")
        try SignedNoteText(parsing: Self.note, file: nil).checkSigned(by: verifier, what: "note")
        let edited = Self.note.replacingOccurrences(of: "cryptography", with: "cryptographY")
        #expect(throws: AuditError.self) { try SignedNoteText(parsing: edited, file: nil).checkSigned(by: verifier, what: "note") }
    }

    @Test(arguments: [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ApeterbadkeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
    ])
    func refusesBadVerifierKeys(_ text: String) {
        #expect(throws: AuditError.self) { try NoteVerifierKey(parsing: text) }
    }

    @Test func pemRoundTripAndSignatures() throws {
        let key = try Ed25519PrivateKey.generate()
        let again = try Ed25519PrivateKey(pem: key.pem())
        #expect(again.publicKey == key.publicKey)
        let signature = key.signature(for: Array("hello".utf8))
        #expect(key.publicKey.isValidSignature(signature, for: Array("hello".utf8)))
        #expect(!key.publicKey.isValidSignature(signature, for: Array("hellO".utf8)))
        #expect(throws: Ed25519Error.unreadablePrivateKey) { try Ed25519PrivateKey(pem: Array("not a key".utf8)) }
    }
}
