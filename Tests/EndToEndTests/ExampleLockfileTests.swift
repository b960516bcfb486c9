import Foundation
import PinTestSupport
import Testing

/// The example project in `lockfiles/demo/` is real: its modelpin.lock is exactly what
/// `modelpin lock` writes for its modelpin.toml against the demo's Hub (demo/hub/).
@Suite("lockfiles/demo")
struct ExampleLockfileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let demoEndpoint = "http://127.0.0.1:47113"

    @Test func theDemoLockIsWhatModelpinWritesForTheDemoManifest() throws {
        let model = Self.root.appendingPathComponent("demo/hub/acme/tiny-model")
        func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: model.appendingPathComponent(path))) }
        // As the fake-hub executable serves the directory: one commit, safetensors in LFS.
        let repo = FakeHub.Repo(id: "acme/tiny-model", commit: String(repeating: "c0ffee", count: 7).prefix(40).description, files: [
            FakeHub.File("config.json", try bytes("config.json")),
            FakeHub.File("tokenizer/tokenizer.json", try bytes("tokenizer/tokenizer.json")),
            FakeHub.File("model.safetensors", try bytes("model.safetensors"), lfs: true),
        ])
        try HubSandbox.with(repos: [repo]) { env throws in
            let demo = Self.root.appendingPathComponent("lockfiles/demo")
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
