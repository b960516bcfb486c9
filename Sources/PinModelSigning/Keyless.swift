import Crypto
import FoundationEssentials
import PinDigest
import PinModel
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// Keyless (Sigstore: Fulcio certificate + Rekor entry) verification, offline, against trust
/// roots the user imported. What it checks, in order, for every tlog entry of the bundle:
///
/// 1. the entry was made by a log of a trust root (its `logId.keyId`), whose key was valid at
///    the entry's `integratedTime`, and the log's promise (SET) over the entry verifies;
/// 2. its inclusion proof, when present, leads to the root hash of a checkpoint the same log signed;
/// 3. its body is about this envelope: same payload hash, signature and certificate;
/// and then, at the logged time (not now): the leaf was valid, it chains to a Fulcio CA of the
/// same trust root that was valid too, it may sign code, and it verifies the DSSE signature.
struct KeylessVerifier {
    let file: String
    let envelope: Envelope

    /// Every imported root that names the entries' log is a candidate; the first under which
    /// everything holds vouches. When none does, the first candidate's refusal is reported.
    func verify(certificate der: [UInt8], entries: [TransparencyLogEntry], roots: [TrustedRoot]) throws(ModelSigningError) -> SignerIdentity {
        guard !roots.isEmpty else { throw fail(.keylessUnsupported) }
        guard let first = entries.first else {
            throw fail(.malformed(field: "verificationMaterial.tlogEntries", problem: "a keyless bundle needs a transparency-log entry"))
        }
        let leaf = try CertificateChecks.certificate(der, what: "\(file): verificationMaterial.certificate")
        let candidates = roots.filter { $0.transparencyLogs.contains { $0.keyID == first.logID } }
        guard !candidates.isEmpty else { throw fail(.unknownTransparencyLog(keyID: Hex.encode(first.logID))) }
        var refusal: ModelSigningError?
        for root in candidates {
            do {
                return try verify(leaf: leaf, der: der, entries: entries, root: root)
            } catch {
                refusal = refusal ?? error
            }
        }
        throw refusal!
    }

    private func verify(leaf: Certificate, der: [UInt8], entries: [TransparencyLogEntry], root: TrustedRoot) throws(ModelSigningError) -> SignerIdentity {
        for entry in entries {
            let log = try log(for: entry, in: root)
            try checkPromise(entry, log: log)
            if let proof = entry.inclusionProof { try checkProof(proof, entry: entry, log: log) }
            try TransparencyLogBody(file: file, envelope: envelope).check(entry, leaf: der)
        }
        // Every entry must hold; the first one's time is when the leaf and its chain must have been valid.
        return try verifyLeaf(leaf, at: Date(timeIntervalSince1970: Double(entries[0].integratedTime)), root: root)
    }

    private func verifyLeaf(_ leaf: Certificate, at time: Date, root: TrustedRoot) throws(ModelSigningError) -> SignerIdentity {
        let subject = CertificateChecks.identity(of: leaf)
        guard leaf.notValidBefore <= time, time <= leaf.notValidAfter else {
            throw fail(.outsideValidity(what: "the signing certificate \(subject)", time: LogTime.render(time)))
        }
        try chain(leaf, at: time, authorities: root.certificateAuthorities)
        guard (try? leaf.extensions.extendedKeyUsage)?.contains(.codeSigning) == true else {
            throw fail(.certificateNotForSigning(subject: subject))
        }
        let key = try ECPublicKey(certificateKey: leaf.publicKey, what: "\(file): the signing certificate's key")
        guard ModelSignature.dsseVerifies(envelope, with: key, compatHash: .curve) else {
            throw fail(.badSignature(signer: "the certificate \(subject)"))
        }
        return .sigstore(identity: try SigstoreIdentity(leaf, file: file).pin, trustedRoot: root.id)
    }

    /// The leaf must chain to a Fulcio CA valid at `time`. A chain only to a CA outside its
    /// `validFor` is named as such, so an expired CA is not reported as an unknown one.
    private func chain(_ leaf: Certificate, at time: Date, authorities: [FulcioAuthority]) throws(ModelSigningError) {
        var lastProblem = "no chain leads from it to a Fulcio CA of the trusted root"
        for authority in authorities where authority.validFor.contains(time) {
            switch CertificateChecks.validate(leaf, roots: [authority.root], intermediates: Array(authority.intermediates), at: time) {
            case nil: return
            case let problem?: lastProblem = problem
            }
        }
        for authority in authorities where !authority.validFor.contains(time) {
            if CertificateChecks.validate(leaf, roots: [authority.root], intermediates: Array(authority.intermediates), at: time) == nil {
                throw fail(.outsideValidity(what: "the Fulcio CA \(authority.root.subject)", time: LogTime.render(time)))
            }
        }
        throw fail(.untrustedCertificate(subject: leaf.subject.description, problem: lastProblem))
    }

    /// The log key of `root` that made `entry`; it must have been valid at the entry's time.
    private func log(for entry: TransparencyLogEntry, in root: TrustedRoot) throws(ModelSigningError) -> TransparencyLogKey {
        guard let log = root.transparencyLogs.first(where: { $0.keyID == entry.logID }) else {
            throw fail(.unknownTransparencyLog(keyID: Hex.encode(entry.logID)))
        }
        let time = Date(timeIntervalSince1970: Double(entry.integratedTime))
        guard log.validFor.contains(time) else {
            throw fail(.outsideValidity(what: "the transparency log key \(Hex.encode(log.keyID))", time: LogTime.render(time)))
        }
        return log
    }

    /// The SET: the log's ECDSA signature over the RFC 8785 canonical JSON of the entry's body,
    /// time, log id (hex) and index. Every value is a base64 string, hex or an integer, so the
    /// canonical form is written directly: keys in order, no spaces, nothing to escape.
    private func checkPromise(_ entry: TransparencyLogEntry, log: TransparencyLogKey) throws(ModelSigningError) {
        guard let set = entry.signedEntryTimestamp else {
            throw fail(.badLogPromise(problem: "the entry has no inclusionPromise (its integratedTime is then unsigned)"))
        }
        let canonical = "{\"body\":\"\(entry.bodyBase64)\",\"integratedTime\":\(entry.integratedTime),"
            + "\"logID\":\"\(Hex.encode(entry.logID))\",\"logIndex\":\(entry.logIndex)}"
        guard log.key.isValid(signature: set, for: Array(canonical.utf8)) else {
            throw fail(.badLogPromise(problem: "the signed entry timestamp does not verify with the log key \(Hex.encode(log.keyID))"))
        }
    }

    private func checkProof(_ proof: InclusionProof, entry: TransparencyLogEntry, log: TransparencyLogKey) throws(ModelSigningError) {
        let leaf = MerkleProof.leafHash(entry.body)
        guard let computed = MerkleProof.root(leaf: leaf, index: proof.logIndex, size: proof.treeSize, path: proof.hashes) else {
            throw fail(.badInclusionProof(problem: "\(proof.hashes.count) hashes do not form a path for leaf \(proof.logIndex) of \(proof.treeSize)"))
        }
        guard computed == proof.rootHash else {
            throw fail(.badInclusionProof(problem: "the audit path leads to \(Hex.encode(computed)), not the proof's root hash \(Hex.encode(proof.rootHash))"))
        }
        guard let checkpoint = Checkpoint(proof.checkpoint) else {
            throw fail(.badInclusionProof(problem: "the checkpoint is not a signed note"))
        }
        guard checkpoint.rootHash == proof.rootHash, checkpoint.treeSize == proof.treeSize else {
            throw fail(.badInclusionProof(problem: "the checkpoint is for another tree (size \(checkpoint.treeSize))"))
        }
        guard checkpoint.isSigned(by: log) else {
            throw fail(.badInclusionProof(problem: "the checkpoint is not signed by the log key \(Hex.encode(log.keyID))"))
        }
    }

    private func fail(_ reason: ModelSigningError.Reason) -> ModelSigningError { ModelSigningError(file: file, reason: reason) }
}

/// Who a Fulcio certificate names: the OIDC issuer that vouched for the signer (extension
/// 1.3.6.1.4.1.57264.1.8, or the legacy raw-string 1.3.6.1.4.1.57264.1.1) and the subject
/// alternative name (e-mail or URI) it vouched for. Pinned as `oms-cert:ISSUER|SAN`.
struct SigstoreIdentity {
    static let issuerV2: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 8]
    static let issuerV1: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 1]

    let issuer: String
    let san: String
    var pin: String { "\(issuer)|\(san)" }

    init(_ leaf: Certificate, file: String) throws(ModelSigningError) {
        let what = "the signing certificate \(leaf.subject)"
        if let v2 = leaf.extensions[oid: Self.issuerV2] {
            guard let text = try? ASN1UTF8String(derEncoded: v2.value) else {
                throw ModelSigningError(file: file, reason: .badKeyMaterial(what: what, problem: "its OIDC issuer extension (1.3.6.1.4.1.57264.1.8) is not a UTF8String"))
            }
            issuer = String(text)
        } else if let v1 = leaf.extensions[oid: Self.issuerV1] {
            issuer = String(decoding: v1.value, as: UTF8.self)
        } else {
            throw ModelSigningError(file: file, reason: .badKeyMaterial(what: what, problem: "it names no OIDC issuer (extension 1.3.6.1.4.1.57264.1.8)"))
        }
        var found: String?
        if let names = try? leaf.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .rfc822Name(let mail): found = found ?? mail
                case .uniformResourceIdentifier(let uri): found = found ?? uri
                default: continue
                }
            }
        }
        guard let found else {
            throw ModelSigningError(file: file, reason: .badKeyMaterial(what: what, problem: "it has no e-mail or URI subject alternative name"))
        }
        guard !issuer.isEmpty, !issuer.contains("|"), !issuer.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
              !found.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw ModelSigningError(file: file, reason: .badKeyMaterial(what: what, problem: "its issuer or SAN holds a control character or `|`"))
        }
        san = found
    }
}

/// Seconds since the epoch as `2026-12-03T07:00:00Z`, for messages.
enum LogTime {
    static func render(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let day = CivilCalendar.day(ofSeconds: seconds)
        let (year, month, dayOfMonth) = CivilCalendar.civil(days: day)
        let rest = seconds - day * 86_400
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(dayOfMonth))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }
}
