import PinDigest
import PinModelSigning
public import PinLock
public import PinModel
public import PinStore
public import PinVerify
import SystemPackage

/// Who vouches for a model's files: OpenPGP signatures published in the repo, or an OpenSSF
/// model-signing bundle (`model.sig`), checked against modelpin's own keyring and the model's
/// pinned signers (`signers = [...]` in modelpin.toml). One policy for both: the model is
/// vouched for by a good OpenPGP signature of a pinned fingerprint, or a good `model.sig` of a
/// pinned OMS signer (see `verify`).
///
/// Hugging Face has no per-file signatures of its own, so a publisher signs documents in the
/// repo: a checksum list (`SHA256SUMS` with `SHA256SUMS.asc`/`.sig` beside it, or clearsigned)
/// whose entries vouch for files by digest — small, so checking it costs milliseconds — or a
/// detached signature beside a file (`FILE.asc`/`FILE.sig`), checked against the store's blob
/// (the download is never repeated). When signers are required, every file of the model must be
/// vouched for by a good signature of a pinned key; anything else refuses the pull.
public struct SignatureGate: Sendable {
    public let keyring: Keyring
    public let store: Store

    public init(keyring: Keyring, store: Store) {
        self.keyring = keyring
        self.store = store
    }

    static let checksumList = "SHA256SUMS"
    /// The OpenSSF model-signing bundle, at the snapshot's root (model_signing's default name).
    public static let modelSignature = "model.sig"
    static let signatureExtensions = [".asc", ".sig"]
    /// No honest signature is larger; a bigger "signature" is refused unread.
    static let maximumSignatureSize: Int64 = 64 << 10
    static let maximumChecksumListSize: Int64 = 16 << 20

    /// The signature documents among `listing` that can vouch for `selected`: they are fetched
    /// and locked with the model even when the include patterns would leave them out. `oms`:
    /// OMS signers are pinned, so `model.sig` is one (else it is an ordinary file, which only an
    /// OpenPGP signature can vouch for, and is fetched only when the patterns select it).
    public static func documents(in listing: [String], for selected: Set<String>, oms: Bool = false) -> Set<String> {
        let all = Set(listing)
        var documents = Set<String>()
        if oms, all.contains(modelSignature) { documents.insert(modelSignature) }
        if all.contains(checksumList) {
            documents.insert(checksumList)
            for suffix in signatureExtensions where all.contains(checksumList + suffix) { documents.insert(checksumList + suffix) }
        }
        for path in selected {
            for suffix in signatureExtensions where all.contains(path + suffix) { documents.insert(path + suffix) }
        }
        return documents
    }

    /// What vouched for a model.
    public struct Vouch: Sendable, Equatable, Encodable {
        public let signer: SignerID
        /// The OpenPGP key's first user id; for an OMS certificate, the id of the CA it chains to.
        public let userID: String?
        /// The signature documents that were checked, sorted.
        public let documents: [String]

        public var kind: SignatureKind { signer.kind }

        enum CodingKeys: String, CodingKey { case signer, kind, userID, documents }

        /// `signer` as its pin's spelling (40 hex for OpenPGP, as before), with its `kind`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(signer.description, forKey: .signer)
            try container.encode(kind, forKey: .kind)
            try container.encode(userID, forKey: .userID)
            try container.encode(documents, forKey: .documents)
        }
    }

    /// Checks that `model` is vouched for by one of `signers`, of either kind.
    ///
    /// When OMS signers are pinned and the model has a `model.sig` at its root, the bundle
    /// decides: it must verify against the pinned keys (or a pinned identity's certificate
    /// chaining to a CA in the keyring), and every other file must be a resource of its
    /// statement with the digest the store proved; a bundle that fails refuses the model, even
    /// when OpenPGP signers are pinned too (a bad signature is never skipped). Otherwise the
    /// OpenPGP documents decide, against the OpenPGP signers.
    public func verify(_ model: LockedModel, signers: [SignerID]) throws -> Vouch {
        let (openpgp, oms) = SignerID.split(signers)
        if !oms.isEmpty, let bundle = model.files.first(where: { $0.path == Self.modelSignature }) {
            let bytes = try blob(bundle, limit: Int64(ModelSignature.maximumBundleSize))
            return try ModelSignatureCheck(store: store, keyring: OMSKeyring(directory: FilePath(keyring.directory)))
                .verify(model, bundle: bytes, pinned: oms)
        }
        guard !openpgp.isEmpty else {
            throw ProjectError.noModelSignature(alias: model.alias.rawValue, repo: model.repo)
        }
        return try verify(model, signers: openpgp)
    }

    /// Checks that every file of `model` is vouched for by a good signature of one of `signers`.
    /// Every file's blob must be in the store.
    ///
    /// Every file ends up in exactly one of two roles: a signature that verified (good, by a
    /// pinned key, over the file it names), or an ordinary file that such a signature vouches
    /// for. A file that merely looks like a signature (`config.json.sig`, an unsigned
    /// `SHA256SUMS`) gets neither role by its name: otherwise a hostile author could ship a
    /// "signature" that is not one and have it locked and laid out unchecked.
    func verify(_ model: LockedModel, signers: [Fingerprint]) throws -> Vouch {
        let pinned = Set(signers)
        let policy = SignaturePolicy(pinned: pinned)
        let files = Dictionary(uniqueKeysWithValues: model.files.map { ($0.path, $0) })
        var vouched = Set<String>()
        var verified = Set<String>()
        var accepted: [(document: String, signer: Fingerprint, userID: String?)] = []

        func check(_ checks: [SignatureCheck], _ document: String) throws {
            switch policy.decide(checks, document: "\(model.repo): \(document)") {
            case .accepted(let signer, let userID):
                accepted.append((document, signer, userID))
                verified.insert(document)
            case .refused(let refusal): throw refusal
            }
        }

        // A signed checksum list vouches for every file it lists with the locked digest. Each of
        // its detached signatures must verify; one that does not is refused, not skipped.
        if let sums = files[Self.checksumList] {
            let sumsBytes = try blob(sums, limit: Self.maximumChecksumListSize)
            var signedText: [UInt8]?
            let signatures = Self.signatureExtensions.compactMap { files[Self.checksumList + $0] }
            for signature in signatures {
                let checks = try keyring.verifyDetached(
                    signature: try blob(signature, limit: Self.maximumSignatureSize), signatureSource: "\(model.repo): \(signature.path)",
                    data: sumsBytes)
                try check(checks, signature.path)
                signedText = sumsBytes
            }
            if signatures.isEmpty, sumsBytes.starts(with: Array("-----BEGIN PGP SIGNED MESSAGE-----".utf8)) {
                let (text, checks) = try keyring.verifyClearsigned(sumsBytes, source: "\(model.repo): \(sums.path)")
                try check(checks, sums.path)
                signedText = text
            }
            if let signedText {
                vouched.insert(sums.path)
                let list = try ChecksumList.parse(signedText, source: "\(model.repo): \(Self.checksumList)")
                for file in model.files {
                    guard let listed = list.digest(of: file.path) else { continue }
                    guard listed == file.sha256 else {
                        throw ProjectError.signedDigestDiffers(alias: model.alias.rawValue, path: file.path, signed: listed, locked: file.sha256)
                    }
                    vouched.insert(file.path)
                }
            }
        }

        // A detached signature beside a file must verify over that file's blob, even when the
        // file is vouched for already — unless the signed list vouches for the signature's own
        // bytes, which makes it an ordinary file. Longest names first: `a.sig.asc` is checked
        // before the `a.sig` it may vouch for.
        for signature in model.files.sorted(by: { $0.path > $1.path }) where !vouched.contains(signature.path) {
            guard let file = Self.signedFile(of: signature.path, in: files), file.path != Self.checksumList else { continue }
            try verifyDetached(signature, over: file, in: model, check)
            vouched.insert(file.path)
        }

        let uncovered = model.files.map(\.path).filter { !vouched.contains($0) && !verified.contains($0) }
        let pretenders = uncovered.filter(Self.looksLikeSignature)
        guard pretenders.isEmpty else {
            throw ProjectError.unverifiedSignatureFiles(alias: model.alias.rawValue, repo: model.repo, paths: pretenders)
        }
        guard uncovered.isEmpty, let first = accepted.min(by: { $0.document < $1.document }) else {
            throw ProjectError.unsigned(alias: model.alias.rawValue, repo: model.repo, paths: uncovered.isEmpty ? model.files.map(\.path) : uncovered)
        }
        return Vouch(signer: .openpgp(first.signer), userID: first.userID, documents: accepted.map(\.document).sorted())
    }

    /// The gate's answer for `model`: allow, with who vouched, or a refusal saying why. A
    /// failure around the check (the store, the OpenPGP engine) is no decision: it is thrown.
    public func decide(_ model: LockedModel, signers: [SignerID]) throws -> (decision: GateDecision, vouch: Vouch?) {
        do {
            let vouch = try verify(model, signers: signers)
            return (GateDecision(gate: .signature, subject: model.alias.rawValue, decision: .allow), vouch)
        } catch let error as any ModelpinError where error.kind == .refused {
            return (GateDecision(gate: .signature, subject: model.alias.rawValue, decision: .refuse(error)), nil)
        }
    }

    /// Decides, acts on the decision (`decisions`), and reports who vouched: nil when a review
    /// turned a refusal into a warning (the model goes on, vouched for by no one).
    func check(_ model: LockedModel, signers: [SignerID], decisions: Decisions) throws -> Vouch? {
        let (decision, vouch) = try decide(model, signers: signers)
        try decisions.act(decision)
        guard let vouch else { return nil }
        decisions.events.emit(.signatureChecked(
            model: model.alias.rawValue, kind: vouch.kind, signer: vouch.signer.description, userID: vouch.userID, documents: vouch.documents))
        return vouch
    }

    /// Checks the detached `signature` over `file`'s blob, streamed from the store.
    private func verifyDetached(
        _ signature: LockedFile, over file: LockedFile, in model: LockedModel, _ check: ([SignatureCheck], String) throws -> Void
    ) throws {
        let signatureBytes = try blob(signature, limit: Self.maximumSignatureSize)
        let (descriptor, _) = try Self.openBlob(file.sha256, in: store)
        defer { try? descriptor.close() }
        let checks = try keyring.verifyDetached(
            signature: signatureBytes, signatureSource: "\(model.repo): \(signature.path)", fileDescriptor: descriptor.rawValue)
        try check(checks, signature.path)
    }

    /// Opens the store's blob `digest` for reading; returns its path too, for messages.
    static func openBlob(_ digest: SHA256Digest, in store: Store) throws -> (FileDescriptor, FilePath) {
        let path = try store.path(of: digest)
        do {
            return (try FileDescriptor.open(path, .readOnly, options: [.closeOnExec]), path)
        } catch {
            throw StoreError.io(operation: "open", path: path, (error as? Errno) ?? .ioError)
        }
    }

    /// The file a detached signature at `path` names (`config.json` for `config.json.sig`), if
    /// the model has it.
    private static func signedFile(of path: String, in files: [String: LockedFile]) -> LockedFile? {
        for suffix in signatureExtensions where path.hasSuffix(suffix) {
            if let file = files[String(path.dropLast(suffix.count))] { return file }
        }
        return nil
    }

    /// Names people and tools read as signatures or checksum lists. Only `.asc`/`.sig` beside a
    /// file and `SHA256SUMS` are checked as such; the others can only be vouched for as files.
    /// The list serves the error message: a pretender is named as what it claims to be.
    static func looksLikeSignature(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let suffixes = signatureExtensions + [".sign", ".gpg", ".pgp", ".minisig", ".sigstore", ".p7s"]
        return suffixes.contains { name.hasSuffix($0) } || name.uppercased().hasPrefix(checksumList)
    }

    /// A small blob's bytes, refused unread when larger than `limit`.
    private func blob(_ file: LockedFile, limit: Int64) throws -> [UInt8] {
        guard file.size <= limit else {
            throw ProjectError.signatureDocumentTooLarge(path: file.path, size: file.size, limit: limit)
        }
        let path = try store.path(of: file.sha256)
        guard let bytes = try AtomicFile.read(path), Int64(bytes.count) == file.size else {
            throw StoreError.blobNotFound(file.sha256)
        }
        return bytes
    }
}
