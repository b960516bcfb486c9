import PinAudit
import PinDigest
import PinLock
public import PinModel
import PinStore
public import SystemPackage

/// What `import FILE.tar` is asked to do.
public struct ArchiveImportRequest: Sendable {
    /// The OCI archive (`export --oci-archive`'s output, or skopeo's `oci-archive:` copy of it).
    public var archive: FilePath
    /// `--lock`: the project to give the archive's `modelpin.lock` (and its signature).
    public var lockInto: Project?

    public init(archive: FilePath) {
        self.archive = archive
    }
}

/// What `import FILE.tar` did (`--json` prints it as it is).
public struct ArchiveImportReport: Sendable, Encodable {
    public struct Model: Sendable, Encodable {
        public let repo: String
        public let commit: String
        public let manifest: SHA256Digest
        public let files: Int
        public let bytes: Int64
    }

    public struct Refusal: Sendable, Encodable {
        public let model: String
        public let path: String
        public let sha256: SHA256Digest
        public let reason: String
    }

    public let archive: String
    /// Recorded in the store (empty when anything was refused: the import is all or nothing).
    public var models: [Model] = []
    /// Model files in the archive, and how many of them the store did not hold before.
    public var blobs = 0
    public var added = 0
    public var bytes: Int64 = 0
    /// The attachments the archive carries, by name (`modelpin.lock`, `modelpin.lock.asc`…).
    public var attachments: [String] = []
    /// Files the scan refused: any refusal means nothing was admitted (exit 1).
    public var refused: [Refusal] = []
    /// `--lock`: the project's lock, and whether it was kept (the project had one, and the
    /// archive holds every file it names) rather than written from the archive's.
    public var lock: String?
    public var lockKept = false
}

extension Workspace {
    /// `import FILE.tar [--lock]`: an OCI archive (an air-gap bundle) into the store, all or
    /// nothing. The archive is streamed once: every blob is checked against its name as it
    /// arrives and waits in the store's temp area; the layout's documents are checked (see
    /// `StagedArchive`); every model file is scanned under its path as a pull would scan it.
    /// Only when all of that passed are the files admitted and the snapshots recorded, so that
    /// `pull ORG/NAME@COMMIT --offline` (or a project's `pull --frozen --offline`) works from
    /// the store alone. A refusal anywhere leaves the store as it was, but for scan verdicts.
    public func importArchive(_ request: ArchiveImportRequest) throws -> ArchiveImportReport {
        try audited("import", project: request.lockInto) { workspace in
            workspace.audit?.operation("archive", .string(request.archive.string))
            let report = try workspace.importArchiveNow(request)
            workspace.audit?.problems(report.refused.map { "\($0.model): \($0.path): \($0.reason)" })
            return report
        }
    }

    private func importArchiveNow(_ request: ArchiveImportRequest) throws -> ArchiveImportReport {
        let store = try openStore(.readWrite)
        let staged = try store.stageArchive(request.archive)
        defer { staged.discard() }
        var report = ArchiveImportReport(archive: request.archive.string)
        report.attachments = Array(Set(staged.attachments.map(\.attachment.name))).sorted()
        // The lock is checked before anything is admitted: a refusal there keeps the store as it was.
        let lock = try request.lockInto.flatMap { try Self.archiveLock(staged, for: $0) }
        let gate = ScanGate(policy: configuration.scanPolicy, store: store, decisions: Decisions(events: events, review: review))
        var scanned: Set<SHA256Digest> = []
        for model in staged.models {
            for file in model.snapshot.files where scanned.insert(file.sha256).inserted {
                guard let path = staged.stagedPath(of: file.sha256) else { continue }
                if let refusal = gate.admission(path, file.sha256, file.path) {
                    report.refused.append(ArchiveImportReport.Refusal(
                        model: model.referenceName, path: file.path, sha256: file.sha256,
                        reason: ([refusal.description] + refusal.causes).joined(separator: ": ")))
                }
            }
        }
        guard report.refused.isEmpty else { return report }
        let results = try staged.admitFiles(into: store)
        report.blobs = results.count
        report.added = results.count { $0.outcome != .present }
        report.bytes = results.reduce(0) { $0 + $1.size }
        let digests = try store.recordSnapshots(staged.models.map { ($0.snapshot, nil) })
        for (model, digest) in zip(staged.models, digests) {
            report.models.append(ArchiveImportReport.Model(
                repo: model.snapshot.repo.description, commit: model.snapshot.commit, manifest: digest,
                files: model.snapshot.files.count, bytes: model.snapshot.files.reduce(0) { $0 + $1.size }))
        }
        if let project = request.lockInto {
            report.lock = project.lockPath.string
            report.lockKept = lock == nil
            if let lock { try Self.install(lock, in: project, store: store) }
        }
        return report
    }

    /// `--lock` for `project`: with a lock of its own, the archive must hold every file it
    /// names (the project's lock is kept; the archive's copy is never trusted over it) and nil
    /// is returned. Without one, the archive's one `modelpin.lock` (and its signature), checked
    /// to name only files the archive holds, to be written there.
    static func archiveLock(_ staged: StagedArchive, for project: Project) throws -> (text: [UInt8], signature: [UInt8]?)? {
        let held = Set(staged.models.flatMap(\.snapshot.files).map(\.sha256))
        func check(_ lock: Lockfile, _ name: String) throws {
            for model in lock.models {
                if let missing = model.files.first(where: { !held.contains($0.sha256) }) {
                    throw ProjectError.archiveLock(staged.archive, "\(name) names `\(model.alias)`'s \(missing.path) (\(missing.sha256)), which the archive does not hold")
                }
            }
        }
        if let own = try project.loadLock() {
            try check(own, project.lockPath.string)
            return nil
        }
        let locks = Set(staged.attachments.filter { $0.attachment.artifactType == Attachment.Kind.lock }.map(\.attachment.payload))
        guard locks.count == 1, let text = locks.first else {
            throw ProjectError.archiveLock(staged.archive, locks.isEmpty
                ? "carries no modelpin.lock, and \(project.directory) has none (export from inside a project)"
                : "carries \(locks.count) different modelpin.lock files")
        }
        try check(try LockfileFormat.parse(String(decoding: text, as: UTF8.self), file: "\(staged.archive): modelpin.lock"), "its modelpin.lock")
        let signatures = Set(staged.attachments.filter { $0.attachment.name == Lockfile.fileName + ".asc" }.map(\.attachment.payload))
        return (text, signatures.count == 1 ? signatures.first : nil)
    }

    /// Writes the archive's lock (and its signature) into the project, which has none.
    static func install(_ lock: (text: [UInt8], signature: [UInt8]?), in project: Project, store: Store) throws {
        do {
            if let signature = lock.signature { try AtomicFile.write(signature, to: FilePath(project.lockPath.string + ".asc")) }
            try AtomicFile.write(lock.text, to: project.lockPath)
        } catch {
            throw ProjectError.unwritable(project.lockPath, error)
        }
        if let parsed = try Project.readLockfile(project.lockPath)?.lock {
            try Project.registerRoot(parsed, at: project.lockPath, store: store)
        }
    }
}
