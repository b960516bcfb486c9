internal import CGPGME
public import PinModel

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// modelpin's own GnuPG home: an isolated directory (mode 0700) holding only the public keys the
/// user imported on purpose; never ~/.gnupg.
///
/// Its gpg.conf has `no-autostart`, so no gpg-agent is ever started (verifying and importing
/// public keys need none, and an agent would outlive modelpin). Every operation runs in its own
/// gpgme context, offline and with auto-key-retrieve off (no keyserver, WKD or dirmngr), so a
/// `Keyring` can be used from several threads at once; gpg serialises on the keyring's locks.
public final class Keyring: Sendable {
    public let directory: String
    let gpgPath: String?

    /// Largest key file `importKeys` accepts.
    public static let keyImportLimit = 1 << 20
    /// Largest detached signature accepted (a signature is a few hundred bytes).
    public static let signatureLimit = 1 << 20
    /// Largest clearsigned document accepted (the same bound as a checksum list).
    public static let clearsignedLimit = ChecksumList.sizeLimit

    static let configuration = """
        # modelpin's keyring: public keys imported on purpose, used only to check signatures.
        # Neither needs a gpg-agent, so none is ever started for this directory.
        no-autostart

        """

    /// `create`: make the directory (0700, parents as needed) and its gpg.conf when missing, and
    /// tighten an existing directory to 0700. Without `create` a missing directory is an empty
    /// keyring: `list` gives [], verification reports unknown keys, `importKeys` throws.
    /// `gpgPath`: the gpg executable (nil: gpgme's default); a path that does not run makes
    /// every operation throw `.engineMissing`.
    public init(directory: String, create: Bool, gpgPath: String? = nil) throws(VerifyError) {
        self.directory = directory
        self.gpgPath = gpgPath
        if create {
            try Self.makeDirectory(directory)
            try Self.writeConfiguration(in: directory)
        } else if let kind = Self.fileType(directory), kind != S_IFDIR {
            throw .keyringDirectory(path: directory, detail: "it is not a directory")
        }
    }

    // MARK: Keys

    /// Imports public keys (armoured or binary) and returns the keys imported or already present.
    ///
    /// Refused before gpg sees them: input over 1 MiB, secret-key material (an armoured PRIVATE
    /// KEY BLOCK, or a secret-key or secret-subkey packet anywhere), and input that is not
    /// OpenPGP key packets. `source` names the input in errors (a path, "standard input").
    public func importKeys(_ bytes: [UInt8], source: String) throws(VerifyError) -> [PublicKeyInfo] {
        guard bytes.count <= Self.keyImportLimit else { throw .tooLarge(source: source, limit: Self.keyImportLimit) }
        switch KeyMaterial.inspect(bytes) {
        case .secret: throw .secretKeyRefused(source: source)
        case .notKeyData(let detail): throw .notAKey(source: source, detail: detail)
        case .publicOnly: break
        }
        let context = try GPGContext(homedir: directory, gpgPath: gpgPath)
        try requireDirectory()
        try Self.writeConfiguration(in: directory)
        let data = try GPGData.copying(bytes)
        let error = gpgme_op_import(context.handle, data.handle)
        switch cgpgme_err_code(error) {
        case GPG_ERR_NO_ERROR: break
        case GPG_ERR_NO_DATA: throw .notAKey(source: source, detail: "gpg found no key in it")
        default: throw GPGContext.engineError(error, "import keys")
        }
        guard let result = gpgme_op_import_result(context.handle), result.pointee.considered > 0 else {
            throw .notAKey(source: source, detail: "gpg found no key in it")
        }
        var fingerprints: [String] = []
        var problems: [String] = []
        var status = result.pointee.imports
        while let current = status {
            if let fpr = current.pointee.fpr {
                if cgpgme_err_code(current.pointee.result) == GPG_ERR_NO_ERROR {
                    if !fingerprints.contains(String(cString: fpr)) { fingerprints.append(String(cString: fpr)) }
                } else {
                    problems.append(String(cString: fpr) + ": " + OpenPGPEngine.errorText(current.pointee.result))
                }
            }
            status = current.pointee.next
        }
        guard !fingerprints.isEmpty else {
            let considered = result.pointee.considered
            throw .notAKey(
                source: source,
                detail: "gpg imported none of the \(considered == 1 ? "key" : "\(considered) keys") in it"
                    + (problems.isEmpty ? "" : " (" + problems.joined(separator: "; ") + ")"))
        }
        // The import result is the context's until the next operation: fingerprints are copied.
        var keys: [PublicKeyInfo] = []
        for fingerprint in fingerprints {
            guard let key = context.key(fingerprint), let info = key.info else {
                throw .engineFailed(operation: "import keys", detail: "\(fingerprint) is not in the keyring after its import")
            }
            if !keys.contains(info) { keys.append(info) }
        }
        return keys
    }

    /// Every public key in the keyring, in gpg's order.
    public func list() throws(VerifyError) -> [PublicKeyInfo] {
        let context = try GPGContext(homedir: directory, gpgPath: gpgPath)
        guard Self.fileType(directory) != nil else { return [] }
        try check(gpgme_op_keylist_start(context.handle, nil, 0), "list keys")
        var keys: [PublicKeyInfo] = []
        while true {
            var key: gpgme_key_t?
            let error = gpgme_op_keylist_next(context.handle, &key)
            if cgpgme_err_code(error) == GPG_ERR_EOF { break }
            guard cgpgme_err_code(error) == GPG_ERR_NO_ERROR, let key else {
                _ = gpgme_op_keylist_end(context.handle)
                throw GPGContext.engineError(error, "list keys")
            }
            if let info = OwnedKey(key).info { keys.append(info) }
        }
        try check(gpgme_op_keylist_end(context.handle), "list keys")
        return keys
    }

    /// Removes the public key whose primary fingerprint is `fingerprint`; not present → `.keyNotFound`.
    public func remove(_ fingerprint: Fingerprint) throws(VerifyError) {
        let context = try GPGContext(homedir: directory, gpgPath: gpgPath)
        guard Self.fileType(directory) != nil else { throw .keyNotFound(fingerprint) }
        try Self.writeConfiguration(in: directory)
        guard let key = context.key(fingerprint.hex), key.info?.fingerprint == fingerprint else {
            throw .keyNotFound(fingerprint)
        }
        // Flags 0: the public key only; a keyring with no secret keys needs no agent for it.
        try check(gpgme_op_delete_ext(context.handle, key.handle, 0), "remove key \(fingerprint)")
    }

    // MARK: Verification

    /// Checks a detached signature (armoured or binary) over `data`.
    public func verifyDetached(signature: [UInt8], signatureSource: String, data: [UInt8]) throws(VerifyError)
        -> [SignatureCheck]
    {
        try checkSignatureSize(signature, signatureSource)
        let context = try GPGContext(homedir: directory, gpgPath: gpgPath)
        let signed = try GPGData.copying(data)
        return try verify(context, signature: GPGData.copying(signature), signed: signed, plain: nil, source: signatureSource)
    }

    /// Checks a detached signature over what `fileDescriptor` reads from its current offset to
    /// its end, streamed to gpg (a store blob is never copied). The caller keeps it open and
    /// closes it.
    public func verifyDetached(signature: [UInt8], signatureSource: String, fileDescriptor: Int32) throws(VerifyError)
        -> [SignatureCheck]
    {
        try checkSignatureSize(signature, signatureSource)
        let context = try GPGContext(homedir: directory, gpgPath: gpgPath)
        let signed = try GPGData.streaming(fileDescriptor)
        return try verify(context, signature: GPGData.copying(signature), signed: signed, plain: nil, source: signatureSource)
    }

    /// Checks a clearsigned document (SHA256SUMS with the signature inline, say) and returns the
    /// text gpg vouches for, dash-escaping undone, with its checks. Only that text may be used:
    /// anything around the signed part of the file is not covered by the signature.
    public func verifyClearsigned(_ document: [UInt8], source: String) throws(VerifyError)
        -> (text: [UInt8], checks: [SignatureCheck])
    {
        guard document.count <= Self.clearsignedLimit else {
            throw .tooLarge(source: source, limit: Self.clearsignedLimit)
        }
        let context = try GPGContext(homedir: directory, gpgPath: gpgPath)
        let plain = try GPGData.empty()
        let checks = try verify(context, signature: GPGData.copying(document), signed: nil, plain: plain, source: source)
        return (try plain.contents(), checks)
    }

    private func checkSignatureSize(_ signature: [UInt8], _ source: String) throws(VerifyError) {
        guard signature.count <= Self.signatureLimit else { throw .tooLarge(source: source, limit: Self.signatureLimit) }
    }

    private func verify(_ context: GPGContext, signature: GPGData, signed: GPGData?, plain: GPGData?, source: String)
        throws(VerifyError) -> [SignatureCheck]
    {
        let error = gpgme_op_verify(context.handle, signature.handle, signed?.handle, plain?.handle)
        switch cgpgme_err_code(error) {
        case GPG_ERR_NO_ERROR: break
        case GPG_ERR_INV_ENGINE, GPG_ERR_ENOENT, GPG_ERR_ENOEXEC, GPG_ERR_EACCES:
            throw GPGContext.engineError(error, "verify")
        default:
            throw .malformedSignature(source: source, detail: OpenPGPEngine.errorText(error))
        }
        var raw: [RawSignature] = []
        var signature = gpgme_op_verify_result(context.handle)?.pointee.signatures
        while let current = signature {
            raw.append(RawSignature(current))
            signature = current.pointee.next
        }
        guard !raw.isEmpty else {
            throw .malformedSignature(source: source, detail: "it holds no signature")
        }
        // Key lookups run operations on the context, which invalidates the verify result:
        // everything needed was copied above.
        return raw.map { signature in
            let key = signature.fpr.isEmpty ? nil : context.key(signature.fpr)
            let info = key?.info
            return SignatureCheck(
                outcome: signature.outcome, reportedKey: signature.fpr, primary: info?.fingerprint,
                userID: info?.userIDs.first, created: signature.timestamp > 0 ? signature.timestamp : nil)
        }
    }

    // MARK: The directory

    private func check(_ error: gpgme_error_t, _ operation: String) throws(VerifyError) {
        guard cgpgme_err_code(error) != GPG_ERR_NO_ERROR else { return }
        throw GPGContext.engineError(error, operation)
    }

    private func requireDirectory() throws(VerifyError) {
        guard Self.fileType(directory) == S_IFDIR else {
            throw .keyringDirectory(path: directory, detail: "it does not exist")
        }
    }

    /// The file type bits of `path` (S_IFDIR, …), nil when it does not exist.
    static func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    /// `mkdir -p` with the last component 0700; an existing keyring directory is tightened to 0700.
    static func makeDirectory(_ path: String) throws(VerifyError) {
        switch fileType(path) {
        case S_IFDIR:
            guard chmod(path, 0o700) == 0 else {
                throw .keyringDirectory(path: path, detail: "chmod 0700: " + GPGContext.errnoText(errno))
            }
            return
        case nil: break
        default: throw .keyringDirectory(path: path, detail: "it is not a directory")
        }
        var prefix = path.hasPrefix("/") ? "/" : ""
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            let last = index == components.count - 1
            if mkdir(prefix, last ? 0o700 : 0o755) != 0 {
                let code = errno
                guard code == EEXIST, fileType(prefix) == S_IFDIR else {
                    throw .keyringDirectory(path: path, detail: "mkdir `\(prefix)`: " + GPGContext.errnoText(code))
                }
            }
        }
        // The umask may have taken bits away, never added them; make it exactly 0700.
        guard chmod(path, 0o700) == 0 else {
            throw .keyringDirectory(path: path, detail: "chmod 0700: " + GPGContext.errnoText(errno))
        }
    }

    /// Writes gpg.conf (`no-autostart`) unless one exists.
    static func writeConfiguration(in directory: String) throws(VerifyError) {
        let path = directory + "/gpg.conf"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            if code == EEXIST { return }
            throw .keyringDirectory(path: directory, detail: "create gpg.conf: " + GPGContext.errnoText(code))
        }
        defer { close(fd) }
        let bytes = Array(configuration.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            let code = errno
            unlink(path)
            throw .keyringDirectory(path: directory, detail: "write gpg.conf: " + GPGContext.errnoText(code))
        }
    }
}
