import Foundation
import PinTestSupport
import Testing

/// `modelpin serve --upstream` in front of a fake Hub that misbehaves: whatever the upstream
/// sends goes through the whole pipeline before a client sees a byte of it.
@Suite(.tags(.pythonClients), .enabled(if: PythonClients.enabled)) struct ServePullThroughTests {
    static let script = """
        from huggingface_hub import hf_hub_download
        def fetch(repo, name):
            def call():
                facts.setdefault("paths", {})[name] = os.path.realpath(hf_hub_download(repo, name))
            return catch(call)
        facts["weights"] = fetch("acme/tiny-model", "model.safetensors")
        facts["config"] = fetch("acme/tiny-model", "config.json")
        facts["unlisted"] = catch(lambda: hf_hub_download("evil/tiny-model", "config.json"))
        done()
        """

    @Test func aCorruptByteUpstreamIsNeverServedNorStored() throws {
        try HubSandbox.with { env throws in
            try env.sandbox.file("allow.txt", Array("acme/*\n".utf8))
            env.hub.configure { $0.corruptLFS = true }
            let server = try MirrorServer(env.sandbox, arguments: ["--upstream", env.hub.endpoint, "--allowlist", "allow.txt"])
            defer { server.stop() }
            let cache = env.directory.appendingPathComponent("client-cache")
            let weights = HubSandbox.weights
            var corrupted = weights
            corrupted[corrupted.count / 2] ^= 0x01  // what the fake Hub's CDN sends

            // The client gets an error for the weights; the small file, fetched from the Hub's
            // API origin and not corrupted, is served; a name off the allowlist is gated.
            let facts = try runClient(Self.script, server: server, cache: cache)
            expectOnlyLoopback(facts)
            #expect((facts["weights"] as? String)?.hasPrefix("HfHubHTTPError 5") == true, "\(facts["weights"] ?? "")")
            #expect(facts["config"] as? String == "ok")
            #expect(facts["unlisted"] as? String == "GatedRepoError")

            // Never stored: no blob holds the bad bytes (nor the good ones, which never arrived),
            // and every blob the store has matches its name.
            let blobs = env.blobs
            #expect(!blobs.contains(sha256Hex(Data(corrupted))))
            #expect(!blobs.contains(sha256Hex(Data(weights))))
            #expect(blobs.contains(sha256Hex(Data(HubSandbox.config))))
            try env.sandbox.expectEveryBlobMatchesItsName()
            // Never served: no file in the client's cache is as long as the weights.
            let cached = FileManager.default.enumerator(at: cache, includingPropertiesForKeys: [.fileSizeKey])?.compactMap {
                ($0 as? URL).flatMap { try? $0.resourceValues(forKeys: [.fileSizeKey]).fileSize }
            } ?? []
            #expect(!cached.contains(weights.count), "the client kept a file the size of the weights")

            // The operator sees it: a 5xx resolve with no body in the access log, an error on
            // stderr, and the status in /metrics.
            let failures = server.accessEntries(atLeast: 1).filter {
                $0["route"] as? String == "resolve" && $0["path"] as? String == "model.safetensors" && ($0["status"] as? Int ?? 0) >= 500
            }
            #expect(!failures.isEmpty)
            #expect(failures.allSatisfy { ($0["bytes"] as? Int ?? Int.max) < weights.count / 2 }, "\(failures)")
            #expect(server.stderr.contains("model.safetensors"), "\(server.stderr)")
            let status = String(try #require(failures.first?["status"] as? Int))
            #expect(try server.metric("modelpin_serve_requests_total", labels: ["route": "resolve", "status": status]) >= 1)

            // Once the upstream sends the right bytes, the same request succeeds, and those
            // bytes are the ones stored.
            env.hub.configure { $0.corruptLFS = false }
            let pulledBefore = try server.metric("modelpin_serve_pull_through_total")
            let retried = try runClient(Self.script, server: server, cache: cache)
            #expect(retried["weights"] as? String == "ok", "\(retried["weights"] ?? "")")
            let path = try #require((retried["paths"] as? [String: String])?["model.safetensors"])
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(weights))
            #expect(env.blobs.contains(sha256Hex(Data(weights))))
            #expect(try server.metric("modelpin_serve_pull_through_total") > pulledBefore)
        }
    }
}
