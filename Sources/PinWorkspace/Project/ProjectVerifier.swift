import PinDigest
public import PinLock
import PinModel
public import PinScan
public import PinStore
import SystemPackage

/// `verify`: are the files a lock names really there, in the store and in each model's
/// directory, byte for byte, and does the scanner admit them? Every materialized file is hashed
/// again (several at once); each blob's verdict comes from the store (scanned now if it has none),
/// never from the lock.
public struct ProjectVerifier: Sendable {
    public let store: Store
    public let scanPolicy: ScanPolicy

    public init(store: Store, scanPolicy: ScanPolicy = ScanPolicy()) {
        self.store = store
        self.scanPolicy = scanPolicy
    }

    public struct Problem: Sendable, Encodable, Equatable {
        public enum Kind: String, Sendable, Encodable {
            /// The store lacks a locked blob.
            case notInStore = "not-in-store"
            /// The directory lacks a locked file.
            case missing
            /// The file's bytes differ from the lock.
            case modified
            /// Not a regular file (or a link to one).
            case wrongType = "wrong-type"
            /// The scanner does not admit the blob, or the lock records another verdict.
            case refused
        }
        public let alias: String
        public let path: String
        public let kind: Kind
        public let detail: String
    }

    public struct Report: Sendable, Encodable {
        public var models = 0
        public var files = 0
        public var bytes: Int64 = 0
        public var problems: [Problem] = []
    }

    /// Each model's files are reached through its directory's own descriptor, as a pull
    /// writes them: never through a link on the way (a committed `models -> /elsewhere`), a
    /// locked file that is a link only if it points at its blob in the store (`--link
    /// symlink`), and nothing but a regular file is opened (a FIFO cannot block the check).
    public func verify(_ models: [(model: LockedModel, destination: ModelDirectory)]) -> Report {
        var report = Report()
        var targets: [(alias: String, file: LockedFile, shown: FilePath, read: Target)] = []
        let gate = ScanGate(policy: scanPolicy, store: store, lockedModels: models.map(\.model))
        for (model, destination) in models {
            report.models += 1
            report.files += model.files.count
            report.bytes += model.files.reduce(0) { $0 + $1.size }
            for file in model.files {
                guard (try? store.path(of: file.sha256)) != nil else {
                    report.problems.append(Problem(alias: model.alias.rawValue, path: file.path, kind: .notInStore, detail: "\(file.sha256) is not in the store"))
                    continue
                }
                do {
                    try gate.check(blobOf: file.sha256, in: store, name: file.path)
                } catch {
                    let detail = (error as? any ModelpinError).map { ([$0.description] + $0.causes).joined(separator: ": ") } ?? "\(error)"
                    report.problems.append(Problem(alias: model.alias.rawValue, path: file.path, kind: .refused, detail: detail))
                }
            }
            let root: DirectoryRoot
            do {
                root = try destination.open(create: false)
            } catch {
                let detail = error.causes.first ?? error.description
                report.problems.append(Problem(alias: model.alias.rawValue, path: destination.path.string, kind: .missing, detail: detail))
                continue
            }
            for file in model.files {
                let shown = destination.path.appending(file.path)
                switch locate(file, in: root) {
                case .success(let target): targets.append((model.alias.rawValue, file, shown, target))
                case .failure(let problem):
                    report.problems.append(Problem(alias: model.alias.rawValue, path: shown.string, kind: problem.kind, detail: problem.detail))
                }
            }
        }
        let digests = DigestConcurrency.map(targets, width: DigestConcurrency.defaultWidth) { target in
            Result { () throws(FileReadError) in try Self.hash(target.read, shown: target.shown) }
        }
        for (target, result) in zip(targets, digests) {
            switch result {
            case .success(let actual) where actual.digest == target.file.sha256 && actual.size == target.file.size:
                continue
            case .success(let actual):
                report.problems.append(Problem(
                    alias: target.alias, path: target.shown.string, kind: .modified,
                    detail: "expected \(target.file.sha256) (\(target.file.size) bytes), found \(actual.digest) (\(actual.size) bytes)"))
            case .failure(let error):
                report.problems.append(Problem(alias: target.alias, path: target.shown.string, kind: .missing, detail: error.description))
            }
        }
        return report
    }

    /// What to hash for a locked file: the regular file below the root, or the store's blob
    /// a `--link symlink` entry points at.
    enum Target: @unchecked Sendable {
        // @unchecked: DirectoryRoot is thread-safe (an immutable descriptor).
        case below(DirectoryRoot, String)
        case blob(FilePath)
    }

    struct Located: Error {
        let kind: Problem.Kind
        let detail: String
    }

    private func locate(_ file: LockedFile, in root: DirectoryRoot) -> Result<Target, Located> {
        let status: Stat?
        do {
            status = try root.status(file.path)
        } catch {
            return .failure(Located(kind: error.symbolicLink ? .wrongType : .missing, detail: error.description))
        }
        guard let status else { return .failure(Located(kind: .missing, detail: "not there")) }
        switch status.type {
        case .regular:
            return .success(.below(root, file.path))
        case .symbolicLink:
            guard let blob = try? store.path(of: file.sha256), let target = try? root.linkTarget(file.path), FilePath(target) == blob else {
                return .failure(Located(kind: .wrongType, detail: "a symbolic link, but not to this file's blob in the store"))
            }
            return .success(.blob(blob))
        default:
            return .failure(Located(kind: .wrongType, detail: "not a regular file"))
        }
    }

    private static func hash(_ target: Target, shown: FilePath) throws(FileReadError) -> FileDigest {
        switch target {
        case .blob(let path):
            return try FileHasher.sha256(file: path)
        case .below(let root, let relative):
            let descriptor: FileDescriptor
            do {
                descriptor = try root.openFile(relative)
            } catch {
                throw FileReadError(path: shown, errno: error.errno)
            }
            defer { try? descriptor.close() }
            let (digest, size) = try FileHasher.sha256(reading: descriptor, path: shown)
            return FileDigest(path: shown, digest: digest, size: size)
        }
    }
}
