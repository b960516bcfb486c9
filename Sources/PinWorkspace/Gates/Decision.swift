public import PinModel

/// What a gate says about one subject. Gates decide; the workflow acts (`Decisions.act`), so a
/// later policy can turn one kind of answer into another without new plumbing.
public enum Decision: Sendable {
    case allow
    /// Go on, and tell the user these things.
    case warn([String])
    /// Stop: this error says why.
    case refuse(any ModelpinError)

    public var isRefusal: Bool {
        if case .refuse = self { return true }
        return false
    }
}

/// One decision, with the gate that made it and what it was about.
public struct GateDecision: Sendable {
    public enum Gate: String, Sendable, Encodable {
        /// The allowlist and typosquat check of a repo id.
        case names
        /// OpenPGP signatures by pinned signers.
        case signature
        /// The scan of a file's bytes.
        case scan
        /// The admission policy's rules over a whole model (`PolicyGate`).
        case policy
    }

    public let gate: Gate
    /// The repo id, model alias or file path the decision is about.
    public let subject: String
    public var decision: Decision

    public init(gate: Gate, subject: String, decision: Decision) {
        self.gate = gate
        self.subject = subject
        self.decision = decision
    }
}

/// Sees every decision before the workflow acts on it, and may change it. The hook a policy
/// plugs into: it can turn a refusal into a logged warning where its rules allow, or the reverse.
public protocol DecisionReview: Sendable {
    func review(_ decision: GateDecision) -> GateDecision
}

/// Acts on decisions the same way everywhere: review, report, then go on, warn or stop.
public struct Decisions: Sendable {
    public let events: any EventSink
    public let review: (any DecisionReview)?

    public init(events: any EventSink, review: (any DecisionReview)? = nil) {
        self.events = events
        self.review = review
    }

    /// The decision as reviewed and reported: nil to go on, else the error to stop with.
    public func outcome(of decision: GateDecision) -> (any ModelpinError)? {
        let final = review?.review(decision) ?? decision
        events.emit(.decided(final))
        switch final.decision {
        case .allow: return nil
        case .warn(let messages):
            for message in messages { events.emit(.warning(message)) }
            return nil
        case .refuse(let error): return error
        }
    }

    /// As `outcome(of:)`, throwing the refusal.
    public func act(_ decision: GateDecision) throws {
        if let error = outcome(of: decision) { throw error }
    }
}
