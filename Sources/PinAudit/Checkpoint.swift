import PinDigest
public import SystemPackage

/// A signed tree head in the C2SP tlog-checkpoint form (https://c2sp.org/tlog-checkpoint):
/// a signed note whose text is the log's origin, its size in entries and the base64 Merkle root.
///
/// ```
/// modelpin-audit/build-host/3f9a01c2
/// 1042
/// 3hJ0n6e3ad1cC+kDF4dLPkS7fK6yqQ8Vc0x0f1Yc0Aw=
///
/// — modelpin-audit/build-host/3f9a01c2 q2Rx…==
/// ```
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let size: Int
    public let rootHash: [UInt8]
    /// The whole signed note, as written to `audit/checkpoint`.
    public let text: String

    /// The note text the signature covers.
    static func body(origin: String, size: Int, rootHash: [UInt8]) -> String {
        "\(origin)\n\(size)\n\(Base64.encode(rootHash))\n"
    }

    /// A new checkpoint signed by `signer`, whose name is the origin.
    static func signed(size: Int, rootHash: [UInt8], by signer: CheckpointSigner) -> Checkpoint {
        let body = body(origin: signer.name, size: size, rootHash: rootHash)
        return Checkpoint(origin: signer.name, size: size, rootHash: rootHash, text: signer.sign(body))
    }

    init(origin: String, size: Int, rootHash: [UInt8], text: String) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.text = text
    }

    /// Reads a checkpoint and checks it carries a valid signature by `verifier`, whose name must
    /// also be the origin. `file` names where the text came from, for errors.
    public init(parsing text: String, verifier: NoteVerifierKey, file: FilePath? = nil) throws(AuditError) {
        let note = try SignedNoteText(parsing: text, file: file)
        let lines = note.body.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        func bad(_ line: Int, _ reason: String) -> AuditError { .malformed(what: "checkpoint", file: file, line: line, reason: reason) }
        guard lines.count >= 3 else { throw bad(1, "a checkpoint has an origin, a size and a root hash line") }
        let origin = String(lines[0])
        let sizeText = lines[1]
        guard let size = Int(sizeText), size >= 0, String(size) == sizeText else {
            throw bad(2, "the tree size `\(sizeText)` is not a decimal number without leading zeros")
        }
        guard let root = Base64.decode(lines[2]), root.count == 32 else {
            throw bad(3, "the root hash is not base64 of 32 bytes")
        }
        try note.checkSigned(by: verifier, what: "checkpoint\(file.map { " \($0)" } ?? "")")
        guard origin == verifier.name else {
            throw .signature(what: "checkpoint", reason: "its origin `\(origin)` is not this log's (`\(verifier.name)`)")
        }
        self.init(origin: origin, size: size, rootHash: root, text: text)
    }
}

/// A signed note split into its text and signature lines (nothing checked yet but the shape).
struct SignedNoteText {
    let body: String
    /// (key name, base64-decoded key ID ‖ signature) per line.
    let signatures: [(name: String, bytes: [UInt8])]

    static let prefix = "\u{2014} "
    /// A note is small: anything longer is refused before it is split.
    static let limit = 1 << 16

    init(parsing text: String, file: FilePath?) throws(AuditError) {
        func bad(_ reason: String) -> AuditError { .malformed(what: "signed note", file: file, line: nil, reason: reason) }
        guard text.utf8.count <= Self.limit else { throw bad("longer than \(Self.limit) bytes") }
        guard text.hasSuffix("\n") else { throw bad("does not end with a newline") }
        // The text ends at the first blank line (a note's text has no blank line of its own).
        let bytes = Array(text.utf8)
        guard let blank = bytes.indices.dropLast().first(where: { bytes[$0] == 0x0A && bytes[$0 + 1] == 0x0A }) else {
            throw bad("no blank line between the text and the signatures")
        }
        body = String(decoding: bytes[...blank], as: UTF8.self)
        var signatures: [(String, [UInt8])] = []
        for line in String(decoding: bytes[(blank + 2)...], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            guard line.hasPrefix(Self.prefix) else { throw bad("a signature line must start with `— `") }
            let fields = line.dropFirst(Self.prefix.count).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, let bytes = Base64.decode(fields[1]), bytes.count >= 5 else {
                throw bad("a signature line is `— <name> <base64 signature>`")
            }
            signatures.append((String(fields[0]), bytes))
        }
        guard !signatures.isEmpty else { throw bad("no signature lines") }
        self.signatures = signatures
    }

    /// Throws unless some line is a valid Ed25519 signature by `verifier` (other keys' lines,
    /// a witness's cosignature for example, are allowed and ignored).
    func checkSigned(by verifier: NoteVerifierKey, what: String) throws(AuditError) {
        let keyID = verifier.keyID
        let message = Array(body.utf8)
        for (name, bytes) in signatures where name == verifier.name && Array(bytes.prefix(4)) == keyID {
            if verifier.publicKey.isValidSignature(Array(bytes.dropFirst(4)), for: message) { return }
            throw .signature(what: what, reason: "the signature by `\(verifier.name)` does not match the text: it was changed after signing")
        }
        let names = signatures.map { "`\($0.name)`" }.joined(separator: ", ")
        throw .signature(what: what, reason: "it is signed by \(names), not by this log's key `\(verifier.text)`")
    }
}
