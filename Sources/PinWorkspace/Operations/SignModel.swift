import PinLock
import PinModel
import PinModelSigning
import PinStore
public import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// What `sign --oms` wrote.
public struct ModelSigned: Sendable, Equatable, Encodable {
    /// The `model.sig` written.
    public let path: String
    /// How many files its statement lists.
    public let files: Int
    /// The pin that vouches for it: `oms-key:ID`.
    public let signer: String
}

extension Workspace {
    /// `sign --oms --key KEY.pem DIR`: signs the files of `directory` as `model_signing sign key`
    /// would (every regular file, by path, SHA-256, the git paths and `model.sig` itself left
    /// out) and writes `DIR/model.sig`. Walked without following any link: a symbolic link, a
    /// special file or a version-control directory below the root refuses, naming it.
    public func signDirectory(_ directory: FilePath, privateKeyPEM: String) throws -> ModelSigned {
        let root = try SignModelError.wrap { () throws(DirectoryRoot.Failure) in try DirectoryRoot.open(directory, create: false) }
        let files = try DirectoryFiles(root: root).list()
        let name = directory.lexicallyNormalized().lastComponent?.string ?? "model"
        return try sign(name, files: files, reader: DirectoryFileReader(root: root), privateKeyPEM: privateKeyPEM, into: root)
    }

    /// `sign --oms --key KEY.pem ALIAS`: signs the model's locked snapshot from the store (the
    /// bytes modelpin verified, never the copies in the model's directory, which anyone may have
    /// edited since) and writes `model.sig` into the model's directory.
    public func signLockedModel(_ alias: String, in project: Project, privateKeyPEM: String) throws -> ModelSigned {
        guard let request = project.manifest.model(alias) else {
            throw ProjectError.unknownAlias(alias, manifest: project.manifestPath, known: project.manifest.models.map(\.alias.rawValue))
        }
        guard request.layout == .directory else { throw SignModelError.noDirectory(alias: alias) }
        guard let locked = try project.loadLock()?.model(alias) else { throw ProjectError.notLocked(alias: alias, lock: project.lockPath) }
        let store = try openStore(.readOnly)
        let files = locked.files.filter { $0.path != SignatureGate.modelSignature }
        let missing = files.filter { (try? store.path(of: $0.sha256)) == nil }.map(\.path)
        guard missing.isEmpty else { throw ProjectError.notInStore(missing) }
        let root = try project.modelDirectory(of: request).open(create: true)
        return try sign(
            locked.repo, files: files.map { ModelFile(path: $0.path, size: $0.size, sha256: $0.sha256) },
            reader: StoreBlobReader(store: store), privateKeyPEM: privateKeyPEM, into: root)
    }

    private func sign(
        _ name: String, files: [ModelFile], reader: some ModelFileReader, privateKeyPEM: String, into root: DirectoryRoot
    ) throws -> ModelSigned {
        let bundle = try ModelSigner.sign(
            modelName: name, files: files, reader: reader, privateKeyPEM: privateKeyPEM, ignorePaths: DirectoryFiles.ignored)
        // Read back: what is written is what a verifier will parse, and its hint is the signer.
        let written = try ModelSignature.parse(bundle, file: SignatureGate.modelSignature)
        guard case .publicKey(let hint?) = written.material else {
            preconditionFailure("ModelSigner writes key bundles with a hint")
        }
        let temporary = ".\(SignatureGate.modelSignature).\(getpid()).tmp"
        try SignModelError.wrap { () throws(DirectoryRoot.Failure) in
            _ = try? root.removeFile(temporary) { _ in true }
            let descriptor = try root.createFile(temporary)
            do {
                try descriptor.writeAll(bundle)
                try descriptor.close()
            } catch {
                try? descriptor.close()
                throw DirectoryRoot.Failure(path: root.path.appending(temporary), errno: (error as? Errno) ?? .ioError, symbolicLink: false)
            }
            try root.rename(temporary, to: SignatureGate.modelSignature)
            try root.sync("")
        }
        return ModelSigned(
            path: root.path.appending(SignatureGate.modelSignature).string, files: written.statement.resources.count,
            signer: OMSSigner.key(id: hint).description)
    }
}

/// The files of a directory to sign: regular files by relative path, walked below a
/// `DirectoryRoot` (no link followed), the paths model_signing leaves out skipped at the root.
struct DirectoryFiles {
    let root: DirectoryRoot
    /// What a signature leaves out, recorded in its statement's `ignore_paths` (so model_signing's
    /// verifier leaves them out too): model_signing's defaults (the signature itself, the git
    /// paths) and `.modelpin`, where modelpin keeps its record of a directory it laid out.
    static let ignored = ModelSigner.defaultIgnorePaths(signatureFile: SignatureGate.modelSignature) + [PathSafety.reservedDirectory]
    let skipped = Set(ignored)

    func list() throws -> [ModelFile] {
        var files: [ModelFile] = []
        var pending = [""]
        while let directory = pending.popLast() {
            let names = try SignModelError.wrap { () throws(DirectoryRoot.Failure) in try root.list(directory) }
            for name in names {
                let path = directory.isEmpty ? name : directory + "/" + name
                if directory.isEmpty, skipped.contains(name) { continue }
                if name.hasPrefix(".\(SignatureGate.modelSignature).") && name.hasSuffix(".tmp") { continue }
                guard let status = try SignModelError.wrap({ () throws(DirectoryRoot.Failure) in try root.status(path) }) else { continue }
                switch status.type {
                case .regular: files.append(ModelFile(path: path, size: Int64(status.size)))
                case .directory:
                    if let reason = PathSafety.reason(path) { throw SignModelError.unsafe(path: root.path.appending(path), reason: reason) }
                    pending.append(path)
                case .symbolicLink: throw SignModelError.unsafe(path: root.path.appending(path), reason: "it is a symbolic link, which modelpin never follows")
                default: throw SignModelError.unsafe(path: root.path.appending(path), reason: "it is not a regular file")
                }
            }
        }
        return files
    }
}

/// A directory's files as PinModelSigning reads them: opened below the root, never through a link.
struct DirectoryFileReader: ModelFileReader {
    let root: DirectoryRoot

    func read(_ file: ModelFile, range: Range<Int64>, into consume: (UnsafeRawBufferPointer) -> Void) throws {
        let descriptor = try SignModelError.wrap { () throws(DirectoryRoot.Failure) in try root.openFile(file.path) }
        defer { try? descriptor.close() }
        try FileRanges.read(descriptor, range, path: root.path.appending(file.path), into: consume)
    }
}

/// Why `sign --oms` wrote nothing.
enum SignModelError: ModelpinError {
    /// A path below the directory that cannot be signed safely.
    case unsafe(path: FilePath, reason: String)
    /// The model is laid out in the Hugging Face cache, which has no directory of its own for `model.sig`.
    case noDirectory(alias: String)
    case io(DirectoryRoot.Failure)

    var kind: FailureKind {
        switch self {
        case .unsafe: .refused
        case .noDirectory: .usage
        case .io: .operational
        }
    }

    var description: String {
        switch self {
        case .unsafe(let path, let reason): "cannot sign `\(path)`: \(reason)"
        case .noDirectory(let alias): "model `\(alias)` is laid out in the Hugging Face cache, so it has no directory to write model.sig into"
        case .io(let failure): "cannot sign: \(failure)"
        }
    }

    var hint: String? {
        switch self {
        case .unsafe: "remove it from the model's directory, or sign a directory that holds only the model's files"
        case .noDirectory: "export it to a directory (`modelpin export`) and sign that directory: `modelpin sign --oms --key KEY.pem DIR`"
        case .io: nil
        }
    }

    static func wrap<T>(_ body: () throws(DirectoryRoot.Failure) -> T) throws(SignModelError) -> T {
        do {
            return try body()
        } catch {
            throw .io(error)
        }
    }
}
