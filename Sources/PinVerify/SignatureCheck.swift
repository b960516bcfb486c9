internal import CGPGME
public import PinModel

/// A public key in modelpin's keyring, as `keys list` shows it.
public struct PublicKeyInfo: Sendable, Equatable, Encodable {
    /// The primary key's fingerprint.
    public let fingerprint: Fingerprint
    public let userIDs: [String]
    /// Creation time, unix seconds.
    public let created: Int64?
    /// Expiry time, unix seconds; nil: never.
    public let expires: Int64?
    public let revoked: Bool
    /// Expired now (gpg's view at listing time).
    public let expired: Bool
    public let subkeys: [Fingerprint]
}

/// What gpg said about one signature, classified. There is no web of trust: gpg's validity
/// bits are ignored; whether the key is trusted is the pin's business (`SignaturePolicy`).
public struct SignatureCheck: Sendable, Equatable, Encodable {
    public enum Outcome: String, Sendable, Encodable {
        case good
        case badSignature = "bad-signature"
        case unknownKey = "unknown-key"
        case expiredKey = "expired-key"
        case expiredSignature = "expired-signature"
        case revokedKey = "revoked-key"
        case wrongKeyUsage = "wrong-key-usage"
        case error
    }

    public let outcome: Outcome
    /// What gpg reported: a full fingerprint (possibly a subkey's), or only a 16-hex key id for
    /// a bad signature.
    public let reportedKey: String
    /// The primary key's fingerprint when the key is in the keyring (a subkey maps to its primary).
    public let primary: Fingerprint?
    /// The key's first user id, when the key is in the keyring.
    public let userID: String?
    /// Signature creation time, unix seconds.
    public let created: Int64?

    public init(outcome: Outcome, reportedKey: String, primary: Fingerprint?, userID: String?, created: Int64?) {
        self.outcome = outcome
        self.reportedKey = reportedKey
        self.primary = primary
        self.userID = userID
        self.created = created
    }

    /// The fingerprints this signature may be pinned by: the primary's, and the reported one
    /// when it is a full fingerprint (a subkey pinned on its own).
    var candidates: [Fingerprint] {
        [primary, Fingerprint(gpg: reportedKey)].compactMap { $0 }
    }
}

/// One gpgme signature result, copied out before the context runs another operation (which
/// invalidates the result).
struct RawSignature {
    let summary: UInt32
    let status: gpgme_err_code_t
    let fpr: String
    let timestamp: Int64
    let wrongKeyUsage: Bool

    init(_ signature: gpgme_signature_t) {
        let value = signature.pointee
        summary = value.summary.rawValue
        status = cgpgme_err_code(value.status)
        fpr = value.fpr.map { String(cString: $0) } ?? ""
        timestamp = Int64(value.timestamp)
        wrongKeyUsage = value.wrong_key_usage != 0
    }

    /// The decision table (reference §2.2/§2.3): gpg's status first, then the summary bits.
    var outcome: SignatureCheck.Outcome {
        switch status {
        case GPG_ERR_BAD_SIGNATURE: return .badSignature
        case GPG_ERR_NO_PUBKEY: return .unknownKey
        case GPG_ERR_CERT_REVOKED: return .revokedKey
        case GPG_ERR_KEY_EXPIRED: return .expiredKey
        case GPG_ERR_SIG_EXPIRED: return .expiredSignature
        case GPG_ERR_NO_ERROR: break
        default: return .error
        }
        func has(_ bit: gpgme_sigsum_t) -> Bool { summary & bit.rawValue != 0 }
        if has(GPGME_SIGSUM_KEY_REVOKED) { return .revokedKey }
        if has(GPGME_SIGSUM_KEY_EXPIRED) { return .expiredKey }
        if has(GPGME_SIGSUM_SIG_EXPIRED) { return .expiredSignature }
        if has(GPGME_SIGSUM_KEY_MISSING) { return .unknownKey }
        if has(GPGME_SIGSUM_RED) { return .badSignature }
        if has(GPGME_SIGSUM_SYS_ERROR) { return .error }
        if wrongKeyUsage { return .wrongKeyUsage }
        return .good
    }
}
