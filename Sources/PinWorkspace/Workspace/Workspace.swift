public import PinStore
import PinTransport
import SystemPackage

/// What every operation needs: where the store is, how to reach sources, whom to tell what
/// happens, and the flag that stops it. The CLI builds one per command, calls one operation on
/// it and renders the result; the operations (`Operations/`) hold the workflows.
public struct Workspace: Sendable {
    /// Opens the store, read-only or read-write as the operation needs (a check that writes
    /// nothing does not create a store).
    public let openStore: @Sendable (Store.Access) throws -> Store
    /// modelpin's trusted keyring: a GnuPG home of its own inside the store, never ~/.gnupg.
    /// Asked only by operations that use it, like the store.
    public let keyringDirectory: @Sendable () throws -> String
    public let configuration: WorkspaceConfiguration
    /// Where every operation reports what happens (`WorkspaceEvent`).
    public internal(set) var events: any EventSink
    public let cancellation: Cancellation
    /// Sees every gate's decision before it is acted on (a policy); nil: decisions stand.
    public var review: (any DecisionReview)?
    /// The running operation's audit recorder (`audited`), for what it tells the log beyond
    /// its events: nil outside an audited operation.
    var audit: AuditRecorder?

    public init(
        openStore: @escaping @Sendable (Store.Access) throws -> Store, keyringDirectory: @escaping @Sendable () throws -> String,
        configuration: WorkspaceConfiguration, events: any EventSink = DiscardEvents(),
        cancellation: Cancellation = Cancellation()
    ) {
        self.openStore = openStore
        self.keyringDirectory = keyringDirectory
        self.configuration = configuration
        self.events = events
        self.cancellation = cancellation
    }

    /// How this operation reaches registries, with upload journals inside `store`.
    func registryAccess(store: Store) throws -> RegistryAccess {
        var policy = TransportPolicy()
        policy.userAgent = configuration.userAgent
        policy.stallTimeout = configuration.stallTimeout
        policy.retry.maxAttempts = configuration.retries
        policy.caBundle = configuration.caBundle ?? configuration.environment["MODELPIN_CA_BUNDLE"].nonEmpty ?? configuration.environment["SSL_CERT_FILE"].nonEmpty
        var access = configuration.registryAccess(policy: policy)
        access.journalDirectory = Self.uploadJournals(in: store)
        return access
    }

    /// Where interrupted registry uploads are journaled, so that the next push resumes them.
    static func uploadJournals(in store: Store) -> FilePath {
        store.root.appending("registry").appending("uploads")
    }

    /// The pull machinery against `endpoint`: the one place an operation makes a `Puller`.
    /// `project`: whose `[policy]` joins the shared policy file's (nil: the shared file only).
    func puller(store: Store, endpoint: String, project: Project? = nil) throws -> Puller {
        var settings = try configuration.pullSettings(endpoint: endpoint) { events.emit(.warning($0)) }
        settings.registry?.journalDirectory = Self.uploadJournals(in: store)
        var puller = Puller(store: store, settings: settings, events: events, cancellation: cancellation.flag)
        puller.review = review
        puller.policy = try policyGate(project: project)
        return puller
    }
}

/// Set by Ctrl-C (signals are the process's business: PinCLI installs the handler); every
/// transfer and lock wait of the running operation checks it.
public final class Cancellation: Sendable {
    let flag = CancellationFlag()

    public init() {}

    public func cancel() { flag.cancel() }
    public var isCancelled: Bool { flag.isCancelled }
}
