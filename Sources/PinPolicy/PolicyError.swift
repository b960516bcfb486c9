public import PinModel

/// A policy that cannot be applied as written (its parse errors are `ProjectFileError`s, which
/// name file, line and field), or a model it blocks.
public enum PolicyError: ModelpinError, Equatable {
    /// A waiver past its `expires` day.
    case expiredWaiver(file: String, rule: String, expires: PolicyDay, reason: String)
    /// The policy blocked a model: `reasons` are `rule: why`.
    case blocked(subject: String, reasons: [String])

    public var kind: FailureKind {
        switch self {
        case .expiredWaiver: .operational
        case .blocked: .refused
        }
    }

    public var description: String {
        switch self {
        case .expiredWaiver(let file, let rule, let expires, _):
            "`\(file)`: the waiver of rule `\(rule)` expired on \(expires)"
        case .blocked(let subject, let reasons):
            "the admission policy blocks `\(subject)`" + (reasons.count == 1 ? ": \(reasons[0])" : "")
        }
    }

    public var causes: [String] {
        switch self {
        case .expiredWaiver(_, _, _, let reason): ["it was granted because: \(reason)"]
        case .blocked(_, let reasons): reasons.count == 1 ? [] : reasons
        }
    }

    public var hint: String? {
        switch self {
        case .expiredWaiver:
            "renew it with a new `expires` (after reviewing it) or remove it; an expired waiver is never applied silently"
        case .blocked:
            "nothing was laid out, locked or served; choose another model, or add a `[[policy.waiver]]` with a `reason` and an `expires` date"
        }
    }
}
