public import PinAudit
import SystemPackage

/// `audit verify`: what was checked.
public struct AuditVerifyResult: Sendable, Encodable {
    public let entries: Int
    /// Base64, as in the checkpoint.
    public let rootHash: String
    public let checkpointSize: Int
    public let checkpointFile: String
    public let tornFiles: [String]
}

/// `audit prove N`.
public struct AuditProofResult: Sendable, Encodable {
    public let index: Int
    public let treeSize: Int
    /// Base64, bottom-up.
    public let hashes: [String]
    /// The C2SP tlog-proof text.
    public let proof: String
}

/// `audit consistency OLD`.
public struct AuditConsistencyResult: Sendable, Encodable {
    public let oldSize: Int
    public let newSize: Int
    public let proof: CanonicalJSON
}

extension Workspace {
    /// Recomputes the log and checks it against its latest checkpoint, or the one in
    /// `checkpointFile` (which must be signed by the log's key).
    public func auditVerify(checkpointFile: String?) throws -> AuditVerifyResult {
        let log = try auditLog()
        let given = try checkpointFile.map { try readCheckpoint($0, log) }
        let result = try log.verify(against: given)
        return AuditVerifyResult(
            entries: result.size, rootHash: result.rootBase64,
            checkpointSize: result.checkpoint.size, checkpointFile: checkpointFile ?? log.directory.appending("checkpoint").string,
            tornFiles: result.tornFiles.map(\.string))
    }

    public func auditProve(index: Int) throws -> AuditProofResult {
        let proof = try auditLog().inclusionProof(index: index)
        return AuditProofResult(
            index: proof.index, treeSize: proof.checkpoint.size, hashes: proof.base64Hashes, proof: proof.text)
    }

    public func auditConsistency(oldCheckpointFile: String) throws -> AuditConsistencyResult {
        let log = try auditLog()
        let old = try readCheckpoint(oldCheckpointFile, log)
        let proof = try log.consistencyProof(from: old)
        return AuditConsistencyResult(oldSize: old.size, newSize: proof.checkpoint.size, proof: proof.json)
    }

    private func readCheckpoint(_ file: String, _ log: AuditLog) throws -> Checkpoint {
        let path = FilePath(file)
        let bytes = try ConfigFile.read(path, what: "checkpoint", limit: 1 << 16)
        return try Checkpoint(parsing: String(decoding: bytes, as: UTF8.self), verifier: log.verifier, file: path)
    }
}
