import Foundation
import PinDigest
import PinHub
import PinModel
import PinStore
import PinTestSupport
import PinTransport
import PinWorkspace
import Synchronization
import SystemPackage

/// Everything an in-process workspace operation needs: a temporary directory holding a store,
/// the fake Hub played in process at https://hub.test (its CDN at https://cdn.test), settings
/// that reach it only through `InProcessHTTP`, an event sink that records, and a cancellation flag.
/// No socket is connected to and no process is started. When the workspace API changes, this
/// is the one place to adapt.
final class TestWorkspace {
    static let commit = String(repeating: "1a2b", count: 10)
    static let hubBase = "https://hub.test"

    let directory: FilePath
    let store: Store
    let hub: FakeHub
    let http = InProcessHTTP()
    let reporter = RecordingEvents()
    let cancellation = CancellationFlag()
    let settings: PullSettings

    private init(directory: URL, repos: [FakeHub.Repo], configure: (inout PullSettings) -> Void) throws {
        self.directory = FilePath(directory.path)
        store = try Store.open(at: self.directory.appending("store"), access: .readWrite)
        hub = try FakeHub(repos: repos)
        http.serve(hub, at: Self.hubBase)
        var policy = TransportPolicy()
        // Retries as the real policy makes them, only quicker.
        policy.retry.baseDelay = 0.01
        policy.retry.maxDelay = 0.05
        var settings = PullSettings(endpoint: try HubEndpoint(Self.hubBase), policy: policy)
        settings.transport = http
        configure(&settings)
        self.settings = settings
    }

    /// Runs `body` with a fresh workspace; everything is removed afterwards.
    static func with<T>(
        repos: [FakeHub.Repo] = [tinyRepo], configure: (inout PullSettings) -> Void = { _ in },
        _ body: (TestWorkspace) throws -> T
    ) throws -> T {
        try withTemporaryDirectory("modelpin-workspace") { url in
            let workspace = try TestWorkspace(directory: url, repos: repos, configure: configure)
            defer {
                workspace.hub.hub.stop()
                workspace.hub.cdn.stop()
            }
            return try body(workspace)
        }
    }

    /// `with` for a body that awaits (the serve catalog's API is async).
    static func withAsync<T>(
        repos: [FakeHub.Repo] = [tinyRepo], configure: (inout PullSettings) -> Void = { _ in },
        _ body: (TestWorkspace) async throws -> T
    ) async throws -> T {
        try await withTemporaryDirectory("modelpin-workspace") { url in
            let workspace = try TestWorkspace(directory: url, repos: repos, configure: configure)
            defer {
                workspace.hub.hub.stop()
                workspace.hub.cdn.stop()
            }
            return try await body(workspace)
        }
    }

    var puller: Puller {
        Puller(store: store, settings: settings, events: reporter, cancellation: cancellation)
    }

    /// A by-name pull of `name` into `m/` under the workspace directory.
    func pull(_ name: String, revision: String = "main", force: Bool = false) throws -> PullSummary {
        var request = PullRequest(name: name, revision: revision, workingDirectory: directory)
        request.destination = destination
        request.force = force
        return try puller.pull(request)
    }

    var destination: FilePath { directory.appending("m") }

    /// The bytes of `relative` in the pulled directory.
    func pulled(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: destination.appending(relative).string)))
    }

    /// Whether the store holds a verified blob under `bytes`' digest.
    func stores(_ bytes: [UInt8]) -> Bool {
        (try? store.path(of: SHA256.hash(bytes))) != nil
    }

    /// Every blob in the store hashes to its name (nothing wrong was admitted).
    func storedBlobsMatchTheirNames() throws -> Bool {
        let names = try FileManager.default.contentsOfDirectory(atPath: store.blobsDirectory.string)
        return try names.allSatisfy { name in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: store.blobsDirectory.appending(name).string))
            return SHA256.hash(Array(bytes)).hex == name
        }
    }

    /// URLs asked for so far that contain `fragment`.
    func requests(containing fragment: String) -> [InProcessHTTP.LoggedRequest] {
        http.log.filter { $0.url.contains(fragment) }
    }

    // MARK: Fixtures

    static let config = Array(#"{"architectures": ["TinyModel"], "hidden_size": 64}"#.utf8)
    static let tokenizer = Array(#"{"version": "1.0", "model": {"type": "BPE"}}"#.utf8)
    static let weights = safetensorsFile(payloadBytes: 300 << 10, seed: 61)
    static let extra = safetensorsFile(payloadBytes: 200 << 10, seed: 62)

    static let tinyFiles = [
        FakeHub.File("config.json", config),
        FakeHub.File("tokenizer/tokenizer.json", tokenizer),
        FakeHub.File("model.safetensors", weights, lfs: true),
        FakeHub.File("weights/extra.safetensors", extra, lfs: true),
    ]

    static let tinyRepo = FakeHub.Repo(id: "acme/tiny-model", commit: commit, files: tinyFiles)
}

/// Records the event stream of a workspace operation, from any thread.
final class RecordingEvents: EventSink {
    struct Retry: Sendable {
        let path: String
        let attempt: Int
        let reason: String
    }

    private let record = Mutex<[WorkspaceEvent]>([])

    var events: [WorkspaceEvent] { record.withLock { $0 } }

    var warnings: [String] {
        events.compactMap { if case .warning(let message) = $0 { message } else { nil } }
    }
    var retries: [Retry] {
        events.compactMap { event in
            guard case .retrying(let path, let attempt, _, let reason) = event else { return nil }
            return Retry(path: path, attempt: attempt, reason: reason)
        }
    }
    /// Paths verified after a download (not found in the store).
    var downloaded: [String] {
        events.compactMap { event in
            guard case .verified(let path, _, _, let origin) = event, origin != .store else { return nil }
            return path
        }
    }
    /// (path, source, refused) of every fallback to the next source.
    var fallbacks: [(path: String, source: String, refused: Bool)] {
        events.compactMap { event in
            guard case .fallback(let path, let source, _, let refused) = event else { return nil }
            return (path, source, refused)
        }
    }

    func emit(_ event: WorkspaceEvent) { record.withLock { $0.append(event) } }
}

/// Counts down: true for the first `count` calls (a fault that fires N times).
final class Countdown: Sendable {
    private let remaining: Mutex<Int>

    init(_ count: Int) { remaining = Mutex(count) }

    func fire() -> Bool {
        remaining.withLock { count in
            guard count > 0 else { return false }
            count -= 1
            return true
        }
    }
}
