import PinAudit
import PinDigest
import PinLock
import PinModel
import SystemPackage

extension Workspace {
    /// Runs `body` as one audited operation named `operation` (the entries' `command` unless
    /// PinCLI named one): its events recorded, its entries appended to the store's log once it
    /// ends, well or not. `checkpoint`: on success, the signed checkpoint is written where
    /// `--audit-checkpoint` says, else where `project`'s manifest says (`audit-checkpoint`).
    /// An operation inside another runs as part of it. `MODELPIN_AUDIT=off`: a warning, no log.
    func audited<Value>(
        _ operation: String, project: Project? = nil, checkpoint: Bool = false, _ body: (Workspace) throws -> Value
    ) throws -> Value {
        if audit != nil { return try body(self) }
        guard let trail = try auditTrail(operation) else {
            if let file = configuration.audit.checkpoint { throw AuditCheckpointError.auditOff(file) }
            events.emit(.warning(AuditSettings.offWarning))
            return try body(self)
        }
        let (value, text) = try trail.record(events: events, cancelled: { cancellation.isCancelled }) { recorder, sink in
            var inner = self
            inner.events = sink
            inner.audit = recorder
            if let project { recorder.operation("manifest", .string(project.manifestPath.string)) }
            return try body(inner)
        }
        if checkpoint { try writeCheckpoint(text, project: project) }
        return value
    }

    /// The trail into this store's log, opened now; nil when the log is off.
    func auditTrail(_ operation: String) throws -> AuditTrail? {
        let settings = configuration.audit
        guard try settings.isEnabled() else { return nil }
        let log = try auditLog()
        for torn in log.tornTails {
            events.emit(.warning(
                "the audit log's last line was torn (a crash during an append): its \(torn.byteCount) bytes after entry \(torn.entriesBefore) were moved to \(torn.file); `modelpin audit verify` checks the rest"))
        }
        return AuditTrail(user: settings.user, command: settings.command ?? operation) { entries in
            try log.append(entries.map(\.json)).text
        }
    }

    /// The lock the operation made or worked from, for its entry: where, and the SHA-256 of its
    /// bytes as they are on disk now, which says exactly which lock it was.
    func noteLock(at path: FilePath) {
        guard let audit else { return }
        audit.operation("lockfile", .string(path.string))
        if let bytes = try? RegularFile.contents(of: path, limit: Project.lockfileLimit) {
            audit.operation("lock-digest", .string(SHA256.hash(bytes).description))
        }
    }

    private func writeCheckpoint(_ text: String, project: Project?) throws {
        if let file = configuration.audit.checkpoint {
            try AuditCheckpointFile.write(text, to: file)
        } else if let project, let relative = project.manifest.auditCheckpoint {
            try AuditCheckpointFile.write(text, relative: relative, below: project.directory)
        }
    }
}
