import FoundationEssentials
import PinDigest
import PinModel

/// The JSON shapes of a Sigstore bundle (protobuf-specs' JSON mapping), as read from hostile
/// bytes: every field optional here, so a missing one is reported by name rather than as a
/// decoding failure deep inside Codable.
struct BundleJSON: Codable {
    struct Material: Codable {
        struct KeyHint: Codable { var hint: String? }
        struct RawCertificate: Codable { var rawBytes: String? }
        struct Chain: Codable { var certificates: [RawCertificate]? }
        var publicKey: KeyHint?
        var x509CertificateChain: Chain?
        var certificate: RawCertificate?
        var tlogEntries: [TransparencyLogEntryJSON]?
    }
    struct DSSE: Codable {
        struct Signature: Codable { var sig: String?; var keyid: String? }
        var payload: String?
        var payloadType: String?
        var signatures: [Signature]?
    }
    var mediaType: String?
    var verificationMaterial: Material?
    var dsseEnvelope: DSSE?
    var messageSignature: IgnoredJSON?
}

/// Any JSON value, decoded only to be counted (a Rekor entry this reader does not interpret).
struct IgnoredJSON: Codable {
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
}

/// Reads a `model.sig`: size limit, JSON, bundle shape, envelope, then the statement.
struct BundleReader {
    static let bundleMediaTypes = [
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
    ]
    static let olderBundleMediaTypes = [
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
    ]
    static let inTotoPayloadType = "application/vnd.in-toto+json"

    let file: String

    func read(_ bytes: [UInt8]) throws(ModelSigningError) -> ModelSignature {
        guard bytes.count <= ModelSignature.maximumBundleSize else {
            throw fail(.bundleTooLarge(size: bytes.count, limit: ModelSignature.maximumBundleSize))
        }
        let json: BundleJSON = try StrictJSON.decode(BundleJSON.self, from: bytes, file: file, prefix: "")
        let mediaType = try required(json.mediaType, "mediaType")
        guard Self.bundleMediaTypes.contains(mediaType) || Self.olderBundleMediaTypes.contains(mediaType) else {
            throw fail(.unsupportedFormat(field: "mediaType", value: mediaType))
        }
        let material = try readMaterial(json.verificationMaterial)
        if case .keyless = material {} else if !Self.bundleMediaTypes.contains(mediaType) {
            // model_signing writes and reads key and certificate bundles as v0.3 only.
            throw fail(.unsupportedFormat(field: "mediaType", value: mediaType))
        }
        guard json.messageSignature == nil else {
            throw fail(.unsupportedFormat(field: "messageSignature", value: "a message signature (model signatures are DSSE envelopes)"))
        }
        let envelope = try readEnvelope(try required(json.dsseEnvelope, "dsseEnvelope"))
        let statement = try StatementReader(file: file).read(envelope.payload)
        return ModelSignature(file: file, mediaType: mediaType, material: material, statement: statement, envelope: envelope)
    }

    private func readMaterial(_ material: BundleJSON.Material?) throws(ModelSigningError) -> VerificationMaterial {
        let material = try required(material, "verificationMaterial")
        var entries: [TransparencyLogEntry] = []
        for (index, entry) in (material.tlogEntries ?? []).enumerated() {
            entries.append(try TransparencyLogEntryReader(file: file).read(entry, field: "verificationMaterial.tlogEntries[\(index)]"))
        }
        if let certificate = material.certificate {
            let der = try base64(try required(certificate.rawBytes, "verificationMaterial.certificate.rawBytes"),
                                 "verificationMaterial.certificate.rawBytes")
            return .keyless(certificate: der, tlogEntries: entries)
        }
        if let chain = material.x509CertificateChain {
            let certificates = try required(chain.certificates, "verificationMaterial.x509CertificateChain.certificates")
            guard !certificates.isEmpty else {
                throw fail(.malformed(field: "verificationMaterial.x509CertificateChain.certificates", problem: "empty"))
            }
            var ders: [[UInt8]] = []
            for (index, certificate) in certificates.enumerated() {
                let field = "verificationMaterial.x509CertificateChain.certificates[\(index)].rawBytes"
                ders.append(try base64(try required(certificate.rawBytes, field), field))
            }
            // A chain beside transparency-log entries is a keyless (Fulcio) bundle of v0.1/v0.2.
            return !entries.isEmpty ? .keyless(certificate: ders[0], tlogEntries: entries) : .certificateChain(ders)
        }
        if let key = material.publicKey {
            if let hint = key.hint, !Self.isHexSHA256(hint) {
                throw fail(.malformed(field: "verificationMaterial.publicKey.hint", problem: "not a hex SHA-256"))
            }
            return .publicKey(hint: key.hint.map { $0.lowercased() })
        }
        throw fail(.malformed(field: "verificationMaterial", problem: "has no publicKey, x509CertificateChain or certificate"))
    }

    private func readEnvelope(_ dsse: BundleJSON.DSSE) throws(ModelSigningError) -> Envelope {
        let payloadType = try required(dsse.payloadType, "dsseEnvelope.payloadType")
        guard payloadType == Self.inTotoPayloadType else {
            throw fail(.unsupportedFormat(field: "dsseEnvelope.payloadType", value: payloadType))
        }
        let payload = try base64(try required(dsse.payload, "dsseEnvelope.payload"), "dsseEnvelope.payload")
        let signatures = try required(dsse.signatures, "dsseEnvelope.signatures")
        guard signatures.count == 1 else {
            throw fail(.malformed(field: "dsseEnvelope.signatures", problem: "\(signatures.count) signatures; a model signature has exactly one"))
        }
        let signature = try base64(try required(signatures[0].sig, "dsseEnvelope.signatures[0].sig"), "dsseEnvelope.signatures[0].sig")
        return Envelope(payloadType: payloadType, payload: payload, signature: signature)
    }

    private func required<T>(_ value: T?, _ field: String) throws(ModelSigningError) -> T {
        guard let value else { throw fail(.malformed(field: field, problem: "missing")) }
        return value
    }

    private func base64(_ text: String, _ field: String) throws(ModelSigningError) -> [UInt8] {
        guard let bytes = Data(base64Encoded: text) else {
            throw fail(.malformed(field: field, problem: "not base64"))
        }
        return Array(bytes)
    }

    static func isHexSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { Hex.value(of: $0) != nil }
    }

    private func fail(_ reason: ModelSigningError.Reason) -> ModelSigningError {
        ModelSigningError(file: file, reason: reason)
    }
}
