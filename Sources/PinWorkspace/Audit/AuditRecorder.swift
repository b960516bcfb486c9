public import PinAudit
import PinModel
import PinStore
import Synchronization

/// Hears one operation's events and keeps, as audit entries, what an auditor must be able to
/// find later: refusals and decisions, signatures, verdicts other than safe, fallbacks, and
/// which snapshots were resolved and which of their bytes verified. The operation adds what
/// no event says (`model(_:)`: the models of a lock it made or checked; `problems(_:)`: what a
/// check found without throwing). `entries(ending:user:command:)` turns it all into the
/// operation's entries, appended to the log in one call (`AuditTrail`).
///
/// Events come from worker threads while bytes flow: the progress events (`received`,
/// `retrying`…) return before taking the lock, and the rest take it once, briefly.
public final class AuditRecorder: EventSink {
    private struct State {
        var entries: [AuditEntry] = []
        var snapshots: [ResolvedSnapshot] = []
        var verified: [String: SHA256Digest] = [:]
        var models: [AuditEntry] = []
        var problems: [String] = []
        var operation: [String: CanonicalJSON] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A model the operation concerned, as it knows it (a locked model, a snapshot it wrote);
    /// an empty outcome becomes the operation's. Without any, the model entries are the
    /// snapshots the operation resolved.
    public func model(_ entry: AuditEntry) {
        state.withLock { $0.models.append(entry) }
    }

    /// What a check found wrong without throwing (`verify`'s problems, `import`'s refusals):
    /// the operation's outcome is `refused`, with these reasons.
    public func problems(_ reasons: [String]) {
        guard !reasons.isEmpty else { return }
        state.withLock { $0.problems += reasons }
    }

    /// A fact about the operation as a whole (`lockfile`, `cache`, `directory`…) for its entry.
    public func operation(_ key: String, _ value: CanonicalJSON) {
        state.withLock { $0.operation[key] = value }
    }

    public func emit(_ event: WorkspaceEvent) {
        switch event {
        case .received, .retrying, .sourceChosen, .materialized, .warning, .finished:
            return
        case .resolved(let snapshot, _):
            state.withLock { $0.snapshots.append(snapshot) }
        case .verified(let path, let digest, _, _):
            state.withLock { $0.verified[path] = digest }
        default:
            guard let entry = Self.entry(for: event) else { return }
            state.withLock { $0.entries.append(entry) }
        }
    }

    /// The entry an event is worth on its own, or nil.
    static func entry(for event: WorkspaceEvent) -> AuditEntry? {
        switch event {
        case .decided(let decision):
            return entry(for: decision)
        case .signatureChecked(let model, let kind, let signer, let userID, let documents):
            var extra: [String: CanonicalJSON] = [
                "alias": .string(model), "kind": .string(kind.rawValue), "signer": .string(signer), "documents": .strings(documents),
            ]
            if let userID { extra["user-id"] = .string(userID) }
            return AuditEntry(.signature, outcome: "vouched", extra: extra)
        case .scanned(let path, let digest, let verdict):
            guard verdict != .safe else { return nil }
            return AuditEntry(.scan, outcome: verdict.rawValue, extra: ["path": .string(path), "digest": .string(digest.description)])
        case .refused(let path, let source, let reason):
            return AuditEntry(.refusal, outcome: "refused", extra: ["path": .string(path), "source": .string(source)], reasons: [reason])
        case .fallback(let path, let source, let reason, let refused):
            return AuditEntry(
                .fallback, outcome: "fallback", extra: ["path": .string(path), "source": .string(source), "refused": .bool(refused)],
                reasons: [reason])
        case .sourceUnavailable(let source, let paths, let reason):
            return AuditEntry(
                .sourceUnavailable, outcome: "unavailable", extra: ["source": .string(source), "paths": .strings(paths)], reasons: [reason])
        case .servedBlobRefused(let repo, let path, let digest, let reason):
            return AuditEntry(
                .servedBlobRefused, outcome: "refused", repo: repo.description,
                extra: ["path": .string(path), "digest": .string(digest.description)], reasons: [reason])
        default:
            return nil
        }
    }

    /// A decision's entry: every decision but the scan gate's allows, which come once per file
    /// (a file's verdict, when not safe, has a `scan` entry of its own). A gate added later (a
    /// policy) is logged with no change here.
    static func entry(for decision: GateDecision) -> AuditEntry? {
        var entry: AuditEntry
        switch decision.decision {
        case .allow:
            if decision.gate == .scan { return nil }
            entry = AuditEntry(.decision, outcome: "allowed")
        case .warn(let messages):
            entry = AuditEntry(.decision, outcome: "warned")
            entry.reasons = messages
        case .refuse(let error):
            entry = AuditEntry(.decision, outcome: "refused")
            entry.reasons = AuditOutcome.reasons(of: error)
        }
        entry.extra = ["gate": .string(decision.gate.rawValue), "subject": .string(decision.subject)]
        return entry
    }

    /// The operation's entries, in order: what the events said, then one per model (those the
    /// operation named, else the snapshots it resolved with the digests verified), then the
    /// operation's own entry, all stamped with `user` and `command`.
    public func entries(ending outcome: AuditOutcome, user: String, command: String) -> [AuditEntry] {
        let state = state.withLock { $0 }
        let outcome = state.problems.isEmpty || !outcome.isOK ? outcome : .problems(state.problems)
        var models = state.models.isEmpty ? state.snapshots.map { AuditEntry.model($0, digests: state.verified) } : state.models
        for index in models.indices where models[index].outcome.isEmpty {
            models[index].outcome = outcome.name
        }
        var operation = AuditEntry(.operation, outcome: outcome.name)
        operation.reasons = outcome.reasons ?? []
        operation.extra = state.operation
        return (state.entries + models + [operation]).map { entry in
            var entry = entry
            entry.user = user
            entry.command = command
            return entry
        }
    }
}

/// How an operation ended, as its entries say it.
public enum AuditOutcome: Sendable {
    case ok
    /// It ended without an error, but found these things wrong (a check's problems).
    case problems([String])
    case failed(any Error, cancelled: Bool)

    var isOK: Bool {
        if case .ok = self { return true }
        return false
    }

    /// `ok`, `refused`, `failed`, `unavailable` or `cancelled`.
    public var name: String {
        switch self {
        case .ok: return "ok"
        case .problems: return "refused"
        case .failed(_, cancelled: true): return "cancelled"
        case .failed(let error, cancelled: false):
            switch (error as? any ModelpinError)?.kind {
            case .refused?: return "refused"
            case .unavailable?: return "unavailable"
            default: return "failed"
            }
        }
    }

    /// Why it failed: the error's message, then its causes; nil when it did not.
    public var reasons: [String]? {
        switch self {
        case .ok: nil
        case .problems(let reasons): reasons
        case .failed(let error, _): Self.reasons(of: error)
        }
    }

    static func reasons(of error: any Error) -> [String] {
        guard let error = error as? any ModelpinError else { return [String(describing: error)] }
        return [error.description] + error.causes
    }
}
