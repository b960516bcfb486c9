import PinAudit
import PinLock
import PinStore
import PinVerify
public import SystemPackage

extension Workspace {
    /// `sign`: `LockSigning.sign`, recorded in the store's audit log (which lock, with which
    /// key, where the signature went).
    public func signLock(_ project: Project, key: String?, gnupgHome: String?) throws -> FilePath {
        try audited("sign", project: project) { workspace in
            workspace.audit?.operation("key", .string(key ?? "gpg's default key"))
            let path = try LockSigning.sign(project, key: key, gnupgHome: gnupgHome, gpgPath: workspace.configuration.gpgPath)
            workspace.noteLock(at: project.lockPath)
            workspace.audit?.operation("signature", .string(path.string))
            return path
        }
    }
}

/// `sign`: how a security team approves a lock. Signing uses the user's own GnuPG (where the
/// secret key is), never modelpin's keyring; the store holds only the audit log's entry.
public enum LockSigning {
    /// Signs `project`'s lock with `key` (gpg's default key when nil) from the GnuPG home
    /// `gnupgHome` (`$GNUPGHOME`, else ~/.gnupg, when nil), and writes `modelpin.lock.asc`
    /// atomically beside it. Returns the signature's path.
    public static func sign(_ project: Project, key: String?, gnupgHome: String?, gpgPath: String?) throws -> FilePath {
        guard let (_, text) = try Project.readLockfile(project.lockPath) else { throw ProjectError.lockMissing(project.lockPath) }
        let signature = try Signer.signDetached(Array(text.utf8), key: key, home: gnupgHome, gpgPath: gpgPath)
        let path = FilePath(project.lockPath.string + ".asc")
        do {
            try AtomicFile.write(signature, to: path)
        } catch {
            throw ProjectError.unwritable(path, error)
        }
        return path
    }
}
