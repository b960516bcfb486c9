import FoundationEssentials
import PinDigest
import PinModel

/// Writes `model.sig` key bundles that `model_signing verify key` accepts: a Sigstore bundle
/// v0.3 holding a DSSE envelope over an in-toto statement with the v1.0 predicate, serialized by
/// `files` with SHA-256.
public enum ModelSigner {
    /// What model_signing's CLI leaves out of a signature by default: the signature file itself
    /// and the git paths.
    public static func defaultIgnorePaths(signatureFile: String = "model.sig") -> [String] {
        [signatureFile] + ModelSignature.gitPaths
    }

    /// Signs `files` (read through `reader` unless a file's SHA-256 is already known) with the
    /// EC private key in `privateKeyPEM` (P-256, P-384 or P-521; PKCS#8 or SEC1; unencrypted).
    /// `modelName` is the subject's name (model_signing uses the model directory's name).
    /// Returns the bundle's bytes.
    public static func sign(
        modelName: String, files: [ModelFile], reader: some ModelFileReader, privateKeyPEM: String,
        ignorePaths: [String] = defaultIgnorePaths()
    ) throws(ModelSigningError) -> [UInt8] {
        let key = try ECPrivateKey(pem: privateKeyPEM)
        let signed = files.filter { file in !ignorePaths.contains { ResourcePaths.isCovered(file.path, by: $0) } }
        for file in signed where !ResourcePaths.isPlausible(file.path) || file.size < 0 {
            throw ModelSigningError(file: modelName, reason: .malformed(field: "path", problem: "\(file.path) is not a relative path inside the model, or has a negative size"))
        }
        let resources = try digests(of: signed, reader: reader, model: modelName)
        let payload = try encode(statement(modelName: modelName, resources: resources, ignorePaths: ignorePaths))
        let signature = try key.signature(for: PAE.encode(payloadType: BundleReader.inTotoPayloadType, payload: payload))
        let hint = PinDigest.SHA256.hash(Array(PEMBlocks.encode("PUBLIC KEY", der: key.publicKey.spki).utf8)).hex
        let bundle = BundleJSON(
            mediaType: BundleReader.bundleMediaTypes[0],
            verificationMaterial: .init(publicKey: .init(hint: hint), tlogEntries: []),
            dsseEnvelope: .init(payload: Data(payload).base64EncodedString(), payloadType: BundleReader.inTotoPayloadType,
                                signatures: [.init(sig: Data(signature).base64EncodedString(), keyid: "")]))
        return try encode(bundle)
    }

    /// Each file's SHA-256, in model_signing's order (by path components, as `PurePosixPath`
    /// sorts), so the subject's digest is the one it would compute.
    private static func digests(of files: [ModelFile], reader: some ModelFileReader, model: String) throws(ModelSigningError) -> [Resource] {
        var resources: [Resource] = []
        for file in files.sorted(by: { pathOrder($0.path, $1.path) }) {
            let digest: [UInt8]
            if let known = file.sha256 {
                digest = Hex.decode(known.hex)!
            } else {
                digest = try FileDigests.hash(file, range: 0..<file.size, algorithm: "sha256", reader: reader, bundle: model)
            }
            resources.append(Resource(name: file.path, algorithm: "sha256", digest: digest))
        }
        return resources
    }

    static func pathOrder(_ lhs: String, _ rhs: String) -> Bool {
        ResourcePaths.components(lhs).lexicographicallyPrecedes(ResourcePaths.components(rhs)) { a, b in
            a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
        }
    }

    private static func statement(modelName: String, resources: [Resource], ignorePaths: [String]) -> StatementJSON {
        let root = StatementReader.rootDigest(of: resources)
        return StatementJSON(
            _type: StatementReader.statementType,
            subject: [.init(name: modelName, digest: ["sha256": root.hex])],
            predicateType: StatementReader.predicateType,
            predicate: .init(
                serialization: .init(method: "files", hash_type: "sha256", shard_size: nil, allow_symlinks: false,
                                     ignore_paths: ignorePaths.isEmpty ? nil : ignorePaths.sorted()),
                resources: resources.map { .init(name: $0.name, algorithm: $0.algorithm, digest: Hex.encode($0.digest)) }))
    }

    private static func encode(_ value: some Encodable) throws(ModelSigningError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw ModelSigningError(file: "model.sig", reason: .malformed(field: "(document)", problem: "could not be encoded: \(error)"))
        }
    }
}
