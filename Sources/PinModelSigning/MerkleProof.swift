import Crypto
import FoundationEssentials

/// RFC 6962 (RFC 9162 §2.1.3.2) inclusion proofs and Rekor checkpoints, for keyless bundles.
///
/// A small independent copy rather than PinAudit's: feature modules do not import one another,
/// and this one checks a foreign log's proofs, not modelpin's own audit log.
enum MerkleProof {
    static func leafHash(_ entry: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: [0] + entry)) }
    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: [1] + left + right)) }

    /// The root the audit path leads to from `leaf` at `index` in a tree of `size` leaves, or
    /// nil when the path has the wrong length for that position.
    static func root(leaf: [UInt8], index: Int64, size: Int64, path: [[UInt8]]) -> [UInt8]? {
        guard index >= 0, index < size else { return nil }
        var fn = index, sn = size - 1, hash = leaf
        for sibling in path {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                hash = nodeHash(sibling, hash)
                // A right-edge node with no right sibling at this level: climb until it has one.
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                hash = nodeHash(hash, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? hash : nil
    }
}

/// A Rekor checkpoint: a signed note (golang.org/x/mod/sumdb/note) whose text is
/// `ORIGIN\nSIZE\nBASE64(ROOT)\n[more lines\n]` and whose signatures follow a blank line as
/// `— NAME BASE64(KEYHINT[4] || DER ECDSA SIGNATURE)`.
struct Checkpoint {
    let text: [UInt8]
    let origin: String
    let treeSize: Int64
    let rootHash: [UInt8]
    let signatures: [(hint: [UInt8], signature: [UInt8])]

    /// Nil when the note is not shaped like a checkpoint.
    init?(_ note: String) {
        // The text ends at the first blank line; the signature lines follow it.
        let parts = note.split(separator: "\n\n", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let body = String(parts[0]) + "\n"
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard lines.count >= 3, let size = Int64(lines[1]), size >= 0,
              let root = Data(base64Encoded: String(lines[2])), root.count == 32 else { return nil }
        var signatures: [(hint: [UInt8], signature: [UInt8])] = []
        for line in parts[1].split(separator: "\n") {
            guard line.hasPrefix("\u{2014} ") else { return nil }
            guard let encoded = line.split(separator: " ").last, let bytes = Data(base64Encoded: String(encoded)), bytes.count > 4 else { return nil }
            signatures.append((Array(bytes.prefix(4)), Array(bytes.dropFirst(4))))
        }
        guard !signatures.isEmpty else { return nil }
        text = Array(body.utf8)
        origin = String(lines[0])
        treeSize = size
        rootHash = Array(root)
        self.signatures = signatures
    }

    /// Whether a signature whose key hint names `log` (the first 4 bytes of its key id, as
    /// Rekor writes it) verifies over the note's text with the log's key.
    func isSigned(by log: TransparencyLogKey) -> Bool {
        let hint = Array(log.keyID.prefix(4))
        return signatures.contains { $0.hint == hint && log.key.isValid(signature: $0.signature, for: text) }
    }
}
