import PinLock
import PinDigest
import PinModel
import PinVerify
import SystemPackage

/// Who signed modelpin.lock, as `--require-signed-lock` accepted it.
public struct LockSignature: Sendable, Equatable {
    /// The signer's full fingerprint.
    public let signer: String
    public let userID: String?
}

extension Workspace {
    /// `--require-signed-lock`: modelpin.lock.asc must be a good signature over the lock's exact
    /// bytes by one of the lock signers the user pinned outside the repository (`LockSigners`),
    /// whose public key is in modelpin's keyring (a usable one: not expired, not revoked). Being
    /// in the keyring is not enough: a model publisher's key is there too.
    public func checkLockSignature(of project: Project) throws -> LockSignature {
        guard let (_, text) = try Project.readLockfile(project.lockPath) else { throw ProjectError.lockMissing(project.lockPath) }
        let signaturePath = FilePath(project.lockPath.string + ".asc")
        guard (try? Stat(signaturePath)) != nil else { throw ProjectError.lockUnsigned(project.lockPath) }
        let (signers, source) = try LockSigners.load(configuration.environment)
        guard !signers.isEmpty else { throw ProjectError.noLockSigners(source: source) }
        let pinned = Set(signers)
        let signature = try ConfigFile.read(signaturePath, what: "lock signature", limit: 64 << 10)
        let keyring = try Keyring(directory: keyringDirectory(), create: false, gpgPath: configuration.gpgPath)
        let checks = try keyring.verifyDetached(signature: signature, signatureSource: signaturePath.string, data: Array(text.utf8))
        switch SignaturePolicy(pinned: pinned).decide(checks, document: signaturePath.string) {
        case .accepted(let signer, let userID):
            return LockSignature(signer: signer.hex, userID: userID)
        case .refused(let refusal):
            throw refusal
        }
    }
}
