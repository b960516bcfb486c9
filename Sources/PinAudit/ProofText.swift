import PinDigest
public import SystemPackage

extension InclusionProof {
    static let header = "c2sp.org/tlog-proof@v1"

    /// The C2SP tlog-proof form (https://c2sp.org/tlog-proof): the header line, `index N`, the
    /// inclusion path in base64 (one hash per line, bottom-up), a blank line, the checkpoint.
    public var text: String {
        var text = "\(Self.header)\nindex \(index)\n"
        for hash in hashes { text += Base64.encode(hash) + "\n" }
        return text + "\n" + checkpoint.text
    }

    /// Reads a proof, checking its checkpoint's signature by `verifier`. An `extra` line is
    /// accepted and ignored (opaque application data in the format).
    public init(parsing text: String, verifier: NoteVerifierKey, file: FilePath? = nil) throws(AuditError) {
        func bad(_ line: Int, _ reason: String) -> AuditError { .malformed(what: "proof", file: file, line: line, reason: reason) }
        guard text.utf8.count <= SignedNoteText.limit * 2 else { throw bad(1, "too long for a proof") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard lines.popFirst() == Substring(Self.header) else { throw bad(1, "the first line must be `\(Self.header)`") }
        var number = 2
        if let line = lines.first, line.hasPrefix("extra ") {
            guard Base64.decode(line.dropFirst(6)) != nil else { throw bad(number, "`extra` is not base64") }
            lines.removeFirst()
            number += 1
        }
        guard let indexLine = lines.popFirst(), indexLine.hasPrefix("index "),
              let index = Int(indexLine.dropFirst(6)), index >= 0, String(index) == indexLine.dropFirst(6)
        else { throw bad(number, "expected `index N` (a decimal number without leading zeros)") }
        var hashes: [[UInt8]] = []
        while let line = lines.popFirst(), !line.isEmpty {
            number += 1
            guard let hash = Base64.decode(line), hash.count == 32 else { throw bad(number, "not base64 of a 32-byte hash") }
            hashes.append(hash)
            guard hashes.count <= 64 else { throw bad(number, "more hashes than any tree of 2^63 entries needs") }
        }
        let checkpoint = try Checkpoint(parsing: lines.joined(separator: "\n"), verifier: verifier, file: file)
        guard index < checkpoint.size else { throw bad(2, "index \(index) is beyond the checkpoint's \(checkpoint.size) entries") }
        self.init(index: index, hashes: hashes, checkpoint: checkpoint)
    }

    /// The path's hashes in base64, bottom-up.
    public var base64Hashes: [String] { hashes.map(Base64.encode) }

    /// Whether `entry` (the entry's line without its newline) is at `index` in the
    /// checkpoint's tree: all someone holding the proof and the entry needs.
    public func proves(entry: [UInt8]) -> Bool {
        MerkleVerifier.rootFromInclusion(index: index, size: checkpoint.size, leafHash: MerkleVerifier.leafHash(entry), path: hashes)
            == checkpoint.rootHash
    }
}

extension ConsistencyProof {
    /// A documented JSON form (no C2SP format exists for consistency proofs):
    /// `{"hashes":[base64…],"new":{"checkpoint":TEXT,"size":N},"old":{"root":base64,"size":M}}`.
    public var json: CanonicalJSON {
        .object([
            "old": .object(["size": .integer(Int64(oldSize)), "root": .string(Base64.encode(oldRoot))]),
            "new": .object(["size": .integer(Int64(checkpoint.size)), "checkpoint": .string(checkpoint.text)]),
            "hashes": .array(hashes.map { .string(Base64.encode($0)) }),
        ])
    }
}
