import PinDigest
public import PinLock
import PinModel
public import PinScan
public import PinStore
public import SystemPackage

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

    public func verify(_ models: [(model: LockedModel, destination: FilePath)]) -> Report {
        var report = Report()
        var targets: [(alias: String, file: LockedFile, path: FilePath)] = []
        let gate = ScanGate(policy: scanPolicy, store: store, lockedModels: models.map(\.model))
        for (model, destination) in models {
            report.models += 1
            for file in model.files {
                report.files += 1
                report.bytes += file.size
                if (try? store.path(of: file.sha256)) == nil {
                    report.problems.append(Problem(alias: model.alias, path: file.path, kind: .notInStore, detail: "\(file.sha256) is not in the store"))
                } else {
                    do {
                        try gate.check(blobOf: file.sha256, in: store, name: file.path)
                    } catch {
                        let detail = (error as? any ModelpinError).map { ([$0.description] + $0.causes).joined(separator: ": ") } ?? "\(error)"
                        report.problems.append(Problem(alias: model.alias, path: file.path, kind: .refused, detail: detail))
                    }
                }
                let target = destination.appending(file.path)
                guard let status = try? Stat(target) else {
                    report.problems.append(Problem(alias: model.alias, path: target.string, kind: .missing, detail: "not there"))
                    continue
                }
                guard status.type == .regular else {
                    report.problems.append(Problem(alias: model.alias, path: target.string, kind: .wrongType, detail: "not a regular file"))
                    continue
                }
                targets.append((model.alias, file, target))
            }
        }
        let digests = FileHasher.sha256(files: targets.map(\.path))
        for (target, result) in zip(targets, digests) {
            switch result {
            case .success(let actual) where actual.digest == target.file.sha256 && actual.size == target.file.size:
                continue
            case .success(let actual):
                report.problems.append(Problem(
                    alias: target.alias, path: target.path.string, kind: .modified,
                    detail: "expected \(target.file.sha256) (\(target.file.size) bytes), found \(actual.digest) (\(actual.size) bytes)"))
            case .failure(let error):
                report.problems.append(Problem(alias: target.alias, path: target.path.string, kind: .missing, detail: error.description))
            }
        }
        return report
    }
}
