public import PinModel

/// A parsed `model.sig`: a Sigstore bundle holding a DSSE envelope whose payload is an in-toto
/// Statement v1 about a model (OpenSSF model signing, the `model_signing` package v1.x).
///
/// Parsing checks the shape only: nothing in a parsed signature is trusted until `verify(trust:)`
/// has checked the DSSE signature and `checkResources(_:reader:)` the model's bytes.
public struct ModelSignature: Sendable {
    /// A bundle larger than this is refused before it is parsed (a statement with a million
    /// resources is still under it).
    public static let maximumBundleSize = 64 << 20

    /// The file the bundle was read from, for messages.
    public let file: String
    /// The bundle's `mediaType` (v0.1, v0.2 or v0.3 of the Sigstore bundle).
    public let mediaType: String
    /// What signed: a key hint, a certificate chain, or a keyless Fulcio certificate.
    public let material: VerificationMaterial
    /// The statement, as the envelope carries it (not yet verified).
    public let statement: SignedStatement
    /// The envelope's payload type and payload bytes, and its one signature: what the PAE covers.
    let envelope: Envelope

    /// Parses a bundle's bytes. `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String) throws(ModelSigningError) -> ModelSignature {
        try BundleReader(file: file).read(bytes)
    }
}

/// The in-toto statement a model signature carries.
public struct SignedStatement: Sendable, Equatable {
    /// `https://model_signing/signature/v1.0`, or the legacy `https://model_signing/Digests/v0.1`.
    public var predicateType: String
    /// The subject's name: the model directory's name when it was signed (informative only;
    /// model_signing ignores it when comparing). The legacy form has none.
    public var modelName: String?
    /// The subject's SHA-256 over the resources' digests, in their order (v1.0 only).
    public var rootDigest: SHA256Digest?
    /// One entry per file (`files`) or per byte range of a file (`shards`).
    public var resources: [Resource]
    public var serialization: Serialization
}

/// One signed item: a file, or for `shards` a range `path:start:end` of a file.
public struct Resource: Sendable, Hashable {
    /// As written in the statement: a POSIX path relative to the model root, or `path:start:end`.
    public var name: String
    /// The digest's name: the hash type (`sha256`, `blake2b`), or for shards
    /// `<hash type>-sharded-<shard size>` (`blake3` is refused).
    public var algorithm: String
    public var digest: [UInt8]

    public init(name: String, algorithm: String, digest: [UInt8]) {
        self.name = name
        self.algorithm = algorithm
        self.digest = digest
    }
}

/// How the model was cut into resources: the statement's `predicate.serialization`.
public struct Serialization: Sendable, Equatable {
    public enum Method: Sendable, Equatable {
        case files
        /// Each file in ranges of `shardSize` bytes (an empty file has no shard).
        case shards(shardSize: Int64)
    }

    public var method: Method
    /// `sha256` or `blake2b`.
    public var hashType: String
    public var allowSymlinks: Bool
    /// Paths, relative to the model root, left out of the signature (a directory covers what is
    /// under it). model_signing's own verifier also always leaves out the git paths.
    public var ignorePaths: [String]

    /// The digest name each resource carries: the hash type for `files`; for `shards`,
    /// `<hash type>-sharded-<shard size>`, as model_signing's sharded hasher names its digests.
    public var resourceAlgorithm: String {
        switch method {
        case .files: hashType
        case .shards(let size): "\(hashType)-sharded-\(size)"
        }
    }

    public init(method: Method, hashType: String, allowSymlinks: Bool, ignorePaths: [String]) {
        self.method = method
        self.hashType = hashType
        self.allowSymlinks = allowSymlinks
        self.ignorePaths = ignorePaths
    }
}

/// The bundle's `verificationMaterial`: how the signer is identified.
public enum VerificationMaterial: Sendable, Equatable {
    /// `model_signing sign key`: the hint is the hex SHA-256 of the public key's PEM text
    /// (absent in bundles written before model_signing 1.0).
    case publicKey(hint: String?)
    /// `model_signing sign certificate`: the leaf first, then intermediates (DER).
    case certificateChain([[UInt8]])
    /// Keyless Sigstore: a Fulcio certificate (DER) and Rekor transparency-log entries.
    case keyless(certificate: [UInt8], tlogEntries: [TransparencyLogEntry])
}

/// Who a verified signature belongs to, in the form `signers = [...]` pins.
public enum SignerIdentity: Sendable, Hashable, CustomStringConvertible {
    /// A pinned EC key, by its id (`PublicKey.id`, the bundle's `publicKey.hint` form).
    case key(id: String)
    /// A certificate: the leaf's identity (its SAN e-mail or URI, else its subject) and the id of
    /// the pinned CA it chains to (`CertificateAuthority.id`).
    case certificate(identity: String, ca: String)
    /// A keyless (Fulcio) certificate: `ISSUER|SAN` (see `SigstoreIdentity`) and the id of the
    /// imported trust root (the SHA-256 of its file) that vouched for its chain and log entry.
    case sigstore(identity: String, trustedRoot: String)

    public var description: String {
        switch self {
        case .key(let id): "key \(id)"
        case .certificate(let identity, let ca): "certificate \(identity) (CA \(ca))"
        case .sigstore(let identity, let root): "keyless certificate \(identity) (trusted root \(root))"
        }
    }
}

/// The DSSE envelope: what the signature covers.
struct Envelope: Sendable {
    var payloadType: String
    var payload: [UInt8]
    /// The first signature's bytes (DER ECDSA), as model_signing reads only `signatures[0]`.
    var signature: [UInt8]
}
