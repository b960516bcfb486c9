import Prometheus
import Synchronization
public import PinWorkspace

/// The server's Prometheus metrics (`GET /metrics`), kept in a registry of its own rather than
/// swift-metrics' process-wide bootstrap, so that two servers in one process (the tests) do not
/// share counts.
///
/// It is also an `EventSink`: the catalog reports blobs it refused to serve
/// (`.servedBlobRefused`) and pull-through fetches (`.pulledThrough`) as workspace events, and
/// they are counted here. Give it to the workspace the catalog is built from.
public final class ServeMetrics: EventSink, Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let sentBytes: Counter
    private let verificationFailures: Counter
    private let pullThroughs: Counter
    private let pulledFiles: Counter
    private let redirects: Counter
    private let inFlight: Gauge
    /// Counters by (route, status), made on first use: the label set is small and bounded
    /// (six routes, a few dozen statuses), never anything a client chose freely.
    private let requests = Mutex<[String: Counter]>([:])

    public init() {
        sentBytes = registry.makeCounter(descriptor: Self.name("sent_bytes", "total", "Response body bytes sent."))
        verificationFailures = registry.makeCounter(descriptor: Self.name(
            "verification_failures", "total",
            "Blobs refused because their bytes did not match the snapshot when checked before serving."))
        pullThroughs = registry.makeCounter(descriptor: Self.name("pull_through", "total", "Misses pulled through from the upstream Hub."))
        pulledFiles = registry.makeCounter(descriptor: Self.name("pull_through_files", "total", "Files verified and admitted by pull-through."))
        redirects = registry.makeCounter(descriptor: Self.name(
            "blob_redirects", "total", "LFS files answered with a redirect to --blob-redirect instead of their bytes."))
        inFlight = registry.makeGauge(descriptor: Self.name("in_flight", "requests", "Requests being answered now."))
    }

    public func emit(_ event: WorkspaceEvent) {
        switch event {
        case .servedBlobRefused:
            verificationFailures.increment()
        case .pulledThrough(_, _, let paths, _):
            pullThroughs.increment()
            pulledFiles.increment(by: Int64(paths.count))
        default:
            break
        }
    }

    /// A blob the server itself refused after the catalog's check (its identity changed between
    /// the check and the open): counted with the catalog's refusals.
    func blobRefusedAtOpen() { verificationFailures.increment() }

    func blobRedirected() { redirects.increment() }

    func requestStarted() { inFlight.increment() }

    func requestFinished(route: String, status: Int, bytes: Int64) {
        inFlight.decrement()
        if bytes > 0 { sentBytes.increment(by: bytes) }
        let key = route + " " + String(status)
        let counter = requests.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.name("requests", "total", "Requests answered, by route and status."),
                labels: [("route", route), ("status", String(status))])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// `modelpin_serve_<metric>_<unit>`.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "modelpin", subsystem: "serve", metricName: metric, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
