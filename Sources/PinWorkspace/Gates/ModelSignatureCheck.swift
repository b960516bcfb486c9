import PinLock
import PinModel
import PinModelSigning
import PinStore
import SystemPackage

/// The signature gate's OpenSSF model-signing half: a snapshot's `model.sig` against the pinned
/// OMS signers, and its statement against the bytes in the store.
///
/// Nothing here reads the user's directory: every digest the statement names is compared with
/// the store's blob for that path, either by the SHA-256 the store proved on admission (a
/// `files`/`sha256` statement is then checked without reading a byte) or by hashing the blob
/// itself (`shards`, or another hash type).
struct ModelSignatureCheck {
    let store: Store
    let keyring: OMSKeyring

    /// `bundle`: the bytes of the model's `model.sig`, from the store.
    func verify(_ model: LockedModel, bundle bytes: [UInt8], pinned: [OMSSigner]) throws -> SignatureGate.Vouch {
        let alias = model.alias.rawValue
        let trust = try keyring.anchors(for: pinned)
        let signer: OMSSigner
        var authority: String?
        do {
            let signature = try ModelSignature.parse(bytes, file: "\(model.repo): \(SignatureGate.modelSignature)")
            switch try signature.verify(trust: trust) {
            case .key(let id): signer = .key(id: id)
            case .certificate(let identity, let ca): (signer, authority) = (.certificate(identity: identity), "CA \(ca)")
            // A keyless identity is pinned as `oms-cert:ISSUER|SAN`, vouched for by a trust root.
            case .sigstore(let identity, let root): (signer, authority) = (.certificate(identity: identity), "trusted root \(root)")
            }
            guard pinned.contains(signer) else {
                throw ProjectError.modelSignerNotPinned(alias: alias, signer: signer.description, pinned: pinned.map(\.description))
            }
            // The statement must be about this model (model_signing names a model by its
            // directory's name: the repo's name), then about exactly its stored bytes.
            try signature.checkModel(named: model.repo)
            let files = model.files.map { ModelFile(path: $0.path, size: $0.size, sha256: $0.sha256) }
            _ = try signature.checkResources(files, reader: StoreBlobReader(store: store), signatureFile: SignatureGate.modelSignature)
        } catch let error as ModelSigningError {
            throw ProjectError.modelSignatureRefused(alias: alias, error)
        }
        return SignatureGate.Vouch(signer: .oms(signer), userID: authority, documents: [SignatureGate.modelSignature])
    }
}

/// The store's blobs as PinModelSigning reads model files: by the digest the lock names for
/// the path (every `ModelFile` the gate passes carries it), never by a path in the user's directory.
struct StoreBlobReader: ModelFileReader {
    let store: Store

    func read(_ file: ModelFile, range: Range<Int64>, into consume: (UnsafeRawBufferPointer) -> Void) throws {
        guard let digest = file.sha256 else { preconditionFailure("the signature gate passes every file with its stored digest") }
        let (descriptor, path) = try SignatureGate.openBlob(digest, in: store)
        defer { try? descriptor.close() }
        try FileRanges.read(descriptor, range, path: path, into: consume)
    }
}

/// Reads a byte range of an open file in 1 MiB chunks (pread: the descriptor's offset is not
/// used), for PinModelSigning's readers. A file shorter than the range is an error.
enum FileRanges {
    static func read(
        _ descriptor: FileDescriptor, _ range: Range<Int64>, path: FilePath, into consume: (UnsafeRawBufferPointer) -> Void
    ) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset = range.lowerBound
        while offset < range.upperBound {
            let wanted = Int(min(Int64(buffer.count), range.upperBound - offset))
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes {
                    try descriptor.read(fromAbsoluteOffset: offset, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<wanted]))
                }
            } catch {
                throw StoreError.io(operation: "read", path: path, (error as? Errno) ?? .ioError)
            }
            guard count > 0 else { throw StoreError.io(operation: "read (the file is shorter than its recorded size)", path: path, .ioError) }
            buffer.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            offset += Int64(count)
        }
    }
}
