import Crypto
import FoundationEssentials
import PinDigest
import PinModel

/// A pinned public key: ECDSA on P-256, P-384 or P-521, as `model_signing sign key` uses.
public struct PublicKey: Sendable {
    /// The bundle's `publicKey.hint` form: the hex SHA-256 of the key's PEM text exactly as
    /// model_signing (Python's `cryptography`) writes it, so a pinned key is found by its hint.
    public let id: String
    /// `P-256`, `P-384` or `P-521`.
    public var curve: String { key.curve }
    let key: ECPublicKey

    /// Reads one `-----BEGIN PUBLIC KEY-----` block (SubjectPublicKeyInfo).
    public static func parsePEM(_ text: String) throws(ModelSigningError) -> PublicKey {
        let der = try PEMBlocks.single("PUBLIC KEY", in: text, what: "the public key")
        return try PublicKey(spki: der, what: "the public key")
    }

    init(spki der: [UInt8], what: String) throws(ModelSigningError) {
        key = try ECPublicKey(spki: der, what: what)
        id = SHA256.hash(Array(PEMBlocks.encode("PUBLIC KEY", der: key.spki).utf8)).hex
    }
}

/// An ECDSA public key on one of the three curves model_signing accepts.
enum ECPublicKey: Sendable {
    case p256(P256.Signing.PublicKey)
    case p384(P384.Signing.PublicKey)
    case p521(P521.Signing.PublicKey)

    init(spki der: [UInt8], what: String) throws(ModelSigningError) {
        if let key = try? P256.Signing.PublicKey(derRepresentation: der) {
            self = .p256(key)
        } else if let key = try? P384.Signing.PublicKey(derRepresentation: der) {
            self = .p384(key)
        } else if let key = try? P521.Signing.PublicKey(derRepresentation: der) {
            self = .p521(key)
        } else {
            throw ModelSigningError(file: what, reason: .unsupportedKey(what))
        }
    }

    var curve: String {
        switch self {
        case .p256: "P-256"
        case .p384: "P-384"
        case .p521: "P-521"
        }
    }

    /// The key re-encoded as DER SubjectPublicKeyInfo (uncompressed point), as
    /// `cryptography`'s `public_bytes(PEM, SubjectPublicKeyInfo)` encodes it.
    var spki: [UInt8] {
        switch self {
        case .p256(let key): Array(key.derRepresentation)
        case .p384(let key): Array(key.derRepresentation)
        case .p521(let key): Array(key.derRepresentation)
        }
    }

    /// Which hash an ECDSA signature was made over.
    enum Hash {
        /// The curve's own: SHA-256, SHA-384, SHA-512 for P-256, P-384, P-521, as model_signing's
        /// `get_ec_key_hash` chooses it.
        case curve
        /// SHA-256 whatever the curve: how model_signing 0.2 signed certificate bundles (its
        /// verifier keeps that path for them).
        case sha256
    }

    /// Whether `der` (a DER ECDSA signature) verifies over `message`; a signature that is not
    /// DER is invalid.
    func isValid(signature der: [UInt8], for message: [UInt8], hash: Hash = .curve) -> Bool {
        let sha256 = { Crypto.SHA256.hash(data: message) }
        switch self {
        case .p256(let key):
            guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: der) else { return false }
            return key.isValidSignature(signature, for: sha256())
        case .p384(let key):
            guard let signature = try? P384.Signing.ECDSASignature(derRepresentation: der) else { return false }
            return hash == .sha256 ? key.isValidSignature(signature, for: sha256()) : key.isValidSignature(signature, for: SHA384.hash(data: message))
        case .p521(let key):
            guard let signature = try? P521.Signing.ECDSASignature(derRepresentation: der) else { return false }
            return hash == .sha256 ? key.isValidSignature(signature, for: sha256()) : key.isValidSignature(signature, for: SHA512.hash(data: message))
        }
    }
}

/// An ECDSA private key for `ModelSigner`: PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`) PEM.
enum ECPrivateKey {
    case p256(P256.Signing.PrivateKey)
    case p384(P384.Signing.PrivateKey)
    case p521(P521.Signing.PrivateKey)

    init(pem text: String) throws(ModelSigningError) {
        if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
            throw ModelSigningError(file: "the private key", reason: .badKeyMaterial(
                what: "the private key", problem: "it is encrypted; give an unencrypted PEM key (for example from `openssl ec -in KEY -out PLAIN`)"))
        }
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: text) {
            self = .p256(key)
        } else if let key = try? P384.Signing.PrivateKey(pemRepresentation: text) {
            self = .p384(key)
        } else if let key = try? P521.Signing.PrivateKey(pemRepresentation: text) {
            self = .p521(key)
        } else {
            throw ModelSigningError(file: "the private key", reason: .unsupportedKey("the private key"))
        }
    }

    var publicKey: ECPublicKey {
        switch self {
        case .p256(let key): .p256(key.publicKey)
        case .p384(let key): .p384(key.publicKey)
        case .p521(let key): .p521(key.publicKey)
        }
    }

    /// DER ECDSA signature over `message` with the curve's hash.
    func signature(for message: [UInt8]) throws(ModelSigningError) -> [UInt8] {
        do {
            switch self {
            case .p256(let key): return Array(try key.signature(for: message).derRepresentation)
            case .p384(let key): return Array(try key.signature(for: message).derRepresentation)
            case .p521(let key): return Array(try key.signature(for: message).derRepresentation)
            }
        } catch {
            throw ModelSigningError(file: "the private key", reason: .badKeyMaterial(what: "the private key", problem: "signing failed: \(error)"))
        }
    }
}
