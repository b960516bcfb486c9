public import PinAudit
import PinStore
import SystemPackage

extension Workspace {
    /// The store's audit log (`<store>/audit/`), opened for appending: its signing key is
    /// `MODELPIN_AUDIT_KEY` when set, else the store's own `audit/key.pem`, made on first use.
    public func auditLog() throws -> AuditLog {
        let store = try openStore(.readWrite)
        let directory = store.root.appending("audit")
        let signer = try AuditKeys.signer(directory: directory, environment: configuration.environment)
        return try AuditLog(directory: directory, signer: signer)
    }
}
