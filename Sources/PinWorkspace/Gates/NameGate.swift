public import PinModel
public import PinNames

/// The first gate of a pull by name: the allowlist and the typosquat check. Typosquats are
/// refused, unlisted ids too unless the user allowed them explicitly (then with a warning);
/// without an allowlist nothing is checked, and a warning says so.
public struct NameGate: Sendable {
    /// nil when no allowlist is configured.
    public let names: NameChecker?
    /// Where the allowlist came from, for messages.
    public let allowlistSource: String?

    public init(names: NameChecker?, allowlistSource: String?) {
        self.names = names
        self.allowlistSource = allowlistSource
    }

    /// The repo id `name` stands for (the allowlist's spelling when listed) and what the gate
    /// says about it. A name that is not a repo id at all is a usage error, not a decision.
    public func decide(_ name: String, allowUnlisted: Bool) throws -> (repo: RepoID, decision: GateDecision) {
        let shown = name.escapedForDisplay
        guard let names else {
            let warning = "no allowlist configured: `\(shown)` was not checked for typosquats (set MODELPIN_ALLOWLIST or pass --allowlist)"
            return (try Self.parse(name), GateDecision(gate: .names, subject: name, decision: .warn([warning])))
        }
        let verdict = try names.check(name)
        let refusal = NameRefusal(verdict: verdict, allowlistSource: allowlistSource ?? "the allowlist")
        switch verdict.verdict {
        case .allowed:
            return (try RepoID(parsing: verdict.canonical!), GateDecision(gate: .names, subject: name, decision: .allow))
        case .typosquat:
            return (try Self.parse(name), GateDecision(gate: .names, subject: name, decision: .refuse(refusal)))
        case .unlisted where allowUnlisted:
            let warning = "`\(shown)` is not on the allowlist; pulling it because --allow-unlisted was given"
            return (try Self.parse(name), GateDecision(gate: .names, subject: name, decision: .warn([warning])))
        case .unlisted:
            return (try Self.parse(name), GateDecision(gate: .names, subject: name, decision: .refuse(refusal)))
        }
    }

    private static func parse(_ name: String) throws(NameSyntaxError) -> RepoID {
        do {
            return try RepoID(parsing: name)
        } catch {
            throw NameSyntaxError(name: name, reason: error.reason)
        }
    }
}
