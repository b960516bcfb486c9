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

    /// The names gate for a repository on an OCI registry (`oci://HOST[:PORT]/PATH`): it must be
    /// listed (`oci://…` lines of the allowlist), else it is refused unless the user allowed
    /// unlisted names (then with a warning); without an allowlist, a warning. There is no
    /// typosquat check: a registry host is trusted because someone listed it, and lookalikes of
    /// Hub owners mean nothing on a host that is not the Hub.
    public func decideRegistry(_ repository: String, allowUnlisted: Bool) -> GateDecision {
        let shown = repository.escapedForDisplay
        guard let names else {
            let warning = "no allowlist configured: `\(shown)` was not checked against one (set MODELPIN_ALLOWLIST or pass --allowlist)"
            return GateDecision(gate: .names, subject: repository, decision: .warn([warning]))
        }
        if names.allowsRegistry(repository) { return GateDecision(gate: .names, subject: repository, decision: .allow) }
        if allowUnlisted {
            let warning = "`\(shown)` is not on the allowlist; pulling it because --allow-unlisted was given"
            return GateDecision(gate: .names, subject: repository, decision: .warn([warning]))
        }
        return GateDecision(gate: .names, subject: repository, decision: .refuse(UnlistedRegistry(repository: repository, allowlist: allowlistSource ?? "the allowlist")))
    }

    private static func parse(_ name: String) throws(NameSyntaxError) -> RepoID {
        do {
            return try RepoID(parsing: name)
        } catch {
            throw NameSyntaxError(name: name, reason: error.reason)
        }
    }
}

/// A registry repository the allowlist does not name.
public struct UnlistedRegistry: ModelpinError, Equatable {
    public let repository: String
    public let allowlist: String

    public var kind: FailureKind { .refused }
    public var description: String { "`\(repository.escapedForDisplay)` is not on the allowlist (\(allowlist.escapedForDisplay))" }
    public var hint: String? {
        "add `\(repository.escapedForDisplay)` (or `oci://HOST/PREFIX/*`) to the allowlist if you trust it, or pass --allow-unlisted for one pull"
    }
}
