import PinAudit
public import PinLock
import PinModel
import PinStore

/// What `lock` is asked to do.
public struct LockRequest: Sendable {
    /// `--update`: re-resolve revisions that may have moved (all models, or `aliases`).
    public var update = false
    public var aliases: [String] = []
    /// `--check`: only say whether the lock answers the manifest; write nothing.
    public var check = false
    /// `--locked`: fail if the lock is missing or would change.
    public var locked = false
    /// `--offline`: never ask the Hub.
    public var offline = false

    public init() {}
}

/// What happened to each model when a lock was made.
public struct LockChanges: Sendable {
    public let lock: Lockfile
    public let changes: [(alias: String, change: Locker.Change)]
    /// The lock on disk held merge-conflict markers: the entries both sides agreed on were
    /// kept, the others (`disputed`) resolved again; the lock written has no markers.
    public var resolvedConflict: ConflictedLock?
}

/// What `lock` did.
public enum LockResult: Sendable {
    /// `--check`: the lock answers the manifest.
    case answers
    /// The lock was made; `written` is false when its bytes were already on disk.
    case locked(LockChanges, written: Bool)
}

extension Workspace {
    /// `lock [--update [ALIAS...]] [--check]`: resolves the manifest into the lock. Models whose
    /// request is unchanged keep their locked entry; drift is measured without the endpoint,
    /// which is provenance, not part of the request.
    public func lock(_ project: Project, _ request: LockRequest) throws -> LockResult {
        // `--check` reads two files and writes nothing, not even a store: no entry either.
        if request.check { return try lockNow(project, request) }
        return try audited("lock", project: project, checkpoint: true) { try $0.lockNow(project, request) }
    }

    private func lockNow(_ project: Project, _ request: LockRequest) throws -> LockResult {
        for alias in request.aliases where project.manifest.model(alias) == nil {
            throw ProjectError.unknownAlias(alias, manifest: project.manifestPath, known: project.manifest.models.map(\.alias.rawValue))
        }
        // A conflicted lock reads as what its two sides agree on; only a relock may use that.
        let (previous, conflict) = try project.loadPreviousLock()
        var drift = Self.drift(of: previous, from: project)
        if conflict == nil, let changed = Self.policyDrift(of: previous, under: try policyGate(project: project)) { drift.append(changed) }
        if request.check {
            guard conflict == nil, previous != nil, drift.isEmpty else {
                throw ProjectError.lockCheckFailed(
                    project.lockPath, missing: previous == nil && conflict == nil, drift: conflict == nil ? drift : [],
                    conflictLine: conflict?.firstMarkerLine)
            }
            return .answers
        }
        if request.locked {
            if let conflict { throw ProjectError.lockConflicted(project.lockPath, line: conflict.firstMarkerLine, disputed: conflict.disputed) }
            guard previous != nil else { throw ProjectError.lockMissing(project.lockPath) }
            guard drift.isEmpty else { throw ProjectError.lockOutdated(project.lockPath, drift) }
        }
        if request.offline, !drift.isEmpty || request.update {
            throw ProjectError.offlineNeedsResolve(project.lockPath, drift)
        }
        let store = try openStore(.readWrite)
        let endpoint = configuration.resolveEndpoint(manifest: project.manifest.endpoint)
        var made = try relock(
            project, previous: previous, puller: puller(store: store, endpoint: endpoint, project: project), endpoint: endpoint,
            update: Set(request.aliases), updateAll: request.update && request.aliases.isEmpty)
        made.resolvedConflict = conflict
        if request.locked, made.lock != previous {
            throw ProjectError.lockOutdated(project.lockPath, made.changes.compactMap { change in
                change.change == .unchanged ? nil : .changed(alias: change.alias, field: "commit", locked: previous?.model(change.alias)?.commit.hex ?? "-", requested: made.lock.model(change.alias)?.commit.hex ?? "-")
            })
        }
        let written = try project.writeLock(made.lock, store: store)
        noteLocked(made)
        noteLock(at: project.lockPath)
        return .locked(made, written: written)
    }

    /// Each model of a lock just made, with what happened to it (`change`), for the audit log.
    func noteLocked(_ made: LockChanges) {
        for (alias, change) in made.changes {
            var entry = made.lock.model(alias).map { AuditEntry.model($0) } ?? AuditEntry(.model, outcome: "")
            entry.extra["alias"] = .string(alias)
            entry.extra["change"] = .string(change.auditName)
            audit?.model(entry)
        }
    }

    /// A lock decided under another policy (or none) than `policy`: it would change, as for any
    /// drift. nil when there is no lock or the digests agree.
    static func policyDrift(of lock: Lockfile?, under policy: PolicyGate?) -> LockDrift? {
        guard let lock, lock.policyDigest != policy?.digest else { return nil }
        return .changed(
            alias: "*", field: "policy-digest", locked: lock.policyDigest?.description ?? "none",
            requested: policy?.digest.description ?? "none")
    }

    /// What the lock lacks or has in excess of the manifest; no lock: every model is added.
    static func drift(of lock: Lockfile?, from project: Project) -> [LockDrift] {
        lock?.drift(from: project.manifest) ?? project.manifest.models.map { .added(alias: $0.alias.rawValue) }
    }

    /// A new lock for `project`, resolved through `puller` (made for `endpoint`, which the lock
    /// records as written); not written.
    func relock(
        _ project: Project, previous: Lockfile?, puller: Puller, endpoint: String, update: Set<String> = [], updateAll: Bool = false
    ) throws -> LockChanges {
        let (lock, changes) = try Locker(puller: puller).lock(
            project, previous: previous, update: update, updateAll: updateAll, endpoint: endpoint)
        return LockChanges(lock: lock, changes: changes)
    }
}
