internal import CGPGME
import PinModel

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One gpgme context, for one operation on one thread (gpgme contexts are not shareable), freed
/// in `deinit`. Every context is OpenPGP, offline and without key retrieval: no keyserver, WKD
/// or dirmngr lookup can happen whatever the GnuPG home's configuration says.
final class GPGContext {
    let handle: gpgme_ctx_t

    /// `homedir` nil: gpgme's default ($GNUPGHOME, else ~/.gnupg). `gpgPath` nil: gpgme's gpg.
    init(homedir: String?, gpgPath: String?) throws(VerifyError) {
        try OpenPGPEngine.requireLibrary()
        // gpgme does not check a path it is given (it records a made-up version for one that
        // does not run), so a missing or unusable gpg is caught here, before any operation.
        if let gpgPath {
            guard access(gpgPath, X_OK) == 0 else {
                throw .engineMissing(reason: "`\(gpgPath)`: " + Self.errnoText(errno))
            }
            guard Keyring.fileType(gpgPath) == S_IFREG else {
                throw .engineMissing(reason: "`\(gpgPath)` is not an executable file")
            }
        } else {
            let check = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)
            guard cgpgme_err_code(check) == GPG_ERR_NO_ERROR else {
                throw .engineMissing(reason: "gpgme found no gpg: " + OpenPGPEngine.errorText(check))
            }
        }
        var context: gpgme_ctx_t?
        let created = gpgme_new(&context)
        guard cgpgme_err_code(created) == GPG_ERR_NO_ERROR, let context else {
            throw .engineMissing(reason: "gpgme_new: " + OpenPGPEngine.errorText(created))
        }
        handle = context
        try check(gpgme_set_protocol(handle, GPGME_PROTOCOL_OpenPGP), "select OpenPGP")
        try check(gpgme_ctx_set_engine_info(handle, GPGME_PROTOCOL_OpenPGP, gpgPath, homedir), "set the engine")
        gpgme_set_offline(handle, 1)
        try check(gpgme_set_ctx_flag(handle, "auto-key-retrieve", "0"), "turn off key retrieval")
        try check(gpgme_set_keylist_mode(handle, gpgme_keylist_mode_t(GPGME_KEYLIST_MODE_LOCAL)), "list local keys")
    }

    deinit { gpgme_release(handle) }

    private func check(_ error: gpgme_error_t, _ operation: String) throws(VerifyError) {
        guard cgpgme_err_code(error) != GPG_ERR_NO_ERROR else { return }
        throw Self.engineError(error, operation)
    }

    /// An operation's failure: engine-missing when gpg itself could not run.
    static func engineError(_ error: gpgme_error_t, _ operation: String) -> VerifyError {
        switch cgpgme_err_code(error) {
        case GPG_ERR_INV_ENGINE, GPG_ERR_ENOENT, GPG_ERR_ENOEXEC, GPG_ERR_EACCES:
            .engineMissing(reason: operation + ": " + OpenPGPEngine.errorText(error))
        default:
            .engineFailed(operation: operation, detail: OpenPGPEngine.errorText(error))
        }
    }

    /// The key `pattern` names (a fingerprint, a key id, or a user id for signing), nil when
    /// there is none or the name is ambiguous. The caller owns the returned reference.
    func key(_ pattern: String, secret: Bool = false) -> OwnedKey? {
        var key: gpgme_key_t?
        let error = gpgme_get_key(handle, pattern, &key, secret ? 1 : 0)
        guard cgpgme_err_code(error) == GPG_ERR_NO_ERROR, let key else { return nil }
        return OwnedKey(key)
    }

    static func errnoText(_ code: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            // Swift sees the XSI strerror_r (it fills the buffer and returns 0).
            guard strerror_r(code, buffer.baseAddress!, buffer.count) == 0 else { return "errno \(code)" }
            return String(cString: buffer.baseAddress!)
        }
    }
}

/// A gpgme key reference, released in `deinit`.
final class OwnedKey {
    let handle: gpgme_key_t
    init(_ handle: gpgme_key_t) { self.handle = handle }
    deinit { gpgme_key_unref(handle) }

    var info: PublicKeyInfo? {
        let key = handle.pointee
        guard let primary = key.subkeys, let fpr = primary.pointee.fpr,
              let fingerprint = Fingerprint(gpg: String(cString: fpr))
        else { return nil }
        var userIDs: [String] = []
        var uid = key.uids
        while let current = uid {
            if let text = current.pointee.uid { userIDs.append(String(cString: text)) }
            uid = current.pointee.next
        }
        var subkeys: [Fingerprint] = []
        var subkey = primary.pointee.next
        while let current = subkey {
            if let fpr = current.pointee.fpr, let fingerprint = Fingerprint(gpg: String(cString: fpr)) {
                subkeys.append(fingerprint)
            }
            subkey = current.pointee.next
        }
        let created = Int64(primary.pointee.timestamp)
        let expires = Int64(primary.pointee.expires)
        return PublicKeyInfo(
            fingerprint: fingerprint, userIDs: userIDs, created: created > 0 ? created : nil,
            expires: expires > 0 ? expires : nil, revoked: key.revoked != 0, expired: key.expired != 0,
            subkeys: subkeys)
    }
}

/// A gpgme data object, released in `deinit`.
final class GPGData {
    let handle: gpgme_data_t

    private init(_ handle: gpgme_data_t) { self.handle = handle }
    deinit { gpgme_data_release(handle) }

    /// An empty buffer gpgme writes into.
    static func empty() throws(VerifyError) -> GPGData {
        var data: gpgme_data_t?
        let error = gpgme_data_new(&data)
        guard cgpgme_err_code(error) == GPG_ERR_NO_ERROR, let data else {
            throw GPGContext.engineError(error, "allocate a buffer")
        }
        return GPGData(data)
    }

    /// A copy of `bytes` (signatures and key files: small).
    static func copying(_ bytes: [UInt8]) throws(VerifyError) -> GPGData {
        if bytes.isEmpty { return try empty() }
        var data: gpgme_data_t?
        let error = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                gpgme_data_new_from_mem(&data, chars.baseAddress, chars.count, 1)
            }
        }
        guard cgpgme_err_code(error) == GPG_ERR_NO_ERROR, let data else {
            throw GPGContext.engineError(error, "allocate a buffer")
        }
        return GPGData(data)
    }

    /// Reads `fd` from its current offset as gpg consumes it: no copy. The caller keeps `fd` open.
    static func streaming(_ fd: Int32) throws(VerifyError) -> GPGData {
        var data: gpgme_data_t?
        let error = gpgme_data_new_from_fd(&data, fd)
        guard cgpgme_err_code(error) == GPG_ERR_NO_ERROR, let data else {
            throw GPGContext.engineError(error, "read file descriptor \(fd)")
        }
        return GPGData(data)
    }

    /// Everything written into the buffer.
    func contents() throws(VerifyError) -> [UInt8] {
        guard gpgme_data_seek(handle, 0, SEEK_SET) == 0 else {
            throw .engineFailed(operation: "read gpg's output", detail: GPGContext.errnoText(errno))
        }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { gpgme_data_read(handle, $0.baseAddress, $0.count) }
            if count == 0 { return result }
            guard count > 0 else {
                throw .engineFailed(operation: "read gpg's output", detail: GPGContext.errnoText(errno))
            }
            result.append(contentsOf: chunk[..<count])
        }
    }
}
