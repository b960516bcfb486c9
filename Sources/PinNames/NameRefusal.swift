public import PinModel

/// A name check's "no", as an error a command can throw: typosquats always, unlisted ids
/// unless the user explicitly allowed them.
public struct NameRefusal: ModelpinError, Equatable {
    public let verdict: NameVerdict
    /// Where the allowlist came from, for the hint.
    public let allowlistSource: String

    public init(verdict: NameVerdict, allowlistSource: String) {
        self.verdict = verdict
        self.allowlistSource = allowlistSource
    }

    public var kind: FailureKind { .refused }

    public var description: String {
        let name = "`\(verdict.name.escapedForDisplay)`"
        switch verdict.verdict {
        case .typosquat:
            return "\(name) looks like the allowed `\(verdict.imitates ?? "?")`"
        case .unlisted, .allowed:
            return "\(name) is not on the allowlist"
        }
    }

    public var causes: [String] {
        switch verdict.verdict {
        case .typosquat: verdict.evidence + [verdict.reason]
        case .unlisted, .allowed: [verdict.reason]
        }
    }

    public var hint: String? {
        if let suggestion = verdict.suggestion { return "did you mean `\(suggestion)`?" }
        if verdict.verdict == .typosquat {
            return "only `\(verdict.imitates ?? "the allowed owner")` may be used; check where this name came from"
        }
        if !verdict.related.isEmpty {
            return "allowed ids nearby: " + verdict.related.map { "`\($0)`" }.joined(separator: ", ")
                + "; or add `\(verdict.name.escapedForDisplay)` to `\(allowlistSource)` if this project should use it"
        }
        return "add `\(verdict.name.escapedForDisplay)` to `\(allowlistSource)` if this project should use it"
    }
}
