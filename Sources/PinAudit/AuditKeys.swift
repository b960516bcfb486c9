public import SystemPackage

/// Where the log's signing key comes from.
public enum AuditKeys {
    /// Names an operator's own key file (unencrypted PKCS#8 PEM, Ed25519).
    public static let variable = "MODELPIN_AUDIT_KEY"

    /// The signer for the log under `directory`: the key `MODELPIN_AUDIT_KEY` names, else
    /// `directory/key.pem`, generated on first use; named by `directory/origin`.
    public static func signer(directory: FilePath, environment: [String: String]) throws(AuditError) -> CheckpointSigner {
        throw .outOfRange("unfinished")
    }
}
