public import PinModel
public import PinStore

/// What happened, as it happens: the one stream every consumer reads. The progress display and
/// the `--json` summaries (PinCLI), and later the audit log and a server's metrics, are sinks of
/// it; no workflow reports any other way.
///
/// Emitted from worker threads while transfers run, so a sink must be thread-safe. Events of one
/// file come in order (chosen → received… → verified or refused); events of different files
/// interleave.
public enum WorkspaceEvent: Sendable {
    /// A name and revision became a commit and a file list (the snapshot names the source that
    /// answered). `present`: the paths whose bytes the store holds already.
    case resolved(ResolvedSnapshot, present: [String])
    /// `file` will be fetched from `source`, starting at `resumedBytes` (what an earlier run kept).
    case sourceChosen(file: SnapshotFile, source: String, resumedBytes: Int64)
    /// More bytes of `path` arrived (reported per MiB, not per chunk).
    case received(path: String, bytes: Int64)
    /// A transfer of `path` failed in a way worth repeating; it is tried again after a pause.
    case retrying(path: String, attempt: Int, afterSeconds: Double, reason: String)
    /// `source` could not provide `path` (`refused`: it sent other bytes than the snapshot
    /// pins); the next source is tried.
    case fallback(path: String, source: String, reason: String, refused: Bool)
    /// `source` could not be reached, or answered only with temporary failures, for every one
    /// of `paths` it was asked for (a Hub that is down): one event instead of a `fallback` per
    /// file. The next source, if any, is tried for them.
    case sourceUnavailable(source: String, paths: [String], reason: String)
    /// `path`'s bytes matched their size and digests and were admitted: they are in the store as
    /// `digest`. `origin` says whether they came over the network now or were there already.
    case verified(path: String, digest: SHA256Digest, size: Int64, origin: FileOrigin)
    /// `path` from `source` was not admitted, and why.
    case refused(path: String, source: String, reason: String)
    /// The scanner's verdict on `path` (a scan now, or the one the store kept for its digest).
    case scanned(path: String, digest: SHA256Digest, verdict: Verdict)
    /// A gate (names, signature, scan) decided, after any review (`DecisionReview`).
    case decided(GateDecision)
    /// `model`'s files are vouched for by `signer`'s signatures over `documents`: OpenPGP (`signer`
    /// a fingerprint) or an OMS `model.sig` (`oms-key:ID`, `oms-cert:IDENTITY`), as `kind` says.
    case signatureChecked(model: String, kind: SignatureKind, signer: String, userID: String?, documents: [String])
    /// `path` was laid out in `directory` (nil method: it was already in place).
    case materialized(path: String, directory: String, method: MaterializeMethod?)
    /// Something the user should know that stops nothing.
    case warning(String)
    /// The operation ended well after `seconds`.
    case finished(operation: String, seconds: Double)
    /// A server (`serve`) checked the store's blob for `path` before serving it and found other
    /// bytes than `digest`: it was not served (a 5xx, a log line, a count).
    case servedBlobRefused(repo: RepoID, path: String, digest: SHA256Digest, reason: String)
    /// A server's miss was pulled through from its upstream (`serve --upstream`): `revision`
    /// resolved, and `paths` fetched, verified, scanned and admitted into the store, in `seconds`
    /// (one event per fetch, so a count of them is a count of pull-through fetches).
    case pulledThrough(repo: RepoID, revision: String, paths: [String], seconds: Double)
}

/// Where a verified file's bytes came from.
public enum FileOrigin: Sendable, Equatable, Encodable {
    /// The store held them already (an earlier pull, `store add`, another model).
    case store
    /// Fetched now from this source (an endpoint or a mirror, as the user configured it).
    case fetched(source: String)

    public var source: String? {
        if case .fetched(let source) = self { return source }
        return nil
    }
}

/// Receives the stream. Must be thread-safe.
public protocol EventSink: Sendable {
    func emit(_ event: WorkspaceEvent)
}

/// Several sinks, each seeing every event in order.
public struct EventFanout: EventSink {
    public let sinks: [any EventSink]

    public init(_ sinks: [any EventSink]) {
        self.sinks = sinks
    }

    public func emit(_ event: WorkspaceEvent) {
        for sink in sinks { sink.emit(event) }
    }
}

/// A sink that drops everything (a library caller that wants no report).
public struct DiscardEvents: EventSink {
    public init() {}
    public func emit(_ event: WorkspaceEvent) {}
}
