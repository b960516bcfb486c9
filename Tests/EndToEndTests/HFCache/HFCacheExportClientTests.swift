import Foundation
import PinTestSupport
import Testing

/// `export --hf-cache`, then the real huggingface_hub, transformers and safetensors read the
/// cache with the network off (`HF_HUB_OFFLINE=1`, and an endpoint that answers nothing).
@Suite(.tags(.pythonClients), .enabled(if: PythonClients.enabled)) struct HFCacheExportClientTests {
    static let commit = String(repeating: "c0ffee12", count: 5)
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Clients/Fixtures/tiny-bert")

    static func files() throws -> [FakeHub.File] {
        let small = try ["config.json", "tokenizer.json", "tokenizer_config.json"].map { name in
            FakeHub.File(name, Array(try Data(contentsOf: fixture.appendingPathComponent(name))))
        }
        return small + [
            FakeHub.File("model.safetensors", safetensorsFile(payloadBytes: 4096, seed: 7), lfs: true),
            FakeHub.File("onnx/extra/model.safetensors", safetensorsFile(payloadBytes: 1024, seed: 8), lfs: true),
        ]
    }

    /// Reads the cache as a user's program does, and prints one fact per line.
    static let script = """
        import json, os, sys
        commit = sys.argv[1]
        from huggingface_hub import snapshot_download, scan_cache_dir, hf_hub_download
        from transformers import AutoConfig, AutoTokenizer
        from safetensors.numpy import load_file
        out = {}
        for rev in ("main", commit):
            config = AutoConfig.from_pretrained("acme/tiny-bert", revision=rev)
            tok = AutoTokenizer.from_pretrained("acme/tiny-bert", revision=rev)
            out[rev] = {
                "config": [config.model_type, config.hidden_size],
                "ids": tok("Hello models world")["input_ids"],
                "snapshot": snapshot_download("acme/tiny-bert", revision=rev),
            }
        weights = load_file(hf_hub_download("acme/tiny-bert", "model.safetensors"))
        out["weights"] = {k: list(v.shape) for k, v in weights.items()}
        nested = load_file(hf_hub_download("acme/tiny-bert", "onnx/extra/model.safetensors", revision=commit))
        out["nested"] = {k: list(v.shape) for k, v in nested.items()}
        info = scan_cache_dir()
        out["warnings"] = [str(w) for w in info.warnings]
        out["repos"] = [
            {"id": r.repo_id, "type": r.repo_type, "size": r.size_on_disk, "files": r.nb_files,
             "revisions": sorted(f"{rev.commit_hash} {','.join(sorted(rev.refs))} {rev.nb_files}" for rev in r.revisions)}
            for r in info.repos
        ]
        print(json.dumps(out))
        """

    @Test func clientsLoadAnExportedSnapshotOffline() throws {
        let files = try Self.files()
        let repo = FakeHub.Repo(id: "acme/tiny-bert", refs: ["main": Self.commit], commits: [Self.commit: files])
        try HubSandbox.with(repos: [repo]) { env throws in
            let pulled = try env.pull("acme/tiny-bert", "--to", "tiny")
            try #require(pulled.status == 0, "\(pulled.stderr)")
            let cache = env.directory.appendingPathComponent("hf-cache")
            let exported = try env.sandbox.run("export", "--hf-cache", "--cache-dir", cache.path, "acme/tiny-bert", "--json")
            try #require(exported.status == 0, "\(exported.stderr)")

            let result = try PythonClients.run(Self.script, arguments: [Self.commit], environment: [
                "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": cache.path,
                // Nothing listens there: any request that slipped past offline mode fails.
                "HF_ENDPOINT": "http://127.0.0.1:9",
            ])
            try #require(result.status == 0, "\(result.stderr)")
            let facts = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let snapshot = cache.appendingPathComponent("models--acme--tiny-bert/snapshots/\(Self.commit)").path
            for revision in ["main", Self.commit] {
                let loaded = try #require(facts[revision] as? [String: Any])
                #expect(loaded["config"] as? [AnyHashable] == ["bert", 8])
                #expect(loaded["ids"] as? [Int] == [2, 5, 7, 9, 6, 3])
                #expect(loaded["snapshot"] as? String == snapshot)
            }
            #expect(facts["weights"] as? [String: [Int]] == ["weight": [4096]])
            #expect(facts["nested"] as? [String: [Int]] == ["weight": [1024]])
            #expect((facts["warnings"] as? [String])?.isEmpty == true, "\(facts["warnings"] ?? "")")
            let repos = try #require(facts["repos"] as? [[String: Any]])
            try #require(repos.count == 1)
            #expect(repos[0]["id"] as? String == "acme/tiny-bert")
            #expect(repos[0]["type"] as? String == "model")
            let totalSize = files.reduce(0) { total, file in
                if case .bytes(let bytes) = file.content { return total + bytes.count }
                return total
            }
            #expect(repos[0]["size"] as? Int == totalSize)
            #expect(repos[0]["files"] as? Int == files.count)
            #expect(repos[0]["revisions"] as? [String] == ["\(Self.commit) main \(files.count)"])
        }
    }
}
