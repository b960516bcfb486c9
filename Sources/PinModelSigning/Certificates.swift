import Crypto
import Dispatch
import FoundationEssentials
import PinDigest
import PinModel
import SwiftASN1
// The fixed-time initializer is SPI: model_signing validates at the leaf's notValidBefore, not now.
@_spi(FixedExpiryValidationTime) import X509

/// A pinned certificate authority for `model_signing sign certificate` bundles.
public struct CertificateAuthority: Sendable {
    /// The hex SHA-256 of the CA certificate's DER (its fingerprint, as `openssl x509
    /// -fingerprint -sha256` prints it, without colons).
    public let id: String
    /// The CA's subject, for messages.
    public var subject: String { certificate.subject.description }
    let certificate: Certificate

    /// Reads one `-----BEGIN CERTIFICATE-----` block.
    public static func parsePEM(_ text: String) throws(ModelSigningError) -> CertificateAuthority {
        let der = try PEMBlocks.single("CERTIFICATE", in: text, what: "the CA certificate")
        return try CertificateAuthority(der: der)
    }

    init(der: [UInt8]) throws(ModelSigningError) {
        certificate = try CertificateChecks.certificate(der, what: "the CA certificate")
        id = PinDigest.SHA256.hash(der).hex
    }
}

/// Chain and usage checks for a bundle's certificates, the way model_signing's certificate
/// verifier makes them (OpenSSL's X509Store there, swift-certificates' RFC 5280 policy here).
enum CertificateChecks {
    static func certificate(_ der: [UInt8], what: String) throws(ModelSigningError) -> Certificate {
        do {
            return try Certificate(derEncoded: der)
        } catch {
            throw ModelSigningError(file: what, reason: .badKeyMaterial(what: what, problem: "not an X.509 certificate: \(error)"))
        }
    }

    /// Verifies that `chain[0]` (the leaf) chains through `chain[1...]` to one of `authorities`,
    /// at the leaf's notValidBefore time: model_signing sets its store's time to that moment, so a
    /// signature stays valid after the certificate expires. Returns the CA reached.
    static func verify(chain: [Certificate], to authorities: [CertificateAuthority], file: String) throws(ModelSigningError) -> CertificateAuthority {
        let leaf = chain[0]
        guard !authorities.isEmpty else {
            throw ModelSigningError(file: file, reason: .untrustedCertificate(subject: leaf.subject.description, problem: "no CA is pinned"))
        }
        let result = waitFor {
            var verifier = Verifier(rootCertificates: CertificateStore(authorities.map(\.certificate))) {
                RFC5280Policy(fixedExpiryValidationTime: leaf.notValidBefore)
            }
            return await verifier.validate(leaf: leaf, intermediates: CertificateStore(chain.dropFirst()))
        }
        switch result {
        case .validCertificate(let validated):
            let root = Array(validated).last!
            // The verifier only ends a chain at a certificate from the root store it was given.
            return authorities.first { $0.certificate == root }!
        case .couldNotValidate(let failures):
            let problem = failures.first.map { "\($0.policyFailureReason)" } ?? "no chain leads from it to a pinned CA"
            throw ModelSigningError(file: file, reason: .untrustedCertificate(subject: leaf.subject.description, problem: problem))
        }
    }

    /// Whether `leaf` chains through `intermediates` to one of `roots` at `time` (RFC 5280, at
    /// that fixed time rather than now): nil when it does, else why not. For keyless bundles,
    /// where the time is the transparency log's `integratedTime`.
    static func validate(_ leaf: Certificate, roots: [Certificate], intermediates: [Certificate], at time: Date) -> String? {
        let result = waitFor {
            var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
                RFC5280Policy(fixedExpiryValidationTime: time)
                CriticalSubjectAlternativeNames()
            }
            return await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates))
        }
        switch result {
        case .validCertificate: return nil
        case .couldNotValidate(let failures):
            return failures.first.map { "\($0.policyFailureReason)" } ?? "no chain leads from it to a Fulcio CA of the trusted root"
        }
    }

    /// model_signing accepts a leaf whose key usage has digitalSignature, or failing that whose
    /// extended key usage has codeSigning; a leaf with neither cannot sign.
    static func checkSigningUsage(_ leaf: Certificate, file: String) throws(ModelSigningError) {
        let usage = try? leaf.extensions.keyUsage
        if usage?.digitalSignature == true { return }
        let extended = try? leaf.extensions.extendedKeyUsage
        if extended?.contains(.codeSigning) == true { return }
        throw ModelSigningError(file: file, reason: .certificateNotForSigning(subject: leaf.subject.description))
    }

    /// Who the leaf names: its first SAN e-mail address or URI, else its subject.
    static func identity(of leaf: Certificate) -> String {
        if let names = try? leaf.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .rfc822Name(let mail): return mail
                case .uniformResourceIdentifier(let uri): return uri
                default: continue
                }
            }
        }
        return leaf.subject.description
    }

    /// Runs swift-certificates' async verifier to completion from synchronous code.
    ///
    /// The pipeline's gates are synchronous, and a caller may itself be running on Swift's
    /// cooperative pool (a test, a server handler): blocking a pool thread while the verifier's
    /// task waits for one could deadlock a 2-core machine. So the task prefers an executor of its
    /// own, on a Dispatch queue outside the pool, and only this thread waits. The RFC 5280 policy
    /// does no I/O.
    private static func waitFor<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task.detached(executorPreference: VerifierExecutor.shared) {
            box.value = await work()
            done.signal()
        }
        done.wait()
        return box.value!
    }
}

/// Fulcio leaves have an empty subject and so (RFC 5280 §4.2.1.6) a critical SAN extension,
/// which swift-certificates' RFC 5280 policy does not list as handled: a chain through such a
/// leaf is then dropped unreported. The keyless verifier reads and pins the SAN itself
/// (`SigstoreIdentity`), so this policy declares it handled and asks nothing more.
struct CriticalSubjectAlternativeNames: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.subjectAlternativeName]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult { .meetsPolicy }
}

/// A task executor on a serial Dispatch queue, outside the cooperative pool (see `waitFor`).
private final class VerifierExecutor: TaskExecutor {
    static let shared = VerifierExecutor()
    private let queue = DispatchQueue(label: "modelpin.model-signing.certificates")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// The result slot of `waitFor`: written once by the task before it signals, read after the wait.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

extension ECPublicKey {
    /// The key a certificate certifies, if it is ECDSA on a supported curve.
    init(certificateKey key: Certificate.PublicKey, what: String) throws(ModelSigningError) {
        if let p256 = P256.Signing.PublicKey(key) {
            self = .p256(p256)
        } else if let p384 = P384.Signing.PublicKey(key) {
            self = .p384(p384)
        } else if let p521 = P521.Signing.PublicKey(key) {
            self = .p521(p521)
        } else {
            throw ModelSigningError(file: what, reason: .unsupportedKey(what))
        }
    }
}
