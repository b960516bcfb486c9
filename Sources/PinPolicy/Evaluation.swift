#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PinModel

/// What the policy decided for one model.
public struct PolicyDecision: Sendable, Equatable {
    /// The worst action of every rule set (after dry-run and waivers).
    public var action: PolicyAction
    /// `rule: reason` for every rule that matched (waived ones included, saying so), sorted.
    public var reasons: [String]
    /// The reasons that block (empty unless `action` is `block`), sorted.
    public var blocking: [String]

    public init(action: PolicyAction, reasons: [String], blocking: [String] = []) {
        self.action = action
        self.reasons = reasons.sorted()
        self.blocking = blocking.sorted()
    }

    /// Nothing matched: allowed, no reasons.
    public static let allowed = PolicyDecision(action: .allow, reasons: [])
}

extension Policy {
    /// Refuses a policy with a waiver past its `expires` day on `today`: an exception nobody
    /// renewed must be looked at, not go on allowing quietly, nor end silently (then the rule
    /// would start blocking with no word of why).
    public func validate(today: PolicyDay) throws(PolicyError) {
        for set in ruleSets {
            for waiver in set.waivers where waiver.expires < today {
                throw .expiredWaiver(file: set.file, rule: waiver.rule, expires: waiver.expires, reason: waiver.reason)
            }
        }
    }

    /// Applies every rule set to `subject` as of `today` (for the cooldown). The policy must
    /// have passed `validate(today:)`: an expired waiver is ignored here, never honoured.
    public func evaluate(_ subject: PolicySubject, today: PolicyDay) -> PolicyDecision {
        var action = PolicyAction.allow
        var reasons: [String] = []
        var blocking: [String] = []
        for set in ruleSets {
            let result = set.evaluate(subject, today: today)
            action = max(action, result.action)
            reasons += result.reasons
            blocking += result.blocking
        }
        return PolicyDecision(action: action, reasons: reasons, blocking: blocking)
    }
}

extension RuleSet {
    /// In order: a matching `allow` ends the set; a matching rule a waiver covers does nothing
    /// but say so; `dry-run` turns a block into a log.
    func evaluate(_ subject: PolicySubject, today: PolicyDay) -> PolicyDecision {
        var action = PolicyAction.allow
        var reasons: [String] = []
        var blocking: [String] = []
        for rule in rules {
            guard let why = rule.match(subject, today: today) else { continue }
            if let waiver = waivers.first(where: { $0.rule == rule.name && $0.covers(subject) && $0.expires >= today }) {
                reasons.append("\(rule.name): waived until \(waiver.expires) (\(waiver.reason)): \(why)")
                continue
            }
            switch (rule.action, mode) {
            case (.allow, _):
                reasons.append("\(rule.name): allowed: \(why)")
                return PolicyDecision(action: action, reasons: reasons, blocking: blocking)
            case (.log, _):
                action = max(action, .log)
                reasons.append("\(rule.name): \(why)")
            case (.block, .dryRun):
                action = max(action, .log)
                reasons.append("\(rule.name): would block (dry-run): \(why)")
            case (.block, .enforce):
                action = .block
                reasons.append("\(rule.name): \(why)")
                blocking.append("\(rule.name): \(why)")
            }
        }
        return PolicyDecision(action: action, reasons: reasons, blocking: blocking)
    }
}

extension Rule {
    /// Why every condition holds ("; " between them), or nil when one does not.
    func match(_ subject: PolicySubject, today: PolicyDay) -> String? {
        var whys: [String] = []
        for condition in conditions {
            guard let why = condition.match(subject, today: today) else { return nil }
            whys.append(why)
        }
        return whys.isEmpty ? "every model" : whys.joined(separator: "; ")
    }
}

extension Waiver {
    func covers(_ subject: PolicySubject) -> Bool {
        Glob.first(in: repos, matching: subject.repo) != nil || Glob.first(in: owners, matching: subject.owner) != nil
    }
}

extension Condition {
    /// Why the condition holds for `subject`, or nil when it does not.
    func match(_ subject: PolicySubject, today: PolicyDay) -> String? {
        let licenses = subject.licenses.map { $0.lowercased() }
        switch self {
        case .repos(let globs):
            return Glob.first(in: globs, matching: subject.repo).map { "repo `\(subject.repo)` matches `\($0)`" }
        case .owners(let globs):
            return Glob.first(in: globs, matching: subject.owner).map { "owner `\(subject.owner)` matches `\($0)`" }
        case .licenseIn(let allowed):
            let set = Set(allowed.map { $0.lowercased() })
            guard !licenses.isEmpty, licenses.allSatisfy(set.contains) else { return nil }
            return "licence \(Self.list(licenses)) is listed"
        case .licenseNotIn(let listed):
            let set = Set(listed.map { $0.lowercased() })
            let outside = licenses.filter { !set.contains($0) }
            return outside.isEmpty ? nil : "licence \(Self.list(outside)) is not one of \(Self.list(listed))"
        case .licenseUnknown(let unknown):
            guard licenses.isEmpty == unknown else { return nil }
            return unknown ? "no licence is declared" : "licence \(Self.list(licenses)) is declared"
        case .formats(let formats):
            let hits = subject.files.filter { file in file.format.map(formats.contains) ?? false }
            return hits.isEmpty ? nil : hits.map { "`\($0.path)` is \($0.format!)" }.joined(separator: ", ")
        case .verdicts(let verdicts):
            let hits = subject.files.filter { file in file.verdict.map(verdicts.contains) ?? false }
            return hits.isEmpty ? nil : hits.map { "`\($0.path)` is \($0.verdict!.rawValue)" }.joined(separator: ", ")
        case .remoteCode(let wanted):
            guard subject.remoteCode == wanted else { return nil }
            return wanted ? "it carries its own code (auto_map or *.py)" : "it carries no code of its own"
        case .signed(let wanted):
            guard (subject.signedBy != nil) == wanted else { return nil }
            return subject.signedBy.map { "signed by \($0.hex)" } ?? "not signed by a pinned key"
        case .signerNotIn(let keys):
            if let signer = subject.signedBy, keys.contains(signer) { return nil }
            return subject.signedBy.map { "signed by \($0.hex), not by one of the listed keys" } ?? "not signed by one of the listed keys"
        case .sizeAbove(let limit):
            return subject.totalSize > limit ? "its files add up to \(subject.totalSize) bytes, more than \(limit)" : nil
        case .filesAbove(let limit):
            return subject.files.count > limit ? "it has \(subject.files.count) files, more than \(limit)" : nil
        case .youngerThanDays(let days):
            guard let date = subject.commitDate else {
                return subject.commitPinned ? nil : "the commit's date is unknown (a cooldown of \(days) days needs it)"
            }
            let age = today.daysSinceEpoch - PolicyDay(secondsSinceEpoch: date).daysSinceEpoch
            return age < days ? "the commit is \(max(age, 0)) days old, younger than \(days)" : nil
        }
    }

    private static func list(_ items: [String]) -> String { items.map { "`\($0)`" }.joined(separator: ", ") }
}

/// Repo and owner globs: fnmatch, as `include` patterns are read, compared without case (the
/// Hub treats `Acme/Model` and `acme/model` as one repo).
enum Glob {
    static func first(in globs: [String], matching text: String) -> String? {
        let lowered = text.lowercased()
        return globs.first { fnmatch($0.lowercased(), lowered, 0) == 0 }
    }
}
