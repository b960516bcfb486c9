import FoundationEssentials

/// One Rekor entry of a keyless bundle (`verificationMaterial.tlogEntries[]`), decoded but not
/// yet trusted: its promise (SET) and proof are checked against a trust root's log keys.
public struct TransparencyLogEntry: Sendable, Equatable {
    public let logIndex: Int64
    /// `logId.keyId`: which log (the SHA-256 of its key) made the entry.
    public let logID: [UInt8]
    /// `kindVersion.kind`: `dsse` or `intoto`.
    public let kind: String
    public let kindVersion: String
    /// Seconds since the epoch at which the log says it integrated the entry.
    public let integratedTime: Int64
    /// The log's signature over the entry (`inclusionPromise.signedEntryTimestamp`).
    let signedEntryTimestamp: [UInt8]?
    let inclusionProof: InclusionProof?
    /// `canonicalizedBody` as written (base64: the SET covers this text) and decoded.
    let bodyBase64: String
    let body: [UInt8]
}

/// An RFC 6962 audit path from the entry's leaf to a signed tree head.
struct InclusionProof: Sendable, Equatable {
    let logIndex: Int64
    let rootHash: [UInt8]
    let treeSize: Int64
    let hashes: [[UInt8]]
    /// The checkpoint (a signed note) whose root hash and size the proof must match.
    let checkpoint: String
}

/// The JSON of a tlog entry (protobuf-specs' `TransparencyLogEntry`); int64s are strings there.
struct TransparencyLogEntryJSON: Codable {
    struct LogID: Codable { var keyId: String? }
    struct KindVersion: Codable { var kind: String?; var version: String? }
    struct Promise: Codable { var signedEntryTimestamp: String? }
    struct Checkpoint: Codable { var envelope: String? }
    struct Proof: Codable {
        var logIndex: String?
        var rootHash: String?
        var treeSize: String?
        var hashes: [String]?
        var checkpoint: Checkpoint?
    }
    var logIndex: String?
    var logId: LogID?
    var kindVersion: KindVersion?
    var integratedTime: String?
    var inclusionPromise: Promise?
    var inclusionProof: Proof?
    var canonicalizedBody: String?
}

struct TransparencyLogEntryReader {
    let file: String

    func read(_ json: TransparencyLogEntryJSON, field: String) throws(ModelSigningError) -> TransparencyLogEntry {
        let kind = try required(json.kindVersion?.kind, "\(field).kindVersion.kind")
        let version = try required(json.kindVersion?.version, "\(field).kindVersion.version")
        let bodyText = try required(json.canonicalizedBody, "\(field).canonicalizedBody")
        let proof = try json.inclusionProof.map { proof throws(ModelSigningError) in try readProof(proof, "\(field).inclusionProof") }
        let set = try json.inclusionPromise.map { promise throws(ModelSigningError) in
            try base64(try required(promise.signedEntryTimestamp, "\(field).inclusionPromise.signedEntryTimestamp"),
                       "\(field).inclusionPromise.signedEntryTimestamp")
        }
        return TransparencyLogEntry(
            logIndex: try integer(json.logIndex, "\(field).logIndex"),
            logID: try base64(try required(json.logId?.keyId, "\(field).logId.keyId"), "\(field).logId.keyId"),
            kind: kind, kindVersion: version,
            integratedTime: try integer(json.integratedTime, "\(field).integratedTime"),
            signedEntryTimestamp: set, inclusionProof: proof,
            bodyBase64: bodyText, body: try base64(bodyText, "\(field).canonicalizedBody"))
    }

    private func readProof(_ json: TransparencyLogEntryJSON.Proof, _ field: String) throws(ModelSigningError) -> InclusionProof {
        var hashes: [[UInt8]] = []
        for (index, text) in (try required(json.hashes, "\(field).hashes")).enumerated() {
            hashes.append(try hash(text, "\(field).hashes[\(index)]"))
        }
        return InclusionProof(
            logIndex: try integer(json.logIndex, "\(field).logIndex"),
            rootHash: try hash(try required(json.rootHash, "\(field).rootHash"), "\(field).rootHash"),
            treeSize: try integer(json.treeSize, "\(field).treeSize"),
            hashes: hashes,
            checkpoint: try required(json.checkpoint?.envelope, "\(field).checkpoint.envelope"))
    }

    private func hash(_ text: String, _ field: String) throws(ModelSigningError) -> [UInt8] {
        let bytes = try base64(text, field)
        guard bytes.count == 32 else { throw fail(.malformed(field: field, problem: "not a SHA-256 (\(bytes.count) bytes)")) }
        return bytes
    }

    /// protobuf's JSON writes int64 as a decimal string; a non-negative one is all a log uses.
    private func integer(_ text: String?, _ field: String) throws(ModelSigningError) -> Int64 {
        let text = try required(text, field)
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let value = Int64(text) else { throw fail(.malformed(field: field, problem: "not a non-negative integer")) }
        return value
    }

    private func required<T>(_ value: T?, _ field: String) throws(ModelSigningError) -> T {
        guard let value else { throw fail(.malformed(field: field, problem: "missing")) }
        return value
    }

    private func base64(_ text: String, _ field: String) throws(ModelSigningError) -> [UInt8] {
        guard let bytes = Data(base64Encoded: text) else { throw fail(.malformed(field: field, problem: "not base64")) }
        return Array(bytes)
    }

    private func fail(_ reason: ModelSigningError.Reason) -> ModelSigningError { ModelSigningError(file: file, reason: reason) }
}
