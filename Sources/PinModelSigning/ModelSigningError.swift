public import PinModel

/// Why a `model.sig` (an OpenSSF model-signing bundle) was refused or could not be read.
///
/// Every refusal names what it is about: the file (the bundle's own name, or a model file), the
/// JSON field, the key hint or certificate identity, so a person can tell a tampered weight from
/// a signature by someone else.
public struct ModelSigningError: ModelpinError, Equatable {
    public enum Reason: Sendable, Equatable {
        // The bundle itself
        /// The bytes end before the JSON does: a cut-off download or copy.
        case truncatedBundle
        /// Larger than `ModelSignature.maximumBundleSize`: refused before parsing.
        case bundleTooLarge(size: Int, limit: Int)
        /// Not JSON, or a field is missing, of the wrong type or has a refused value (the field's
        /// dotted path, for example `dsseEnvelope.signatures[0].sig`, and what is wrong with it).
        case malformed(field: String, problem: String)
        /// A media type, payload type, statement type or predicate type this reader does not know.
        case unsupportedFormat(field: String, value: String)

        // The signature
        /// A key bundle whose `publicKey.hint` names no pinned key (the hint as written, or nil).
        case unknownKey(hint: String?)
        /// No pinned key or certificate's key verifies the signature over the DSSE envelope.
        case badSignature(signer: String)
        /// The certificate chain does not lead to a pinned CA (the leaf's subject, and why).
        case untrustedCertificate(subject: String, problem: String)
        /// A leaf certificate that may not sign code (neither digitalSignature nor codeSigning).
        case certificateNotForSigning(subject: String)
        /// A keyless Sigstore bundle (Fulcio certificate + Rekor entry) with no trust root
        /// imported: offline, it can only be checked against a `trusted_root.json` the user chose.
        case keylessUnsupported
        /// A transparency-log entry by a log no imported trust root names (its key id, hex).
        case unknownTransparencyLog(keyID: String)
        /// The log's promise (SET) is missing or does not verify over the entry.
        case badLogPromise(problem: String)
        /// The entry's inclusion proof or its checkpoint does not hold.
        case badInclusionProof(problem: String)
        /// The log entry's body is about another envelope, signature or certificate.
        case logEntryForOtherSignature(problem: String)
        /// A certificate, CA or log key that was not valid at the entry's logged time (what, when).
        case outsideValidity(what: String, time: String)
        /// A key or certificate that is not ECDSA on P-256, P-384 or P-521.
        case unsupportedKey(String)
        /// A PEM or DER key or certificate that could not be read (what, and why).
        case badKeyMaterial(what: String, problem: String)

        // The statement against the model
        /// The subject's digest is not the SHA-256 over the resources' digests.
        case inconsistentStatement(expected: String, computed: String)
        /// The statement names another model than the one being checked.
        case otherModel(signed: String, expected: String)
        /// A resource whose bytes hash to something else (the resource name, signed and actual).
        case tamperedFile(resource: String, signed: String, actual: String)
        /// A model file the statement does not list (and that no `ignore_paths` entry covers).
        case extraFile(path: String)
        /// A resource the statement lists that the model does not have.
        case missingFile(resource: String)
        /// A hash type this verifier does not compute (for example `blake3`).
        case unsupportedHash(String)
        /// The caller's reader failed on a model file (the path and its error).
        case unreadable(path: String, problem: String)
    }

    /// The bundle file (or for model-file reasons, the signed model) the error is about.
    public let file: String
    public let reason: Reason

    public init(file: String, reason: Reason) {
        self.file = file
        self.reason = reason
    }

    public var kind: FailureKind {
        switch reason {
        case .unreadable: .operational
        default: .refused
        }
    }

    public var description: String {
        switch reason {
        case .truncatedBundle: "\(file): the signature bundle is truncated (the JSON ends early)"
        case .bundleTooLarge(let size, let limit): "\(file): \(size) bytes is larger than a signature bundle may be (\(limit))"
        case .malformed(let field, let problem): "\(file): field \(field): \(problem)"
        case .unsupportedFormat(let field, let value): "\(file): field \(field) is \(value), which modelpin does not read"
        case .unknownKey(let hint): "\(file): signed by a key that is not pinned (publicKey.hint \(hint ?? "absent"))"
        case .badSignature(let signer): "\(file): the signature does not verify with \(signer)"
        case .untrustedCertificate(let subject, _): "\(file): the signing certificate \(subject) does not chain to a pinned CA"
        case .certificateNotForSigning(let subject): "\(file): the certificate \(subject) is not for signing (no digitalSignature key usage or codeSigning extended key usage)"
        case .keylessUnsupported: "\(file): keyless Sigstore bundles are not supported offline without a trusted root (none is imported)"
        case .unknownTransparencyLog(let keyID): "\(file): the transparency-log entry is from log \(keyID), which no imported trusted root names"
        case .badLogPromise: "\(file): the transparency log's signed entry timestamp does not hold"
        case .badInclusionProof: "\(file): the transparency log's inclusion proof does not hold"
        case .logEntryForOtherSignature: "\(file): the transparency-log entry is not about this signature"
        case .outsideValidity(let what, let time): "\(file): \(what) was not valid at the logged signing time \(time)"
        case .unsupportedKey(let what): "\(file): \(what) is not an ECDSA P-256, P-384 or P-521 key"
        case .badKeyMaterial(let what, _): "\(file): \(what) could not be read"
        case .inconsistentStatement: "\(file): the statement's subject digest does not match its resources"
        case .otherModel(let signed, let expected): "\(file): the statement signs the model '\(signed)', not '\(expected)'"
        case .tamperedFile(let resource, _, _): "\(file): \(resource) does not match its signed digest"
        case .extraFile(let path): "\(file): \(path) is in the model but not in the signed statement"
        case .missingFile(let resource): "\(file): \(resource) is signed but missing from the model"
        case .unsupportedHash(let name): "\(file): hash type \(name) is not supported (sha256 and blake2b are)"
        case .unreadable(let path, _): "\(file): could not read \(path)"
        }
    }

    public var causes: [String] {
        switch reason {
        case .untrustedCertificate(_, let problem), .badKeyMaterial(_, let problem), .unreadable(_, let problem),
             .badLogPromise(let problem), .badInclusionProof(let problem), .logEntryForOtherSignature(let problem):
            [problem]
        case .inconsistentStatement(let expected, let computed):
            ["expected: sha256:\(expected)", "actual:   sha256:\(computed)"]
        case .tamperedFile(_, let signed, let actual):
            ["expected: \(signed)", "actual:   \(actual)"]
        default: []
        }
    }

    public var hint: String? {
        switch reason {
        case .truncatedBundle: "fetch model.sig again; a complete bundle ends with the closing brace of its JSON object"
        case .unknownKey, .badSignature: "pin the publisher's public key (modelpin keys import KEY.pem) or ask who signed this model"
        case .untrustedCertificate, .certificateNotForSigning: "pin the CA that issued the publisher's certificate (modelpin keys import CA.pem)"
        case .keylessUnsupported: "import a trusted_root.json with `modelpin keys import trusted_root.json` (or ask for a key- or certificate-signed model.sig)"
        case .unknownTransparencyLog, .outsideValidity: "import the trusted_root.json of the Sigstore instance the publisher signed with (`modelpin keys import`)"
        case .badLogPromise, .badInclusionProof, .logEntryForOtherSignature: "the bundle's transparency-log entry was altered or belongs to another signature; fetch model.sig again"
        case .tamperedFile, .extraFile, .missingFile: "the model's files are not the ones that were signed; fetch them again from the publisher"
        case .otherModel: "check that model.sig belongs to this model"
        default: nil
        }
    }
}
