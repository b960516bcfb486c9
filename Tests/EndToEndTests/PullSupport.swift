import Foundation
import PinTestSupport
import Testing

/// A fake Hub with a small model, a sandbox, and a `modelpin pull` pointed at the hub.
struct HubSandbox {
    static let commit = String(repeating: "1a2b", count: 10)
    static let config = Array(#"{"architectures": ["TinyModel"], "hidden_size": 64}"#.utf8)
    static let tokenizer = Array(#"{"version": "1.0", "model": {"type": "BPE"}}"#.utf8)
    static let weights = safetensorsFile(payloadBytes: 3 << 20, seed: 31)
    /// Weights under a `.bin` name, in a format the scanner recognises: unrecognised content
    /// named like weights is refused (`malformed`).
    static let extra = safetensorsFile(payloadBytes: 600 << 10, seed: 32)

    static var files: [FakeHub.File] {
        [
            FakeHub.File("config.json", config),
            FakeHub.File("tokenizer/tokenizer.json", tokenizer),
            FakeHub.File("model.safetensors", weights, lfs: true),
            FakeHub.File("weights/extra.bin", extra, lfs: true),
        ]
    }

    let sandbox: Sandbox
    let hub: FakeHub

    var directory: URL { sandbox.directory }
    var model: URL { directory.appendingPathComponent("models/acme/tiny-model") }

    static func with<T>(
        repos: [FakeHub.Repo] = [FakeHub.Repo(id: "acme/tiny-model", commit: commit, files: files)],
        pathPrefix: String = "", _ body: (HubSandbox) throws -> T
    ) throws -> T {
        let hub = try FakeHub(repos: repos, pathPrefix: pathPrefix)
        defer {
            hub.hub.stop()
            hub.cdn.stop()
        }
        return try Sandbox.with { sandbox throws in try body(HubSandbox(sandbox: sandbox, hub: hub)) }
    }

    /// `modelpin pull ARGS… --endpoint <hub>` with quick retries.
    @discardableResult
    func pull(_ arguments: String..., environment: [String: String] = [:]) throws -> ModelpinProcess.Outcome {
        var modelpin = sandbox.modelpin
        modelpin.environment.merge(environment) { $1 }
        return try modelpin.run(["pull"] + arguments + ["--endpoint", hub.endpoint])
    }

    func contents(_ relative: String) throws -> Data {
        try Data(contentsOf: model.appendingPathComponent(relative))
    }

    /// Blob names in the store.
    var blobs: [String] { sandbox.names(sandbox.blobs) }

    var cdnRequests: [FakeHub.LoggedRequest] { hub.log.filter { $0.server == "cdn" } }
}
