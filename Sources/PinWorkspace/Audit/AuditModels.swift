import PinAudit
import PinLock
import PinModel
import PinStore

/// The `model` entries operations give their recorder: one per model they concerned, named
/// the way the log's readers look it up (repo, commit, digests), with what else says where it
/// went. The outcome is left to the operation's, unless a model's own differs.
extension AuditEntry {
    /// A model as a lock names it (pull of a project, lock, add, verify, mirror).
    static func model(_ model: LockedModel, outcome: String = "") -> AuditEntry {
        var entry = AuditEntry(.model, outcome: outcome)
        entry.repo = model.repo
        entry.commit = model.commit.hex
        entry.setDigests(model.files.map { ($0.path, $0.sha256) })
        entry.extra = ["alias": .string(model.alias.rawValue), "revision": .string(model.requestedRevision), "endpoint": .string(model.endpoint)]
        return entry
    }

    /// A model pulled by name.
    static func model(_ summary: PullSummary) -> AuditEntry {
        var entry = AuditEntry(.model, outcome: "")
        entry.repo = summary.repo
        entry.commit = summary.commit
        entry.setDigests(summary.files.map { ($0.path, $0.sha256) })
        entry.extra = [
            "revision": .string(summary.revision), "endpoint": .string(summary.endpoint), "destination": .string(summary.destination),
        ]
        if let cache = summary.hfCache { entry.extra["hf-cache"] = .string(cache.snapshot) }
        return entry
    }

    /// A snapshot as a source resolved it, with the digests of its files that were verified
    /// (`digests`, by path; the others are left out): a pull by name, a server's pull-through,
    /// or an operation that failed before it had a result.
    static func model(_ snapshot: ResolvedSnapshot, digests: [String: SHA256Digest]) -> AuditEntry {
        var entry = AuditEntry(.model, outcome: "")
        entry.repo = snapshot.repo.description
        entry.commit = snapshot.commit.hex
        entry.extra = ["revision": .string(snapshot.revision)]
        entry.setDigests(snapshot.files.compactMap { file in digests[file.path].map { (file.path, $0) } })
        return entry
    }

    /// A snapshot the store recorded, written somewhere (an HF cache export).
    static func model(_ snapshot: StoredSnapshot, revision: String?, destination: String) -> AuditEntry {
        var entry = AuditEntry(.model, outcome: "")
        entry.repo = snapshot.repo.description
        entry.commit = snapshot.commit
        entry.setDigests(snapshot.files.map { ($0.path, $0.sha256) })
        entry.extra = ["destination": .string(destination)]
        if let revision { entry.extra["revision"] = .string(revision) }
        return entry
    }

    /// A snapshot of a Hugging Face cache as `import` judged it: recorded (every file
    /// admitted), refused or skipped; the digests of the files it admitted.
    static func model(_ snapshot: HFCacheImportReport.Snapshot, repo: String) -> AuditEntry {
        var entry = AuditEntry(.model, outcome: snapshot.outcome == .recorded ? "" : snapshot.outcome.rawValue)
        entry.repo = repo
        entry.commit = snapshot.commit
        entry.setDigests(snapshot.files.compactMap { file in
            file.outcome == .refused ? nil : file.sha256.map { (file.path, $0) }
        })
        entry.extra = ["revisions": .strings(snapshot.revisions)]
        entry.reasons = snapshot.files.compactMap { file in file.reason.map { "\(file.path): \($0)" } }
            + snapshot.findings.filter { $0.kind != .skipped }.map { "\($0.path): \($0.reason)" }
        return entry
    }
}

extension Locker.Change {
    /// How a model's `change` reads in its entry: `unchanged`, `added`, `updated`, `removed`
    /// or `confirmed`.
    var auditName: String {
        switch self {
        case .unchanged: "unchanged"
        case .added: "added"
        case .updated: "updated"
        case .removed: "removed"
        case .confirmed: "confirmed"
        }
    }
}

extension ProjectVerifier.Problem {
    /// One line of a `verify` entry's reasons.
    var auditReason: String { "\(alias): \(path): \(kind.rawValue): \(detail)" }
}
