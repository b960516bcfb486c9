internal import CGPGME

/// Signing with the user's own GnuPG, where their secret keys live (`modelpin sign` signs
/// modelpin.lock this way). Unlike `Keyring`, this home may need gpg-agent: it holds the
/// secret keys and asks for their passphrases.
public enum Signer {
    /// An armoured detached signature over `data`.
    ///
    /// - Parameters:
    ///   - key: a fingerprint or user id naming the secret key to sign with; nil: gpg's default key.
    ///   - home: the GnuPG home; nil: $GNUPGHOME, else ~/.gnupg.
    ///   - gpgPath: the gpg executable; nil: gpgme's default.
    public static func signDetached(_ data: [UInt8], key: String?, home: String?, gpgPath: String? = nil)
        throws(VerifyError) -> [UInt8]
    {
        let context = try GPGContext(homedir: home, gpgPath: gpgPath)
        gpgme_set_armor(context.handle, 1)
        if let key {
            var found: gpgme_key_t?
            let error = gpgme_get_key(context.handle, key, &found, 1)
            switch cgpgme_err_code(error) {
            case GPG_ERR_NO_ERROR: break
            case GPG_ERR_EOF: throw .noSecretKey(key: key, detail: "gpg has no secret key matching it")
            case GPG_ERR_AMBIGUOUS_NAME:
                throw .noSecretKey(key: key, detail: "it matches several secret keys; name one by its fingerprint")
            default: throw .noSecretKey(key: key, detail: OpenPGPEngine.errorText(error))
            }
            guard let found else { throw .noSecretKey(key: key, detail: "gpg has no secret key matching it") }
            let owned = OwnedKey(found)  // the signer list takes its own reference
            let added = gpgme_signers_add(context.handle, owned.handle)
            guard cgpgme_err_code(added) == GPG_ERR_NO_ERROR else {
                throw .signingFailed(detail: OpenPGPEngine.errorText(added))
            }
        }
        let plain = try GPGData.copying(data)
        let signature = try GPGData.empty()
        let error = gpgme_op_sign(context.handle, plain.handle, signature.handle, GPGME_SIG_MODE_DETACH)
        if let invalid = gpgme_op_sign_result(context.handle)?.pointee.invalid_signers {
            let reason = OpenPGPEngine.errorText(invalid.pointee.reason)
            throw .noSecretKey(key: key ?? invalid.pointee.fpr.map { String(cString: $0) }, detail: reason)
        }
        switch cgpgme_err_code(error) {
        case GPG_ERR_NO_ERROR: break
        case GPG_ERR_NO_SECKEY, GPG_ERR_UNUSABLE_SECKEY:
            throw .noSecretKey(key: key, detail: OpenPGPEngine.errorText(error))
        case GPG_ERR_INV_ENGINE, GPG_ERR_ENOENT, GPG_ERR_ENOEXEC, GPG_ERR_EACCES:
            throw GPGContext.engineError(error, "sign")
        default:
            throw .signingFailed(detail: OpenPGPEngine.errorText(error))
        }
        let bytes = try signature.contents()
        guard !bytes.isEmpty else { throw .signingFailed(detail: "gpg produced no signature") }
        return bytes
    }
}
