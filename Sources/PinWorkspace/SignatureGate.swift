import PinDigest
public import PinLock
import PinModel
public import PinStore
public import PinVerify
import SystemPackage

/// Who vouches for a model's files: OpenPGP signatures published in the repo, checked against
/// modelpin's own keyring and the model's pinned signers (`signers = [...]` in modelpin.toml).
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
    static let signatureExtensions = [".asc", ".sig"]
    /// No honest signature is larger; a bigger "signature" is refused unread.
    static let maximumSignatureSize: Int64 = 64 << 10
    static let maximumChecksumListSize: Int64 = 16 << 20

    /// The signature documents among `listing` that can vouch for `selected`: they are fetched
    /// and locked with the model even when the include patterns would leave them out.
    public static func documents(in listing: [String], for selected: Set<String>) -> Set<String> {
        let all = Set(listing)
        var documents = Set<String>()
        if all.contains(checksumList) {
            documents.insert(checksumList)
            for suffix in signatureExtensions where all.contains(checksumList + suffix) { documents.insert(checksumList + suffix) }
        }
        for path in selected {
            for suffix in signatureExtensions where all.contains(path + suffix) { documents.insert(path + suffix) }
        }
        return documents
    }

    /// The files whose blobs `verify` reads: the documents and every file with its own signature.
    public static func neededBlobs(of files: [LockedFile]) -> Set<String> {
        let paths = Set(files.map(\.path))
        var needed = Set<String>()
        for path in paths {
            if path == checksumList { needed.insert(path) }
            for suffix in signatureExtensions where path.hasSuffix(suffix) {
                needed.insert(path)
                let signed = String(path.dropLast(suffix.count))
                if paths.contains(signed), signed != checksumList { needed.insert(signed) }
            }
        }
        return needed
    }

    /// What vouched for a model.
    public struct Vouch: Sendable, Equatable, Encodable {
        public let signer: Fingerprint
        public let userID: String?
        /// The signature documents that were checked, sorted.
        public let documents: [String]
    }

    /// Checks that every file of `model` is vouched for by a good signature of one of `signers`.
    /// Every blob named by `neededBlobs` must be in the store.
    public func verify(_ model: LockedModel, signers: [String]) throws -> Vouch {
        let pinned = try Set(signers.map { try Fingerprint(parsing: $0) })
        let policy = SignaturePolicy(pinned: pinned)
        let files = Dictionary(uniqueKeysWithValues: model.files.map { ($0.path, $0) })
        var vouched = Set<String>()
        var exempt = Set<String>()
        var accepted: [(document: String, signer: Fingerprint, userID: String?)] = []

        func check(_ checks: [SignatureCheck], _ document: String) throws {
            switch policy.decide(checks, document: "\(model.repo): \(document)") {
            case .accepted(let signer, let userID): accepted.append((document, signer, userID))
            case .refused(let refusal): throw refusal
            }
        }

        // A signed checksum list vouches for every file it lists with the locked digest.
        if let sums = files[Self.checksumList] {
            exempt.insert(sums.path)
            let sumsBytes = try blob(sums, limit: Self.maximumChecksumListSize)
            var signedText: [UInt8]?
            if let signature = Self.signatureExtensions.lazy.compactMap({ files[Self.checksumList + $0] }).first {
                exempt.insert(signature.path)
                let checks = try keyring.verifyDetached(
                    signature: try blob(signature, limit: Self.maximumSignatureSize), signatureSource: "\(model.repo): \(signature.path)",
                    data: sumsBytes)
                try check(checks, signature.path)
                signedText = sumsBytes
            } else if sumsBytes.starts(with: Array("-----BEGIN PGP SIGNED MESSAGE-----".utf8)) {
                let (text, checks) = try keyring.verifyClearsigned(sumsBytes, source: "\(model.repo): \(sums.path)")
                try check(checks, sums.path)
                signedText = text
            }
            if let signedText {
                let list = try ChecksumList.parse(signedText, source: "\(model.repo): \(Self.checksumList)")
                for file in model.files {
                    guard let listed = list.digest(of: file.path) else { continue }
                    guard listed == file.sha256 else {
                        throw ProjectError.signedDigestDiffers(alias: model.alias, path: file.path, signed: listed, locked: file.sha256)
                    }
                    vouched.insert(file.path)
                }
            }
        }

        // A detached signature beside a file vouches for that file, checked against its blob.
        for file in model.files.sorted(by: { $0.path < $1.path }) where !vouched.contains(file.path) && !exempt.contains(file.path) {
            guard let signature = Self.signatureExtensions.lazy.compactMap({ files[file.path + $0] }).first else { continue }
            exempt.insert(signature.path)
            let signatureBytes = try blob(signature, limit: Self.maximumSignatureSize)
            let path = try store.path(of: file.sha256)
            let descriptor: FileDescriptor
            do {
                descriptor = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec])
            } catch {
                throw StoreError.io(operation: "open", path: path, (error as? Errno) ?? .ioError)
            }
            defer { try? descriptor.close() }
            let checks = try keyring.verifyDetached(
                signature: signatureBytes, signatureSource: "\(model.repo): \(signature.path)", fileDescriptor: descriptor.rawValue)
            try check(checks, signature.path)
            vouched.insert(file.path)
        }

        let uncovered = model.files.map(\.path).filter { !vouched.contains($0) && !exempt.contains($0) && !Self.isSignature($0, in: files) }
        guard uncovered.isEmpty, let first = accepted.min(by: { $0.document < $1.document }) else {
            throw ProjectError.unsigned(alias: model.alias, repo: model.repo, paths: uncovered.isEmpty ? model.files.map(\.path) : uncovered)
        }
        return Vouch(signer: first.signer, userID: first.userID, documents: accepted.map(\.document).sorted())
    }

    private static func isSignature(_ path: String, in files: [String: LockedFile]) -> Bool {
        signatureExtensions.contains { path.hasSuffix($0) && files[String(path.dropLast($0.count))] != nil }
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
