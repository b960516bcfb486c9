import Crypto
import FoundationEssentials

/// Checks that a Rekor entry's body (`canonicalizedBody`) is about this bundle's envelope: the
/// SET and inclusion proof only say the log holds *some* body, so without this an entry for
/// another signature could vouch for this one.
///
/// Two kinds carry DSSE envelopes: `dsse` 0.0.1 (what model_signing writes) and `intoto` 0.0.2.
/// Checked: the payload's SHA-256, the signature bytes, and that the certificate the log
/// recorded is the bundle's leaf. (`envelopeHash` is not recomputed: it hashes Rekor's own
/// re-serialisation of the envelope; the payload hash and signature already pin the envelope.)
struct TransparencyLogBody {
    let file: String
    let envelope: Envelope

    struct Hash: Decodable { var algorithm: String?; var value: String? }
    struct DSSESignature: Decodable { var signature: String?; var verifier: String? }
    struct IntotoSignature: Decodable { var sig: String?; var publicKey: String? }
    struct IntotoEnvelope: Decodable { var payloadType: String?; var signatures: [IntotoSignature]? }
    struct IntotoContent: Decodable { var envelope: IntotoEnvelope?; var payloadHash: Hash? }
    struct Spec: Decodable {
        var payloadHash: Hash?
        var signatures: [DSSESignature]?
        var content: IntotoContent?
    }
    struct Body: Decodable { var apiVersion: String?; var kind: String?; var spec: Spec? }

    func check(_ entry: TransparencyLogEntry, leaf: [UInt8]) throws(ModelSigningError) {
        let body = try StrictJSON.decode(Body.self, from: entry.body, file: file, prefix: "tlogEntries.canonicalizedBody")
        guard body.kind == entry.kind, body.apiVersion == entry.kindVersion else {
            throw mismatch("the body is a \(body.kind ?? "?") \(body.apiVersion ?? "?") entry, the bundle says \(entry.kind) \(entry.kindVersion)")
        }
        let spec = body.spec
        let pairs: [(signature: String?, certificate: String?)]
        let payloadHash: Hash?
        switch (entry.kind, entry.kindVersion) {
        case ("dsse", "0.0.1"):
            payloadHash = spec?.payloadHash
            pairs = (spec?.signatures ?? []).map { ($0.signature, $0.verifier) }
        case ("intoto", "0.0.2"):
            payloadHash = spec?.content?.payloadHash
            // intoto 0.0.2 stores the envelope's base64 signature base64-encoded once more.
            pairs = (spec?.content?.envelope?.signatures ?? []).map { (decodeText($0.sig), $0.publicKey) }
        default:
            throw ModelSigningError(file: file, reason: .unsupportedFormat(field: "tlogEntries.kindVersion", value: "\(entry.kind) \(entry.kindVersion)"))
        }
        let expected = Hex.encode(Array(SHA256.hash(data: envelope.payload)))
        guard payloadHash?.algorithm == "sha256", payloadHash?.value?.lowercased() == expected else {
            throw mismatch("its payload hash \(payloadHash?.value ?? "(none)") is not the envelope payload's sha256 \(expected)")
        }
        guard pairs.count == 1, let signature = pairs[0].signature.flatMap({ Data(base64Encoded: $0) }),
              Array(signature) == envelope.signature else {
            throw mismatch("its signature is not the envelope's")
        }
        guard let pem = pairs[0].certificate.flatMap(decodeText),
              let der = try? PEMBlocks.single("CERTIFICATE", in: pem, what: "the logged certificate"), der == leaf else {
            throw mismatch("the certificate it records is not the bundle's signing certificate")
        }
    }

    /// Base64 text decoded to UTF-8 text (Rekor stores PEM and intoto signatures this way).
    private func decodeText(_ base64: String?) -> String? {
        base64.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    private func mismatch(_ problem: String) -> ModelSigningError {
        ModelSigningError(file: file, reason: .logEntryForOtherSignature(problem: problem))
    }
}
