import PinAudit
import PinModel

/// One operation's way into the audit log: a recorder among its event sinks while it runs,
/// then its entries appended in one call, whether it succeeded or failed (a refusal is what
/// the log is for). Opened before the operation starts, so a log that cannot be written stops
/// it before it fetches or writes anything.
public struct AuditTrail: Sendable {
    let user: String
    let command: String
    /// Appends one operation's entries in one call (under the store's lock, fsynced) and
    /// returns the signed checkpoint's text.
    let append: @Sendable ([AuditEntry]) throws -> String

    /// Runs `body` with a fresh recorder and `events` plus the recorder as its sink, then
    /// appends what it recorded. Returns the body's value and the checkpoint after the append;
    /// rethrows the body's error once its entries are in the log. A log that cannot take the
    /// entries fails the operation (`AuditAppendError`), carrying the body's own error if any.
    func record<Value>(
        events: any EventSink, cancelled: () -> Bool, _ body: (AuditRecorder, any EventSink) throws -> Value
    ) throws -> (value: Value, checkpoint: String) {
        let recorder = AuditRecorder()
        let result = Result { try body(recorder, EventFanout([events, recorder])) }
        let outcome: AuditOutcome
        switch result {
        case .success: outcome = .ok
        case .failure(let error): outcome = .failed(error, cancelled: cancelled())
        }
        let checkpoint: String
        do {
            checkpoint = try append(recorder.entries(ending: outcome, user: user, command: command))
        } catch {
            let operationError: (any Error)? = if case .failure(let failure) = result { failure } else { nil }
            throw AuditAppendError(underlying: error, operation: operationError)
        }
        return (try result.get(), checkpoint)
    }

    /// One entry that is no operation's (a server's refusal to serve a blob), appended alone.
    func append(_ entry: AuditEntry) throws {
        var entry = entry
        entry.user = user
        entry.command = command
        _ = try append([entry])
    }
}

/// The log did not take an operation's entries: the operation fails (an operation nobody can
/// account for later is not one modelpin reports as done), saying what it did itself.
struct AuditAppendError: ModelpinError {
    let underlying: any Error
    /// The operation's own error, when it failed too.
    let operation: (any Error)?

    var kind: FailureKind { .operational }
    var description: String {
        operation == nil
            ? "the operation succeeded, but the store's audit log could not record it"
            : "the operation failed, and the store's audit log could not record that either"
    }
    var causes: [String] {
        var causes = AuditOutcome.reasons(of: underlying)
        if let operation { causes += AuditOutcome.reasons(of: operation).map { "the operation: " + $0 } }
        return causes
    }
    var hint: String? {
        "make the store writable (the log is `audit/` in it) and run the command again; \(AuditSettings.variable)=off runs without the log, loudly"
    }
}
