import Foundation
import PinDigest
import PinTestSupport
import Testing

/// A cache huggingface_hub 2.4.0 itself wrote (downloaded from the fake Hub), adopted by the
/// built binary: import it with --lock, find it in the store, pull it from the lock with the Hub
/// gone, and verify the cache offline before and after a byte is flipped.
@Suite("import/verify --hf-cache with the real huggingface_hub", .tags(.pythonClients), .enabled(if: PythonClients.enabled))
struct HFCacheImportEndToEndTests {
    static let download = """
        import sys
        from huggingface_hub import snapshot_download
        print(snapshot_download("acme/tiny-model", cache_dir=sys.argv[1]))
        """

    @Test func aCacheTheClientWroteRoundTripsThroughTheStore() throws {
        try HubSandbox.with { env throws in
            let cache = env.directory.appendingPathComponent("hf-cache")
            let downloaded = try PythonClients.run(
                Self.download, arguments: [cache.path], environment: ["HF_ENDPOINT": env.hub.endpoint, "HF_HUB_CACHE": cache.path])
            #expect(downloaded.status == 0, "\(downloaded.stderr)")
            #expect(downloaded.stdout.contains("models--acme--tiny-model/snapshots/\(HubSandbox.commit)"))

            // Nothing from here on may reach a Hub: it is stopped, and the endpoints point at it.
            env.hub.hub.stop()
            env.hub.cdn.stop()
            var modelpin = env.sandbox.modelpin
            modelpin.environment["HF_ENDPOINT"] = env.hub.endpoint
            modelpin.environment["MODELPIN_ENDPOINT"] = env.hub.endpoint
            try Data("version = 1\n".utf8).write(to: env.directory.appendingPathComponent("modelpin.toml"))

            let imported = try modelpin.run(["import", "--hf-cache", "--cache-dir", cache.path, "--lock", "--json"])
            #expect(imported.status == 0, "\(imported.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [String: Any])
            #expect(report["refused"] as? Int == 0)
            let repos = try #require(report["repos"] as? [[String: Any]])
            let snapshot = try #require((repos.first?["snapshots"] as? [[String: Any]])?.first)
            #expect(snapshot["commit"] as? String == HubSandbox.commit && snapshot["outcome"] as? String == "recorded")
            #expect(snapshot["revisions"] as? [String] == ["main"])
            let files = try #require(snapshot["files"] as? [[String: Any]])
            #expect(Set(files.compactMap { $0["path"] as? String }) == Set(HubSandbox.files.map(\.path)))
            #expect(files.allSatisfy { $0["outcome"] as? String == "added" })
            let lock = try String(contentsOf: env.directory.appendingPathComponent("modelpin.lock"), encoding: .utf8)
            #expect(lock.contains("source = \"hf-cache\""))

            let snapshots = try modelpin.run(["store", "snapshots"])
            #expect(snapshots.stdout.contains("acme/tiny-model:main"), "\(snapshots.stdout)")

            // The same bytes, from the store, with no Hub.
            let pulled = try modelpin.run(["pull", "--frozen"])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            for file in HubSandbox.files {
                #expect(try env.contents(file.path) == Data(file.cacheFixtureBytes), "\(file.path)")
            }

            let clean = try modelpin.run(["verify", "--hf-cache", "--cache-dir", cache.path])
            #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
            #expect(clean.stderr.contains("1 against modelpin.lock"), "\(clean.stderr)")

            // One byte flipped in the weights' blob: modified, exit 1, and named.
            let etag = String("\(SHA256.hash(HubSandbox.weights))".dropFirst("sha256:".count))
            let blob = cache.appendingPathComponent("models--acme--tiny-model/blobs/\(etag)")
            var bytes = try Data(contentsOf: blob)
            bytes[bytes.count - 1] ^= 0x01
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: blob.path)
            try bytes.write(to: blob)
            let flipped = try modelpin.run(["verify", "--hf-cache", "--cache-dir", cache.path])
            #expect(flipped.status == 1)
            #expect(flipped.stdout.contains("modified  models--acme--tiny-model/snapshots/\(HubSandbox.commit)/model.safetensors"), "\(flipped.stdout)")
            // ... and import refuses it, leaving the recorded snapshot as it was.
            let again = try modelpin.run(["import", "--hf-cache", "--cache-dir", cache.path])
            #expect(again.status == 1)
            #expect(again.stdout.contains("refused  models--acme--tiny-model/snapshots/\(HubSandbox.commit)/model.safetensors"), "\(again.stdout)")
        }
    }

    /// `lock` keeps the mark; `lock --update` asks the (fake) Hub, which confirms the commit,
    /// and the entry is written from its answer without `source`.
    @Test func lockUpdateConfirmsAnImportedModelOnTheHub() throws {
        try HubSandbox.with { env throws in
            let cache = env.directory.appendingPathComponent("hf-cache")
            let downloaded = try PythonClients.run(
                Self.download, arguments: [cache.path], environment: ["HF_ENDPOINT": env.hub.endpoint, "HF_HUB_CACHE": cache.path])
            #expect(downloaded.status == 0, "\(downloaded.stderr)")
            let modelpin = env.sandbox.modelpin
            try Data("version = 1\n".utf8).write(to: env.directory.appendingPathComponent("modelpin.toml"))
            let imported = try modelpin.run(["import", "--hf-cache", "--cache-dir", cache.path, "--lock"])
            #expect(imported.status == 0, "\(imported.stderr)")
            let lockURL = env.directory.appendingPathComponent("modelpin.lock")
            let adopted = try String(contentsOf: lockURL, encoding: .utf8)
            #expect(adopted.contains("source = \"hf-cache\""))

            let plain = try modelpin.run(["lock", "--endpoint", env.hub.endpoint])
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(try String(contentsOf: lockURL, encoding: .utf8) == adopted)

            let update = try modelpin.run(["lock", "--update", "tiny-model", "--endpoint", env.hub.endpoint])
            #expect(update.status == 0, "\(update.stderr)")
            #expect(update.stderr.contains("confirmed tiny-model at \(HubSandbox.commit.prefix(12)) against the Hub"), "\(update.stderr)")
            let confirmed = try String(contentsOf: lockURL, encoding: .utf8)
            #expect(!confirmed.contains("source ="))
            // The same files, bytes and ids: only the mark and the endpoint's provenance changed.
            let fileLines = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("sha256 =") || $0.hasPrefix("git-blob-id =") || $0.hasPrefix("path =") } }
            #expect(fileLines(confirmed) == fileLines(adopted))
        }
    }

    /// The writer and the reader agree: what `export --hf-cache` writes, `verify --hf-cache`
    /// passes and `import --hf-cache` adopts into another store, file for file, byte for byte.
    @Test func anExportedCacheVerifiesAndImportsIntoAnotherStore() throws {
        try HubSandbox.with { env throws in
            #expect(try env.pull("acme/tiny-model").status == 0)
            env.hub.hub.stop()
            env.hub.cdn.stop()
            let cache = env.directory.appendingPathComponent("hf-cache")
            let exported = try env.sandbox.modelpin.run(["export", "--hf-cache", "--cache-dir", cache.path, "acme/tiny-model"])
            #expect(exported.status == 0, "\(exported.stderr)")

            let verified = try env.sandbox.modelpin.run(["verify", "--hf-cache", "--cache-dir", cache.path, "--json"])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any])
            #expect(report["files"] as? Int == HubSandbox.files.count && (report["problems"] as? [Any])?.isEmpty == true)

            var other = env.sandbox.modelpin
            other.environment["MODELPIN_HOME"] = env.directory.appendingPathComponent("other-store").path
            let imported = try other.run(["import", "--hf-cache", "--cache-dir", cache.path, "--json"])
            #expect(imported.status == 0, "\(imported.stderr)")
            let adopted = try #require(try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [String: Any])
            let snapshot = try #require(((adopted["repos"] as? [[String: Any]])?.first?["snapshots"] as? [[String: Any]])?.first)
            #expect(snapshot["outcome"] as? String == "recorded" && snapshot["revisions"] as? [String] == ["main"])
            let files = try #require(snapshot["files"] as? [[String: Any]])
            let digests = Dictionary(uniqueKeysWithValues: files.map { ($0["path"] as? String ?? "", $0["sha256"] as? String ?? "") })
            #expect(digests == Dictionary(uniqueKeysWithValues: HubSandbox.files.map { ($0.path, "\(SHA256.hash($0.cacheFixtureBytes))") }))
            let snapshots = try other.run(["store", "snapshots"])
            #expect(snapshots.stdout.contains("acme/tiny-model:main"), "\(snapshots.stdout)")
        }
    }

    @Test func verifyTakesCacheDirOnlyWithHFCache() throws {
        try Sandbox.with { sandbox throws in
            let refused = try sandbox.modelpin.run(["verify", "--cache-dir", sandbox.directory.path])
            #expect(refused.status == 64)
            #expect(refused.stderr.contains("--home"), "\(refused.stderr)")
            let missing = try sandbox.modelpin.run(["import", "--cache-dir", sandbox.directory.path])
            #expect(missing.status == 64)
            #expect(missing.stderr.contains("--hf-cache"), "\(missing.stderr)")
        }
    }
}

extension FakeHub.File {
    /// The fixture's bytes (every fixture here is in memory).
    var cacheFixtureBytes: [UInt8] {
        guard case .bytes(let bytes) = content else { preconditionFailure("an in-memory fixture") }
        return bytes
    }
}
