/// A pinned signer of an OpenSSF model-signing (`model.sig`) bundle, as `signers = [...]` in
/// modelpin.toml and modelpin.lock spell it.
///
/// OpenPGP fingerprints are bare hex (40 digits today, 64 for v6 keys one day), and an OMS
/// key id is 64 hex digits too, so an OMS pin always carries its kind as a prefix; bare hex
/// is always OpenPGP:
///
/// - `oms-key:HEX`: a public key (ECDSA P-256/384/521), named by its id, the SHA-256 of its PEM
///   SubjectPublicKeyInfo text (what a key bundle's `publicKey.hint` holds, and what `modelpin
///   keys import`/`keys list` show). 64 lowercase hex digits; uppercase is accepted on input.
/// - `oms-cert:IDENTITY`: a signing certificate's identity (as PinModelSigning reads it from
///   the leaf certificate), whose chain must end at a CA certificate in modelpin's keyring.
public enum OMSSigner: Hashable, Comparable, Sendable, CustomStringConvertible {
    case key(id: String)
    case certificate(identity: String)

    public static let keyPrefix = "oms-key:"
    public static let certificatePrefix = "oms-cert:"
    /// Longest certificate identity accepted (an e-mail address or URI; no honest one is longer).
    public static let identityLimit = 1024

    /// Whether `text` claims to be an OMS pin (then `init(parsing:)` decides whether it is a good one).
    public static func claims(_ text: String) -> Bool {
        text.drop(while: \.isWhitespace).lowercased().hasPrefix("oms-")
    }

    public init(parsing text: String) throws(SignerIDError) {
        let trimmed = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if trimmed.hasPrefix(Self.keyPrefix) {
            let hex = trimmed.dropFirst(Self.keyPrefix.count)
            guard hex.utf8.count == 64, hex.lowercased().utf8.allSatisfy({ Hex.value(ofLowercase: $0) != nil }) else { throw SignerIDError(text: text, problem: .keyID) }
            self = .key(id: hex.lowercased())
        } else if trimmed.hasPrefix(Self.certificatePrefix) {
            let identity = String(trimmed.dropFirst(Self.certificatePrefix.count))
            guard !identity.isEmpty, identity.utf8.count <= Self.identityLimit,
                !identity.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { throw SignerIDError(text: text, problem: .identity) }
            self = .certificate(identity: identity)
        } else {
            throw SignerIDError(text: text, problem: .prefix)
        }
    }

    /// The canonical spelling: `oms-key:HEX` or `oms-cert:IDENTITY`.
    public var description: String {
        switch self {
        case .key(let id): Self.keyPrefix + id
        case .certificate(let identity): Self.certificatePrefix + identity
        }
    }

    /// The kind of signature that vouches for a model, as the lock's `signature-kind` spells it.
    public var signatureKind: SignatureKind {
        switch self {
        case .key: .omsKey
        case .certificate: .omsCertificate
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.description < rhs.description }
}

/// Which kind of signature vouched for a model (`signature-kind` in modelpin.lock, `kind` in
/// `--json` and in the signature event).
public enum SignatureKind: String, Sendable, Equatable, CaseIterable, Encodable {
    /// An OpenPGP signature (a signed checksum list or detached signatures) of a pinned fingerprint.
    case openpgp
    /// A `model.sig` bundle signed by a pinned public key.
    case omsKey = "oms-key"
    /// A `model.sig` bundle with a certificate of a pinned identity chaining to a CA in the keyring.
    case omsCertificate = "oms-certificate"
}

/// One pinned signer of either kind: what `signers = [...]` lists and `signed-by` names.
public enum SignerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    case openpgp(Fingerprint)
    case oms(OMSSigner)

    /// An `oms-` prefix makes it an OMS pin; anything else is read as an OpenPGP fingerprint,
    /// by Fingerprint's rules and with its messages.
    public init(parsing text: String) throws(SignerIDError) {
        if OMSSigner.claims(text) {
            self = .oms(try OMSSigner(parsing: text))
        } else {
            do {
                self = .openpgp(try Fingerprint(parsing: text))
            } catch {
                throw SignerIDError(text: text, problem: .fingerprint(error))
            }
        }
    }

    /// The canonical spelling: 40 uppercase hex digits, `oms-key:HEX` or `oms-cert:IDENTITY`.
    public var description: String {
        switch self {
        case .openpgp(let fingerprint): fingerprint.hex
        case .oms(let signer): signer.description
        }
    }

    public var kind: SignatureKind {
        switch self {
        case .openpgp: .openpgp
        case .oms(let signer): signer.signatureKind
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.description < rhs.description }

    /// Splits pins into their two kinds, each sorted and without repeats.
    public static func split(_ pins: [SignerID]) -> (openpgp: [Fingerprint], oms: [OMSSigner]) {
        var openpgp = Set<Fingerprint>()
        var oms = Set<OMSSigner>()
        for pin in pins {
            switch pin {
            case .openpgp(let fingerprint): openpgp.insert(fingerprint)
            case .oms(let signer): oms.insert(signer)
            }
        }
        return (openpgp.sorted(), oms.sorted())
    }
}

/// Text that is no signer pin. Readers of files put `description` in their own error, which
/// names the file, line and field.
public struct SignerIDError: ModelpinError, Equatable {
    public enum Problem: Sendable, Equatable {
        /// Not an OMS pin: read as an OpenPGP fingerprint, which it is not either.
        case fingerprint(FingerprintError)
        /// `oms-` followed by neither `key:` nor `cert:`.
        case prefix
        /// `oms-key:` not followed by 64 hex digits.
        case keyID
        /// `oms-cert:` followed by nothing, a control character, or more than 1024 bytes.
        case identity
    }

    /// The text as given, and what is wrong with it (made only by the parsers above).
    public let text: String
    public let problem: Problem
    public var kind: FailureKind { .usage }

    public var description: String {
        let shown = "`\(text.escapedForDisplay)`"
        return switch problem {
        case .fingerprint(let error): error.description
        case .prefix: "\(shown) is no signer: an OMS signer is `oms-key:HEX` or `oms-cert:IDENTITY`"
        case .keyID: "\(shown) is no OMS key id: `oms-key:` takes the key's 64-hex id"
        case .identity: "\(shown) is no OMS certificate identity: `oms-cert:` takes the certificate's identity (no control characters, at most 1024 bytes)"
        }
    }

    public var hint: String? {
        switch problem {
        case .fingerprint(let error): error.hint
        default: "`modelpin keys import KEY.pem` and `modelpin keys list` show an OMS key's pin"
        }
    }
}
