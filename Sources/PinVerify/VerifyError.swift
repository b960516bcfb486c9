public import PinModel

/// Why a keyring, signature, checksum-list or signing operation could not give an answer.
///
/// A signature that was checked and found wanting is not a `VerifyError`: it is a
/// `SignatureCheck` outcome, and the policy turns it into a `SignatureRefusal`.
public enum VerifyError: ModelpinError, Equatable {
    /// gpgme is unusable, or there is no gpg to drive (not installed, `$MODELPIN_GPG` wrong).
    case engineMissing(reason: String)
    /// gpg ran but an operation failed for a reason outside the input (locks, disk, …).
    case engineFailed(operation: String, detail: String)
    /// Key import input that holds no usable public key.
    case notAKey(source: String, detail: String)
    /// Key import input that holds secret-key material; refused before gpg sees it.
    case secretKeyRefused(source: String)
    /// A signature (or clearsigned document) gpg could not read as one: garbage, truncated,
    /// a data file given in place of a signature.
    case malformedSignature(source: String, detail: String)
    /// Input over a size bound (in bytes); refused without reading further or calling gpg.
    case tooLarge(source: String, limit: Int)
    /// The keyring has no such public key.
    case keyNotFound(Fingerprint)
    /// A SHA256SUMS line that does not parse.
    case malformedChecksumList(source: String, line: Int, detail: String)
    /// Signing: no usable secret key (`key` nil: gpg's default key).
    case noSecretKey(key: String?, detail: String)
    /// Signing failed for another reason (gpgme's message).
    case signingFailed(detail: String)
    /// The keyring directory cannot be created, read or used.
    case keyringDirectory(path: String, detail: String)

    public var kind: FailureKind {
        switch self {
        case .engineMissing, .engineFailed, .noSecretKey, .signingFailed, .keyringDirectory: .operational
        case .notAKey, .secretKeyRefused, .keyNotFound: .usage
        case .malformedSignature, .tooLarge, .malformedChecksumList: .refused
        }
    }

    public var description: String {
        switch self {
        case .engineMissing: "no usable gpg: OpenPGP signatures cannot be checked"
        case .engineFailed(let operation, _): "gpg failed to \(operation)"
        case .notAKey(let source, _): "`\(source.escapedForDisplay)` is not an OpenPGP public key"
        case .secretKeyRefused(let source):
            "`\(source.escapedForDisplay)` contains secret-key material; modelpin's keyring only takes public keys"
        case .malformedSignature(let source, _): "`\(source.escapedForDisplay)` is not a readable OpenPGP signature"
        case .tooLarge(let source, let limit): "`\(source.escapedForDisplay)` is larger than \(Self.size(limit))"
        case .keyNotFound(let fingerprint): "no public key \(fingerprint) in modelpin's keyring"
        case .malformedChecksumList(let source, let line, let detail): "\(source.escapedForDisplay):\(line): \(detail)"
        case .noSecretKey(let key, _):
            key.map { "no secret key `\($0.escapedForDisplay)` to sign with" } ?? "no default secret key to sign with"
        case .signingFailed: "signing failed"
        case .keyringDirectory(let path, _): "cannot use `\(path.escapedForDisplay)` as modelpin's keyring"
        }
    }

    public var causes: [String] {
        switch self {
        case .engineMissing(let reason): [reason]
        case .engineFailed(_, let detail), .notAKey(_, let detail), .malformedSignature(_, let detail),
             .noSecretKey(_, let detail), .signingFailed(let detail), .keyringDirectory(_, let detail):
            [detail]
        case .secretKeyRefused, .tooLarge, .keyNotFound, .malformedChecksumList: []
        }
    }

    public var hint: String? {
        switch self {
        case .engineMissing: "install gnupg (apt install gnupg), or point $MODELPIN_GPG at a gpg executable"
        case .secretKeyRefused: "export the public key only, with `gpg --export --armor FINGERPRINT`, and import that"
        case .notAKey: "export the key with `gpg --export --armor FINGERPRINT` and import that file"
        case .keyNotFound: "`modelpin keys list` shows the keys in the keyring"
        case .noSecretKey(let key, _):
            key == nil ? "create a key with `gpg --quick-gen-key`, or name one with --key" : "`gpg --list-secret-keys` shows the keys you can sign with"
        case .malformedSignature: "check that the file is the signature that belongs to the signed file"
        default: nil
        }
    }

    static func size(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : bytes % 1024 == 0 ? "\(bytes >> 10) KiB" : "\(bytes) bytes"
    }
}
