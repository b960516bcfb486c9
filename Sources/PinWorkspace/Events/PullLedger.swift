public import PinModel
public import PinStore
import Synchronization

/// The facts a summary reports, gathered from the event stream as it passes: which source
/// served each content, each digest's verdict, how each file was laid out. The summaries
/// (`--json`) are built from these, so they say exactly what the stream said.
public final class PullLedger: EventSink {
    private struct Facts {
        var origins: [SHA256Digest: FileOrigin] = [:]
        var verdicts: [SHA256Digest: Verdict] = [:]
        var methods: [String: MaterializeMethod?] = [:]
    }

    private let facts = Mutex(Facts())

    public init() {}

    public func emit(_ event: WorkspaceEvent) {
        switch event {
        case .verified(_, let digest, _, let origin):
            facts.withLock { facts in
                // Fetched now wins over "already there": another file with the same bytes may
                // have been found in the store after its twin arrived.
                if facts.origins[digest] == nil || origin != .store { facts.origins[digest] = origin }
            }
        case .scanned(_, let digest, let verdict):
            facts.withLock { $0.verdicts[digest] = verdict }
        case .materialized(let path, _, let method):
            facts.withLock { $0.methods[path] = method }
        default:
            break
        }
    }

    public func origin(of digest: SHA256Digest) -> FileOrigin? { facts.withLock { $0.origins[digest] } }
    public func verdict(of digest: SHA256Digest) -> Verdict? { facts.withLock { $0.verdicts[digest] } }
    public func method(of path: String) -> MaterializeMethod?? { facts.withLock { $0.methods[path] } }
}
