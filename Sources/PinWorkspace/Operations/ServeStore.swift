public import SystemPackage
import PinStore
public import PinModel

extension Workspace {
    /// `serve`: the catalog of what the server may hand out — every snapshot the store recorded,
    /// or only those the lockfiles at `locks` pin — and, with `upstream`, pull-through from that
    /// Hub with this workspace's token, allowlist and scan policy. The upstream is the operator's
    /// own choice (a flag on the server), so the token goes to it as it goes to `--endpoint`.
    /// `signers`: repo id → the keys one of which must sign what is pulled through of it.
    public func serveCatalog(locks: [FilePath], upstream: String?, signers: [String: [SignerID]] = [:]) throws -> StoreServeCatalog {
        let store = try openStore(upstream == nil ? .readOnly : .readWrite)
        let pins = locks.isEmpty ? nil : ServedPins(locks: try locks.map { path in
            guard let read = try Project.readLockfile(path) else { throw ServeSetupError.noLockfile(path.string) }
            return read.lock
        })
        var puller: Puller?
        if let upstream {
            var configuration = configuration
            configuration.endpointFlag = upstream
            let settings = try configuration.pullSettings(endpoint: WorkspaceConfiguration.trimmed(upstream)) { events.emit(.warning($0)) }
            var upstreamPuller = Puller(store: store, settings: settings, events: events, cancellation: cancellation.flag)
            upstreamPuller.review = review
            // The shared policy (`--policy`, MODELPIN_POLICY): a server has no project.
            upstreamPuller.policy = try policyGate(project: nil)
            puller = upstreamPuller
        }
        // Without an upstream the store may be read-only (a hardened mirror): nothing is written
        // to it, the log included. With one, every pull-through is logged.
        let audit = upstream == nil ? nil : try auditTrail("serve")
        if upstream != nil, audit == nil { events.emit(.warning(AuditSettings.offWarning)) }
        return try StoreServeCatalog(store: store, pins: pins, upstream: puller, signers: signers, events: events, audit: audit)
    }
}
