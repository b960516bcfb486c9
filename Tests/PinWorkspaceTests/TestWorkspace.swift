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
/// that reach it only through `InProcessHTTP`, a reporter that records, and a cancellation flag.
/// No socket is connected to and no process is started. When the workspace API changes, this
/// is the one place to adapt.
final class TestWorkspace {
    static let commit = String(repeating: "1a2b", count: 10)
    static let hubBase = "https://hub.test"

    let directory: FilePath
    let store: Store
    let hub: FakeHub
    let http = InProcessHTTP()
    let reporter = RecordingReporter()
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

    var puller: Puller {
        Puller(store: store, settings: settings, reporter: reporter, cancellation: cancellation)
    }

    /// A by-name pull of `name` into `m/` under the workspace directory.
    func pull(_ name: String, revision: String = "main") throws -> PullSummary {
        var request = PullRequest(name: name, revision: revision, workingDirectory: directory)
        request.destination = destination
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

/// Records what a workspace operation reported, from any thread.
final class RecordingReporter: PullReporter {
    struct Retry: Sendable {
        let path: String
        let attempt: Int
        let reason: String
    }

    private struct Record {
        var warnings: [String] = []
        var retries: [Retry] = []
        var finished: [(path: String, downloaded: Bool)] = []
    }

    private let record = Mutex(Record())

    var warnings: [String] { record.withLock { $0.warnings } }
    var retries: [Retry] { record.withLock { $0.retries } }
    /// Paths reported finished with a download.
    var downloaded: [String] { record.withLock { $0.finished.filter(\.downloaded).map(\.path) } }

    func warning(_ message: String) { record.withLock { $0.warnings.append(message) } }
    func resolved(_ snapshot: Snapshot, files: [PlannedFile]) {}
    func received(_ path: String, bytes: Int64) {}
    func resumed(_ path: String, bytes: Int64) {}
    func finished(_ path: String, size: Int64, downloaded: Bool) {
        record.withLock { $0.finished.append((path, downloaded)) }
    }
    func retrying(_ path: String, attempt: Int, afterSeconds: Double, reason: String) {
        record.withLock { $0.retries.append(Retry(path: path, attempt: attempt, reason: reason)) }
    }
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
