import Foundation
import PinTestSupport
import Testing

/// The example projects in `lockfiles/` are real: each modelpin.lock is exactly what
/// `modelpin lock` writes for its modelpin.toml against the demo's Hub (demo/hub/).
@Suite("lockfiles/demo")
struct ExampleLockfileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let demoEndpoint = "http://127.0.0.1:47113"

    /// The demo Hub's repos, as the fake-hub executable serves demo/hub/: one commit each,
    /// safetensors and parquet in LFS.
    static func demoRepos() throws -> [FakeHub.Repo] {
        let commit = String(repeating: "c0ffee", count: 7).prefix(40).description
        let model = root.appendingPathComponent("demo/hub/acme/tiny-model")
        let corpus = root.appendingPathComponent("demo/hub/datasets/acme/tiny-corpus")
        func bytes(_ directory: URL, _ path: String) throws -> [UInt8] { Array(try Data(contentsOf: directory.appendingPathComponent(path))) }
        return [
            FakeHub.Repo(id: "acme/tiny-model", commit: commit, files: [
                FakeHub.File("config.json", try bytes(model, "config.json")),
                FakeHub.File("tokenizer/tokenizer.json", try bytes(model, "tokenizer/tokenizer.json")),
                FakeHub.File("model.safetensors", try bytes(model, "model.safetensors"), lfs: true),
            ]),
            FakeHub.Repo(id: "datasets/acme/tiny-corpus", commit: commit, files: [
                FakeHub.File("README.md", try bytes(corpus, "README.md")),
                FakeHub.File("data/train-00000-of-00001.parquet", try bytes(corpus, "data/train-00000-of-00001.parquet"), lfs: true),
            ]),
        ]
    }

    /// `lockfiles/demo` (one model) and `lockfiles/dataset` (a model and a dataset).
    @Test(arguments: ["demo", "dataset"])
    func theExampleLockIsWhatModelpinWritesForItsManifest(_ example: String) throws {
        try HubSandbox.with(repos: try Self.demoRepos()) { env throws in
            let demo = Self.root.appendingPathComponent("lockfiles/\(example)")
            let manifest = try String(contentsOf: demo.appendingPathComponent("modelpin.toml"), encoding: .utf8)
            #expect(manifest.contains(Self.demoEndpoint))
            try writeFile(env.directory.appendingPathComponent("modelpin.toml"), Array(manifest.replacingOccurrences(of: Self.demoEndpoint, with: env.hub.endpoint).utf8))
            try writeFile(env.directory.appendingPathComponent("models.allow"), Array(try Data(contentsOf: demo.appendingPathComponent("models.allow"))))
            let locked = try env.sandbox.run("lock")
            #expect(locked.status == 0, "\(locked.stderr)")
            let written = try String(contentsOf: env.directory.appendingPathComponent("modelpin.lock"), encoding: .utf8)
            let committed = try String(contentsOf: demo.appendingPathComponent("modelpin.lock"), encoding: .utf8)
            #expect(written.replacingOccurrences(of: env.hub.endpoint, with: Self.demoEndpoint) == committed)
            #expect(try env.sandbox.run("verify").status == 1, "nothing is materialized yet")
            // `lock` vouches only for bytes it has seen (hashed and scanned): all are in the store,
            // so a pull needs no network.
            env.hub.clearLog()
            #expect(try env.sandbox.run("pull", "--frozen").status == 0)
            #expect(env.hub.log.isEmpty)
            #expect(try env.sandbox.run("verify").status == 0)
        }
    }
}
