import Foundation
import PinTestSupport
import Testing

/// `pull --hf-cache`, `layout = "hf-cache"` and `export --hf-cache` through the built binary,
/// checked on the files themselves (the client tests read them with huggingface_hub).
@Suite struct HFCachePullTests {
    static let folder = "models--acme--tiny-model"

    static func isLink(_ url: URL) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) != nil
    }

    /// By name: the cache is the output, as with `hf download`; no directory unless --to.
    @Test func pullByNameWritesTheCacheInsteadOfADirectory() throws {
        try HubSandbox.with { env throws in
            let cache = env.directory.appendingPathComponent("hf")
            let pulled = try env.pull("acme/tiny-model", "--hf-cache", "--hf-cache-dir", cache.path, "--json")
            try #require(pulled.status == 0, "\(pulled.stderr)")
            let repo = cache.appendingPathComponent(Self.folder)
            let snapshot = repo.appendingPathComponent("snapshots/\(HubSandbox.commit)")
            #expect(Self.isLink(snapshot.appendingPathComponent("tokenizer/tokenizer.json")))
            #expect(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")) == Data(HubSandbox.weights))
            #expect(try String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) == HubSandbox.commit)
            #expect(FileManager.default.fileExists(atPath: repo.appendingPathComponent("trees/\(HubSandbox.commit).json").path))
            #expect(!FileManager.default.fileExists(atPath: env.directory.appendingPathComponent("models").path), "no directory without --to")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(pulled.stdout.utf8)) as? [String: Any])
            let exported = try #require(json["hfCache"] as? [String: Any])
            #expect(exported["snapshot"] as? String == snapshot.path)
            #expect(exported["linked"] as? Int == 4)
            #expect(exported["crossFilesystem"] as? Bool == false)

            // --to adds the directory; a pull with a pattern writes no tree listing.
            let other = env.directory.appendingPathComponent("hf2")
            let narrowed = try env.pull("acme/tiny-model", "--hf-cache", "--hf-cache-dir", other.path, "--to", "dir", "--include", "*.json")
            try #require(narrowed.status == 0, "\(narrowed.stderr)")
            #expect(FileManager.default.fileExists(atPath: env.directory.appendingPathComponent("dir/config.json").path))
            #expect(Self.isLink(other.appendingPathComponent("\(Self.folder)/snapshots/\(HubSandbox.commit)/config.json")))
            #expect(!FileManager.default.fileExists(atPath: other.appendingPathComponent("\(Self.folder)/trees").path))
        }
    }

    @Test func hfCacheDirWithoutHFCacheIsAUsageError() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.pull("acme/tiny-model", "--hf-cache-dir", "hf")
            #expect(outcome.status == 64)
            #expect(outcome.stderr.contains("pass --hf-cache too"))
        }
    }

    /// `layout = "hf-cache"`: the project's model goes to the cache HF_HUB_CACHE names, verify
    /// does not look for a directory, and export of the whole lock keeps what is there.
    @Test func aProjectModelWithTheHFCacheLayout() throws {
        try ProjectSandbox.with { project throws in
            // By hand, not `add`, which pulls into a directory at once.
            let manifest = try project.manifestText() + "\n[models.tiny-model]\nrepo = \"acme/tiny-model\"\nlayout = \"hf-cache\"\n"
            try writeFile(project.manifest, Array(manifest.utf8))
            let cache = project.directory.appendingPathComponent("hf")
            let pulled = try project.run("pull", environment: ["HF_HUB_CACHE": cache.path])
            try #require(pulled.status == 0, "\(pulled.stderr)")
            let repo = cache.appendingPathComponent(Self.folder)
            #expect(Self.isLink(repo.appendingPathComponent("snapshots/\(HubSandbox.commit)/config.json")))
            #expect(FileManager.default.fileExists(atPath: repo.appendingPathComponent("trees/\(HubSandbox.commit).json").path))
            #expect(try String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) == HubSandbox.commit)
            #expect(!FileManager.default.fileExists(atPath: project.model.path))
            #expect(pulled.stdout.contains("→ \(repo.path)/snapshots/\(HubSandbox.commit)"))

            let verified = try project.run("verify")
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

            let exported = try project.run("export", "--hf-cache", "--json", environment: ["HF_HUB_CACHE": cache.path])
            try #require(exported.status == 0, "\(exported.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(exported.stdout.utf8)) as? [String: Any])
            let snapshots = try #require(json["snapshots"] as? [[String: Any]])
            #expect(snapshots.count == 1)
            #expect(snapshots.first?["kept"] as? Int == 4)
            #expect(snapshots.first?["revision"] as? String == "main")
        }
    }

    /// Export reads the store only: a snapshot it lacks is named, with what to do.
    @Test func exportOfASnapshotTheStoreLacks() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.sandbox.run("export", "--hf-cache", "--cache-dir", "hf", "acme/tiny-model@v2")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("the store holds no snapshot of `acme/tiny-model` at `v2`"))
            #expect(outcome.stderr.contains("hint: pull it first"))
            let usage = try env.sandbox.run("export", "acme/tiny-model")
            #expect(usage.status == 64)
            #expect(usage.stderr.contains("--hf-cache"))
        }
    }
}
