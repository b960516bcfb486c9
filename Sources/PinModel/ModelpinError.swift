/// What kind of "no" an error is. Libraries classify; only PinCLI turns a kind into an exit code.
public enum FailureKind: Sendable, Equatable {
    /// A check said no: a digest or size mismatch, a missing blob, a refused name, an unsafe file.
    case refused
    /// Something around the check failed: disk, permissions, network, an engine.
    case operational
    /// The request itself is malformed: a bad argument or option value.
    case usage
    /// A source could not be reached, or answered only with temporary failures (connection
    /// refused, a timeout, 429/5xx) after every retry. Nothing is wrong with the request:
    /// running it again later may succeed, so a CI wrapper can tell "retry" from "fix it".
    case unavailable
}

/// An error that can explain itself to a person: the message (`description`), the chain of
/// underlying causes, and what to do about it.
///
/// Every module's error type conforms, so the CLI can render any of them the same way:
/// `error: …`, then `caused by: …` lines, then `hint: …`.
public protocol ModelpinError: Error, CustomStringConvertible {
    var kind: FailureKind { get }
    /// Underlying reasons, outermost first (an errno text, a parser message…).
    var causes: [String] { get }
    /// One sentence telling the user what to do next, if there is something to do.
    var hint: String? { get }
}

extension ModelpinError {
    public var causes: [String] { [] }
    public var hint: String? { nil }
}
