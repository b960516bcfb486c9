public import PinModel

/// The decision rule: a document is accepted when at least one of its signatures is `.good` and
/// was made by a pinned key (its primary's fingerprint, or its own for a pinned subkey). gpg's
/// web-of-trust validity plays no part; other signatures, good or bad, do not veto.
public struct SignaturePolicy: Sendable {
    public let pinned: Set<Fingerprint>

    public init(pinned: Set<Fingerprint>) {
        self.pinned = pinned
    }

    /// `document` names what was signed in the refusal ("acme/x: SHA256SUMS.asc").
    public func decide(_ checks: [SignatureCheck], document: String) -> SignatureVerdict {
        if let accepted = checks.first(where: { $0.outcome == .good && isPinned($0) }) {
            let signer = accepted.candidates.first(where: pinned.contains)!
            return .accepted(signer: signer, userID: accepted.userID)
        }
        let sortedPins = pinned.sorted()
        // Refuse for the most informative reason: a pinned key's concrete failure first (it
        // says something went wrong with a key the user trusts), then the rest by severity.
        let worst = checks.min { rank($0) < rank($1) }
        guard let worst else {
            return .refused(SignatureRefusal(document: document, reason: .noSignature, key: nil, userID: nil, pinned: sortedPins))
        }
        let reason: SignatureRefusal.Reason =
            switch worst.outcome {
            case .good: .notPinned
            case .badSignature: .badSignature
            case .unknownKey: .unknownKey
            case .expiredKey: .expiredKey
            case .expiredSignature: .expiredSignature
            case .revokedKey: .revokedKey
            case .wrongKeyUsage: .wrongKeyUsage
            case .error: .malformed
            }
        return .refused(
            SignatureRefusal(
                document: document, reason: reason, key: worst.primary?.hex ?? worst.reportedKey,
                userID: worst.userID, pinned: sortedPins))
    }

    func isPinned(_ check: SignatureCheck) -> Bool {
        check.candidates.contains(where: pinned.contains)
            // A bad signature names only a key id; it still involves a pinned key when the id is one's.
            || (check.reportedKey.count == 16 && pinned.contains { $0.keyID == check.reportedKey.uppercased() })
    }

    private func rank(_ check: SignatureCheck) -> Int {
        let severity =
            switch check.outcome {
            case .badSignature: 0
            case .revokedKey: 1
            case .expiredKey: 2
            case .expiredSignature: 3
            case .wrongKeyUsage: 4
            case .unknownKey: 5
            case .error: 6
            case .good: 7  // good but not pinned
            }
        return (isPinned(check) ? 0 : 10) + severity
    }
}

public enum SignatureVerdict: Sendable, Equatable {
    case accepted(signer: Fingerprint, userID: String?)
    case refused(SignatureRefusal)
}

/// Why a signed document was refused, named precisely, for the message and for --json.
public struct SignatureRefusal: ModelpinError, Equatable, Encodable {
    public enum Reason: String, Sendable, Encodable {
        case noSignature = "no-signature"
        case badSignature = "bad-signature"
        case unknownKey = "unknown-key"
        case expiredKey = "expired-key"
        case expiredSignature = "expired-signature"
        case revokedKey = "revoked-key"
        case notPinned = "signer-not-pinned"
        case wrongKeyUsage = "wrong-key-usage"
        case malformed
    }

    /// What was signed, e.g. "acme/x: SHA256SUMS.asc".
    public let document: String
    public let reason: Reason
    /// The fingerprint (primary's when known) or key id involved.
    public let key: String?
    public let userID: String?
    /// The fingerprints that would have been accepted, sorted.
    public let pinned: [Fingerprint]

    public init(document: String, reason: Reason, key: String?, userID: String?, pinned: [Fingerprint]) {
        self.document = document
        self.reason = reason
        self.key = key
        self.userID = userID
        self.pinned = pinned
    }

    public var kind: FailureKind { .refused }

    private var keyIsPinned: Bool {
        guard let key else { return false }
        let normalized = key.uppercased()
        return pinned.contains { $0.hex == normalized || $0.keyID == normalized }
    }

    private var signer: String {
        guard let key else { return "an unknown key" }
        return key + (userID.map { " (\($0.escapedForDisplay))" } ?? "")
    }

    public var description: String {
        let subject = "`\(document.escapedForDisplay)`"
        return switch reason {
        case .noSignature: "\(subject): no signature"
        case .badSignature:
            "\(subject): bad signature by \(signer): the signed file was changed, or the signature belongs to another file"
        case .unknownKey: "\(subject): signed by a key that is not in modelpin's keyring: \(signer)"
        case .expiredKey: "\(subject): signed by an expired key: \(signer)"
        case .expiredSignature: "\(subject): the signature by \(signer) has expired"
        case .revokedKey: "\(subject): signed by a revoked key: \(signer)"
        case .notPinned: "\(subject): signed by a key that is not pinned: \(signer)"
        case .wrongKeyUsage: "\(subject): signed by \(signer) with a key not meant for signing"
        case .malformed: "\(subject): gpg could not check the signature by \(signer)"
        }
    }

    public var causes: [String] {
        pinned.isEmpty ? ["no signing key is pinned"] : ["pinned: " + pinned.map(\.hex).joined(separator: ", ")]
    }

    public var hint: String? {
        switch reason {
        case .unknownKey:
            keyIsPinned
                ? "the key is pinned but not in modelpin's keyring: import its public key with `modelpin keys import FILE`"
                : "if you trust this signer, import its public key with `modelpin keys import FILE`, then pin its fingerprint"
        case .notPinned:
            "if you trust this signer, pin its fingerprint; otherwise do not use these files"
        case .badSignature: "do not use these files; fetch them again from a source you trust"
        case .revokedKey: "the signer withdrew this key; ask them for files signed with their current key"
        case .expiredKey, .expiredSignature: "ask the signer for a fresh signature, or import their refreshed public key"
        case .noSignature, .wrongKeyUsage, .malformed: nil
        }
    }

    private enum CodingKeys: String, CodingKey {
        case document, reason, key, userID, pinned, message, hint
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(document, forKey: .document)
        try container.encode(reason, forKey: .reason)
        try container.encodeIfPresent(key, forKey: .key)
        try container.encodeIfPresent(userID, forKey: .userID)
        try container.encode(pinned, forKey: .pinned)
        try container.encode(description, forKey: .message)
        try container.encodeIfPresent(hint, forKey: .hint)
    }
}
