public import PinDigest

// C2SP signed notes (https://c2sp.org/signed-note), Ed25519 only:
//
//     <text, every line ending in \n>
//     \n
//     — <key name> <base64(key ID ‖ signature)>\n
//
// The key ID is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key) (0x01: the
// Ed25519 algorithm byte), and the signature is over the text alone, its final newline
// included. A verifier key is written `name+<key ID, 8 hex>+base64(0x01 ‖ public key)`,
// the form Go's golang.org/x/mod/sumdb/note reads, so other tools can check this log.

/// Signs the log's checkpoints: a key name (which is also the log's origin) and an Ed25519 key.
public struct CheckpointSigner: Sendable {
    public let name: String
    public let key: Ed25519PrivateKey

    public init(name: String, key: Ed25519PrivateKey) throws(AuditError) {
        guard NoteVerifierKey.isValidName(name) else {
            throw .malformed(what: "audit key name", file: nil, line: nil, reason: "`\(name)`: a key name is non-empty, has no spaces, no `+` and no control characters")
        }
        self.name = name
        self.key = key
    }

    public var verifier: NoteVerifierKey {
        NoteVerifierKey(name: name, publicKey: key.publicKey)
    }

    /// `text` signed: the note with one signature line.
    func sign(_ text: String) -> String {
        let signature = verifier.keyID + key.signature(for: Array(text.utf8))
        return text + "\n\u{2014} \(name) \(Base64.encode(signature))\n"
    }
}

/// A note signer's public half: its name, key ID and Ed25519 public key.
public struct NoteVerifierKey: Sendable, Equatable {
    public let name: String
    public let publicKey: Ed25519PublicKey

    static let ed25519: UInt8 = 0x01

    public init(name: String, publicKey: Ed25519PublicKey) {
        self.name = name
        self.publicKey = publicKey
    }

    /// SHA-256(name ‖ \n ‖ 0x01 ‖ key)[:4].
    public var keyID: [UInt8] {
        Array(ShortHashes().hash(Array(name.utf8) + [0x0A, Self.ed25519] + publicKey.rawRepresentation).prefix(4))
    }

    /// `name+hex8+base64(0x01 ‖ key)`.
    public var text: String {
        let hex = keyID.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        return "\(name)+\(hex)+\(Base64.encode([Self.ed25519] + publicKey.rawRepresentation))"
    }

    /// Reads a verifier key written as `text` gives it.
    public init(parsing text: String) throws(AuditError) {
        func bad(_ reason: String) -> AuditError { .malformed(what: "verifier key", file: nil, line: nil, reason: reason) }
        let parts = text.split(separator: "+", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw bad("expected name+keyid+key") }
        let name = String(parts[0])
        guard Self.isValidName(name) else { throw bad("the key name `\(name)` is not valid") }
        guard let key = Base64.decode(parts[2]), key.count == 33, key[0] == Self.ed25519 else {
            throw bad("the key is not base64 of an Ed25519 key (0x01 and 32 bytes)")
        }
        let publicKey: Ed25519PublicKey
        do {
            publicKey = try Ed25519PublicKey(rawRepresentation: Array(key.dropFirst()))
        } catch {
            throw bad("not an Ed25519 public key")
        }
        self.init(name: name, publicKey: publicKey)
        guard parts[1].count == 8, text == self.text else { throw bad("the key ID does not match the name and key") }
    }

    /// signed-note: a key name is non-empty UTF-8 without spaces, `+` or control characters.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == " " || $0 == "+" || $0.value < 0x20 || $0.value == 0x7F || $0 == "\u{2014}" }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
