import PinModel
import X509

extension ModelSignature {
    /// Checks the envelope's signature over its DSSE encoding with a pinned key, or with a leaf
    /// certificate that chains to a pinned CA; returns who signed. Nothing about the model's
    /// files is checked here (see `checkResources`).
    public func verify(trust: TrustAnchors) throws(ModelSigningError) -> SignerIdentity {
        switch material {
        case .publicKey(let hint): return try verifyWithKey(hint: hint, keys: trust.keys)
        case .certificateChain(let ders): return try verifyWithCertificates(ders, authorities: trust.certificateAuthorities)
        case .keyless(let certificate, let entries):
            return try KeylessVerifier(file: file, envelope: envelope).verify(certificate: certificate, entries: entries, roots: trust.trustedRoots)
        }
    }

    private func verifyWithKey(hint: String?, keys: [PublicKey]) throws(ModelSigningError) -> SignerIdentity {
        // A hint picks the one key it names; a bundle from before model_signing 1.0 has none,
        // and then any pinned key that verifies the signature is the signer.
        let candidates = hint.map { hint in keys.filter { $0.id == hint } } ?? keys
        guard !candidates.isEmpty else { throw ModelSigningError(file: file, reason: .unknownKey(hint: hint)) }
        for key in candidates where signatureVerifies(with: key.key, compatHash: .curve) {
            return .key(id: key.id)
        }
        throw ModelSigningError(file: file, reason: .badSignature(signer: hint.map { "the key \($0)" } ?? "any pinned key"))
    }

    private func verifyWithCertificates(_ ders: [[UInt8]], authorities: [CertificateAuthority]) throws(ModelSigningError) -> SignerIdentity {
        var chain: [Certificate] = []
        for (index, der) in ders.enumerated() {
            chain.append(try CertificateChecks.certificate(der, what: "\(file): verificationMaterial.x509CertificateChain.certificates[\(index)]"))
        }
        let leaf = chain[0]
        let authority = try CertificateChecks.verify(chain: chain, to: authorities, file: file)
        try CertificateChecks.checkSigningUsage(leaf, file: file)
        let key = try ECPublicKey(certificateKey: leaf.publicKey, what: "\(file): the signing certificate's key")
        // model_signing 0.2 signed certificate bundles with SHA-256 whatever the curve.
        guard signatureVerifies(with: key, compatHash: .sha256) else {
            throw ModelSigningError(file: file, reason: .badSignature(signer: "the certificate \(leaf.subject)"))
        }
        return .certificate(identity: CertificateChecks.identity(of: leaf), ca: authority.id)
    }

    /// The DSSE v1 encoding first, then model_signing 0.2's, as its verifiers try them.
    /// `compatHash`: the hash model_signing 0.2 used for this kind of signer (the curve's for
    /// keys, SHA-256 for certificates).
    func signatureVerifies(with key: ECPublicKey, compatHash: ECPublicKey.Hash) -> Bool {
        Self.dsseVerifies(envelope, with: key, compatHash: compatHash)
    }

    static func dsseVerifies(_ envelope: Envelope, with key: ECPublicKey, compatHash: ECPublicKey.Hash) -> Bool {
        let type = envelope.payloadType
        if key.isValid(signature: envelope.signature, for: PAE.encode(payloadType: type, payload: envelope.payload)) {
            return true
        }
        let compat = PAE.encodeCompat(payloadType: type, payload: envelope.payload)
        return key.isValid(signature: envelope.signature, for: compat, hash: compatHash)
    }

    /// Refuses a statement whose subject names another model than `name` (compared as
    /// model_signing names a model: the last component of its directory). A legacy statement
    /// names no model and passes.
    public func checkModel(named name: String) throws(ModelSigningError) {
        guard let signed = statement.modelName else { return }
        let expected = ResourcePaths.components(name).last.map(String.init) ?? name
        guard signed == expected else {
            throw ModelSigningError(file: file, reason: .otherModel(signed: signed, expected: expected))
        }
    }
}
