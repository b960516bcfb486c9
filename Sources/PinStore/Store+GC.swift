public import PinModel
import SystemPackage

/// How `gc` decides what to delete.
public struct GCPolicy: Sendable {
    /// Unreferenced blobs and temp files younger than this are kept: they may belong to an
    /// ingest whose pin or lockfile is not written yet.
    public var gracePeriod: Int64
    /// Interrupted downloads (`tmp/partial/`) untouched for this long are deleted; younger
    /// ones are kept so that the next pull resumes them.
    public var partialGracePeriod: Int64
    /// Report what would be deleted, delete nothing.
    public var dryRun: Bool

    public static let defaultGracePeriod: Int64 = 3600
    public static let defaultPartialGracePeriod: Int64 = 7 * 86400

    public init(gracePeriod: Int64 = GCPolicy.defaultGracePeriod, partialGracePeriod: Int64 = GCPolicy.defaultPartialGracePeriod, dryRun: Bool = false) {
        self.gracePeriod = gracePeriod
        self.partialGracePeriod = partialGracePeriod
        self.dryRun = dryRun
    }
}

/// What `gc` deleted (or, in a dry run, would delete).
public struct GCReport: Sendable, Codable {
    public struct Removed: Sendable, Codable, Equatable {
        public let path: String
        public let digest: SHA256Digest?
        public let size: Int64
    }

    public var dryRun: Bool
    public var removed: [Removed] = []
    /// Blobs kept because a root reaches them.
    public var live = 0
    /// Unreferenced blobs kept because they are younger than the grace period.
    public var recent = 0

    public var freedBytes: Int64 { removed.reduce(0) { $0 + $1.size } }
}

extension Store {
    /// Deletes blobs no root reaches and that are older than the grace period, plus stale temp
    /// files. Runs under the exclusive store lock, so no ingest is half-way through. If any
    /// root or manifest cannot be read it deletes nothing and throws: an unreadable root
    /// might be what keeps a blob alive.
    public func collectGarbage(_ policy: GCPolicy) throws(StoreError) -> GCReport {
        try withStoreLock(.exclusive) { () throws(StoreError) in
            let live = try liveSet()
            guard live.failures.isEmpty else { throw .unreachableRoots(live.failures) }

            var report = GCReport(dryRun: policy.dryRun)
            let cutoff = currentTime() - policy.gracePeriod
            for blob in try blobs() {
                if live.blobs[blob.digest] != nil {
                    report.live += 1
                } else if blob.modified > cutoff {
                    report.recent += 1
                } else {
                    report.removed.append(.init(path: blobPath(blob.digest).string, digest: blob.digest, size: blob.size))
                }
            }
            let temporaryNames: [String]
            do throws(Errno) {
                temporaryNames = try FileSystem.listDirectory(temporaryDirectory)
            } catch {
                throw .io(operation: "list", path: temporaryDirectory, error)
            }
            for name in temporaryNames {
                let path = temporaryDirectory.appending(name)
                guard let status = try? FileSystem.entry(at: path), status.type == .regular,
                      status.modificationTime <= cutoff
                else { continue }
                report.removed.append(.init(path: path.string, digest: nil, size: status.size))
            }
            let partialCutoff = currentTime() - policy.partialGracePeriod
            for name in (try? FileSystem.listDirectory(partialDirectory)) ?? [] {
                let path = partialDirectory.appending(name)
                guard let status = try? FileSystem.entry(at: path), status.type == .regular,
                      status.modificationTime <= partialCutoff
                else { continue }
                report.removed.append(.init(path: path.string, digest: nil, size: status.size))
            }
            if policy.dryRun { return report }

            for item in report.removed {
                do throws(Errno) {
                    try FileSystem.unlink(FilePath(item.path))
                } catch .noSuchFileOrDirectory {
                    continue
                } catch {
                    throw .writing(error, operation: "remove", path: FilePath(item.path), root: root)
                }
            }
            do throws(Errno) {
                try FileSystem.syncDirectory(blobsDirectory)
            } catch {
                throw .io(operation: "sync", path: blobsDirectory, error)
            }
            try removeIdleLockFiles()
            removeDanglingAliases()
            removeStaleVerdicts()
            removeStaleStamps()
            removeStaleLayouts()
            return report
        }
    }

    /// Aliases whose blob is gone point nowhere; they are only a cache.
    private func removeDanglingAliases() {
        for name in (try? FileSystem.listDirectory(gitAliasDirectory)) ?? [] {
            let path = gitAliasDirectory.appending(name)
            guard let bytes = try? readIfPresent(path, limit: 128),
                  let text = String(validating: bytes.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self),
                  let digest = try? SHA256Digest(parsing: text),
                  (try? FileSystem.entry(at: blobPath(digest))) ?? nil != nil
            else {
                try? FileSystem.unlink(path)
                continue
            }
        }
    }

    /// Per-digest lock files are left behind after each ingest; remove those nobody holds.
    private func removeIdleLockFiles() throws(StoreError) {
        let names: [String]
        do {
            names = try FileSystem.listDirectory(locksDirectory)
        } catch {
            throw .io(operation: "list", path: locksDirectory, error)
        }
        for name in names where name.hasSuffix(".lock") {
            let path = locksDirectory.appending(name)
            guard let descriptor = try? FileDescriptor.open(path, .readWrite, options: [.closeOnExec, .noFollow]) else {
                continue
            }
            defer { try? descriptor.close() }
            // Held by an ingest: leave it. Unlinking one that a process opens a moment later
            // can at worst let two processes copy the same blob, which is safe.
            if (try? descriptor.tryLock(.exclusive)) == true {
                try? FileSystem.unlink(path)
            }
        }
    }
}
