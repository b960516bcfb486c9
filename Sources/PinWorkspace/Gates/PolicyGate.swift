public import PinLock
public import PinModel
public import PinPolicy
public import PinStore
import PinDigest

#if canImport(Glibc)
import Glibc
#endif

/// The admission policy as a gate: the rules in force (the shared file's and the project's),
/// their digest, and the day they are applied on. It judges a whole model from facts the store
/// verified (`PolicySubject`), never from an editable file, and its answer is a `Decision` acted
/// on like every other gate's: a block refuses, a log warns (stderr, `--json`, the event stream
/// and so the audit log), an allow goes on. What it decided goes into the lock.
public struct PolicyGate: Sendable {
    public let policy: Policy
    /// The SHA-256 of `policy.canonicalText`: the lock's `policy-digest`.
    public let digest: SHA256Digest
    public let today: PolicyDay

    /// Refuses a policy with an expired waiver (`PolicyError.expiredWaiver`).
    public init(policy: Policy, today: PolicyDay) throws(PolicyError) {
        try policy.validate(today: today)
        self.policy = policy
        self.today = today
        digest = SHA256.hash(Array(policy.canonicalText.utf8))
    }

    /// The policy's answer for `subject` (`name`: the alias or repo it is reported under), as a
    /// gate decision, with the evaluation it came from.
    public func decide(_ subject: PolicySubject, name: String) -> (GateDecision, PolicyDecision) {
        let evaluation = policy.evaluate(subject, today: today)
        let decision: Decision =
            switch evaluation.action {
            case .allow: .allow
            case .log: .warn(evaluation.reasons.filter { !$0.contains(": allowed: ") }.map { "policy: `\(name)`: \($0)" })
            case .block: .refuse(PolicyError.blocked(subject: name, reasons: evaluation.blocking))
            }
        return (GateDecision(gate: .policy, subject: name, decision: decision), evaluation)
    }

    /// Decides and acts through `decisions` (throws when blocked, after any review); returns
    /// what the lock records. A block a review let through is recorded as `log`: only what let
    /// a model in reaches a lock.
    public func check(_ subject: PolicySubject, name: String, decisions: Decisions) throws -> LockedPolicy {
        let (gate, evaluation) = decide(subject, name: name)
        try decisions.act(gate)
        return LockedPolicy(decision: evaluation.action == .allow ? .allow : .log, reasons: evaluation.reasons)
    }

    /// `check` over `model`'s facts as `store` holds them (the name it is reported under: its
    /// alias).
    /// `hub`: what the Hub said when it resolved the commit just now; nil: a lock pinned it.
    public func judge(_ model: LockedModel, store: Store, hub: HubFacts?, decisions: Decisions) throws -> LockedPolicy {
        let subject = PolicySubject.gather(model, store: store, hub: hub)
        return try check(subject.subject, name: model.alias.rawValue, decisions: decisions)
    }

    /// Today's UTC day by the system clock.
    public static var currentDay: PolicyDay {
        PolicyDay(secondsSinceEpoch: Int64(time(nil)))
    }
}
