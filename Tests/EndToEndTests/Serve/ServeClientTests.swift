import Foundation
import PinTestSupport
import Testing

/// The real huggingface_hub (with hf_xet installed), its `hf` CLI and transformers, pointed at
/// `modelpin serve` by `HF_ENDPOINT` and nothing else: the mirror must look like the Hub to
/// them, and every byte they get must be the store's.
@Suite(.tags(.pythonClients), .enabled(if: PythonClients.enabled)) struct ServeClientTests {
    /// `main` and the tag `v1` name two commits with different weights, so a client that got
    /// the wrong snapshot for a revision gets the wrong bytes.
    static let commit = String(repeating: "5e7e", count: 10)
    static let older = String(repeating: "01d0", count: 10)
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Clients/Fixtures/tiny-bert")
    static let jsonNames = ["config.json", "tokenizer.json", "tokenizer_config.json"]

    static func files(weightsSeed: UInt64) throws -> [FakeHub.File] {
        let small = try jsonNames.map { FakeHub.File($0, Array(try Data(contentsOf: fixture.appendingPathComponent($0)))) }
        return small + [
            FakeHub.File("model.safetensors", safetensorsFile(payloadBytes: 256 << 10, seed: weightsSeed), lfs: true),
            FakeHub.File("onnx/extra/model.safetensors", safetensorsFile(payloadBytes: 1024, seed: 8), lfs: true),
        ]
    }

    static func repo() throws -> FakeHub.Repo {
        FakeHub.Repo(
            id: "acme/tiny-bert", refs: ["main": commit, "v1": older],
            commits: [commit: try files(weightsSeed: 7), older: try files(weightsSeed: 9)])
    }

    /// Serves a store that pulled `main` and `v1` from the fake Hub.
    static func withMirror<T>(serveArguments: [String] = [], _ body: (MirrorSandbox, [String: [FakeHub.File]]) throws -> T) throws -> T {
        let repo = try repo()
        let byRevision = ["main": repo.commits[commit]!, commit: repo.commits[commit]!, "v1": repo.commits[older]!, older: repo.commits[older]!]
        return try MirrorSandbox.with(repos: [repo], pulls: ["acme/tiny-bert", "acme/tiny-bert@v1"], serveArguments: serveArguments) { mirror in
            try body(mirror, byRevision)
        }
    }

    static let downloadScript = """
        from huggingface_hub import snapshot_download, hf_hub_download
        import subprocess
        commit, older, local = sys.argv[1], sys.argv[2], sys.argv[3]
        def listing(directory):
            found = {}
            for root, _, names in os.walk(directory):
                for name in names:
                    path = os.path.join(root, name)
                    found[os.path.relpath(path, directory)] = os.path.realpath(path)
            return found
        facts["snapshots"] = {}
        for rev in ("main", commit, "v1", older):
            directory = snapshot_download("acme/tiny-bert", revision=rev)
            facts["snapshots"][rev] = {"dir": directory, "files": listing(directory)}
        facts["single"] = {rev: os.path.realpath(hf_hub_download("acme/tiny-bert", "model.safetensors", revision=rev))
                           for rev in ("main", commit, "v1", older)}
        cli = subprocess.run(["hf", "download", "acme/tiny-bert", "--include", "*.json", "--local-dir", local],
                             capture_output=True, text=True)
        facts["cli"] = [cli.returncode, cli.stderr[-2000:]]
        facts["missing"] = {
            "repo": catch(lambda: hf_hub_download("acme/no-such-model", "config.json")),
            "snapshot of a missing repo": catch(lambda: snapshot_download("acme/no-such-model")),
            "branch": catch(lambda: hf_hub_download("acme/tiny-bert", "config.json", revision="no-such-branch")),
            "commit": catch(lambda: hf_hub_download("acme/tiny-bert", "config.json", revision="0" * 40)),
            "file": catch(lambda: hf_hub_download("acme/tiny-bert", "no-such-file.json")),
            "file at a commit": catch(lambda: hf_hub_download("acme/tiny-bert", "weights/none.bin", revision=commit)),
        }
        done()
        """

    @Test func huggingfaceHubDownloadsByBranchAndCommitWithTheStoresBytes() throws {
        try Self.withMirror { mirror, byRevision in
            let local = mirror.directory.appendingPathComponent("hf-download")
            let cache = mirror.directory.appendingPathComponent("client-cache")
            let facts = try runClient(Self.downloadScript, server: mirror.server, cache: cache, arguments: [Self.commit, Self.older, local.path])
            #expect(facts["hf_xet"] as? String == "hf_xet", "the client runs with hf_xet installed")
            expectOnlyLoopback(facts)

            // snapshot_download and hf_hub_download: every file, every revision, the store's bytes.
            let snapshots = try #require(facts["snapshots"] as? [String: [String: Any]])
            let single = try #require(facts["single"] as? [String: String])
            for (revision, files) in byRevision {
                let snapshot = try #require(snapshots[revision], "\(revision)")
                let commit = revision == "main" || revision == Self.commit ? Self.commit : Self.older
                #expect((snapshot["dir"] as? String)?.hasSuffix("models--acme--tiny-bert/snapshots/\(commit)") == true, "\(revision)")
                let listed = try #require(snapshot["files"] as? [String: String])
                #expect(listed.keys.sorted() == files.map(\.path).sorted(), "\(revision)")
                for file in files {
                    let got = try Data(contentsOf: URL(fileURLWithPath: try #require(listed[file.path])))
                    #expect(got == Data(bytes(of: file)), "\(revision) \(file.path): not the bytes of that revision")
                    #expect(got == (try mirror.storeBlob(for: bytes(of: file))), "\(revision) \(file.path): not the store's bytes")
                }
                let weights = try #require(files.first { $0.path == "model.safetensors" })
                #expect(try Data(contentsOf: URL(fileURLWithPath: try #require(single[revision]))) == Data(bytes(of: weights)), "\(revision)")
            }

            // `hf download --include '*.json'`: the JSON files and nothing else.
            let cli = try #require(facts["cli"] as? [Any])
            #expect(cli.first as? Int == 0, "hf download: \(cli.last ?? "")")
            let downloaded = try FileManager.default.contentsOfDirectory(atPath: local.path).filter { !$0.hasPrefix(".") }
            #expect(downloaded.sorted() == Self.jsonNames)
            for file in byRevision["main"]! where Self.jsonNames.contains(file.path) {
                #expect(try Data(contentsOf: local.appendingPathComponent(file.path)) == Data(bytes(of: file)), "\(file.path)")
            }

            // The 404 family, as the client's own exceptions.
            let missing = try #require(facts["missing"] as? [String: String])
            #expect(missing == [
                "repo": "RepositoryNotFoundError",
                "snapshot of a missing repo": "RepositoryNotFoundError",
                "branch": "RevisionNotFoundError",
                "commit": "RevisionNotFoundError",
                "file": "EntryNotFoundError",
                "file at a commit": "EntryNotFoundError",
            ])

            // The server logged what it answered: every file went out whole (the client asks a
            // file once per commit, by whichever revision came first), and nothing failed on its side.
            let entries = mirror.server.accessEntries()
            let served = Set(entries.filter { $0["route"] as? String == "resolve" && $0["status"] as? Int == 200 && $0["method"] as? String == "GET" }
                .compactMap { entry in (entry["path"] as? String).map { "\(entry["revision"] ?? "")/\($0)" } })
            for path in byRevision["main"]!.map(\.path) {
                #expect(served.contains { $0.hasSuffix("/" + path) }, "no GET of \(path) in the access log")
            }
            #expect(entries.allSatisfy { ($0["status"] as? Int ?? 0) < 500 }, "\(entries.filter { ($0["status"] as? Int ?? 0) >= 500 })")
            #expect(entries.contains { $0["route"] as? String == "resolve" && $0["status"] as? Int == 404 })
        }
    }

    static let transformersScript = """
        from transformers import AutoConfig, AutoTokenizer
        commit = sys.argv[1]
        for rev in ("main", commit):
            config = AutoConfig.from_pretrained("acme/tiny-bert", revision=rev)
            tok = AutoTokenizer.from_pretrained("acme/tiny-bert", revision=rev)
            facts[rev] = {"config": [config.model_type, config.hidden_size], "ids": tok("Hello models world")["input_ids"]}
        facts["plain"] = AutoConfig.from_pretrained("acme/tiny-bert").model_type
        done()
        """

    @Test func transformersLoadsFromTheMirrorAndNothingLeavesTheLoopback() throws {
        try Self.withMirror { mirror, _ in
            let cache = mirror.directory.appendingPathComponent("transformers-cache")
            // A proxy at an address nothing answers: a request that ignored HF_ENDPOINT (or went
            // anywhere but 127.0.0.1, which is exempt) fails instead of reaching the internet.
            let facts = try runClient(Self.transformersScript, server: mirror.server, cache: cache, arguments: [Self.commit], environment: [
                "HTTPS_PROXY": "http://192.0.2.1:9", "HTTP_PROXY": "http://192.0.2.1:9", "NO_PROXY": "127.0.0.1",
                "HF_HUB_ETAG_TIMEOUT": "10", "HF_HUB_DOWNLOAD_TIMEOUT": "10",
            ])
            expectOnlyLoopback(facts)
            for revision in ["main", Self.commit] {
                let loaded = try #require(facts[revision] as? [String: Any], "\(revision)")
                #expect(loaded["config"] as? [AnyHashable] == ["bert", 8])
                #expect(loaded["ids"] as? [Int] == [2, 5, 7, 9, 6, 3])
            }
            #expect(facts["plain"] as? String == "bert")
            // The server saw the loads: config and tokenizer files went out from the mirror.
            let paths = Set(mirror.server.accessEntries().filter { $0["route"] as? String == "resolve" }.compactMap { $0["path"] as? String })
            for name in Self.jsonNames { #expect(paths.contains(name), "\(name) never asked of the mirror") }
        }
    }

    static let tokenScript = """
        from huggingface_hub import hf_hub_download, snapshot_download
        facts["download"] = catch(lambda: hf_hub_download("acme/tiny-bert", "config.json"))
        facts["snapshot"] = catch(lambda: snapshot_download("acme/tiny-bert", revision=sys.argv[1]))
        done()
        """

    @Test(arguments: [
        // No token: what the Hub answers an anonymous client asking for a private repo.
        (nil as String?, "RepositoryNotFoundError"),
        ("not-a-listed-token", "HfHubHTTPError 401"),
        ("team-token-2", "ok"),
    ])
    func tokensFileAdmitsOnlyListedTokens(token: String?, outcome: String) throws {
        let secret = "team-token-2"
        try Sandbox.with { scratch throws in
            let tokens = try scratch.file("tokens", Array("# the team\nteam-token-1\n\(secret)\n".utf8))
            chmod(tokens.path, 0o600)
            try Self.withMirror(serveArguments: ["--tokens", tokens.path]) { mirror, _ in
                let cache = mirror.directory.appendingPathComponent("token-cache")
                let facts = try runClient(Self.tokenScript, server: mirror.server, cache: cache, arguments: [Self.commit],
                                          environment: token.map { ["HF_TOKEN": $0] } ?? [:])
                #expect(facts["download"] as? String == outcome)
                #expect(facts["snapshot"] as? String == outcome)
                #expect(try mirror.server.get("/healthz").status == 200, "healthz needs no token")
                #expect(try mirror.server.get("/metrics").status == 401, "metrics needs one")
                let log = (try? String(contentsOf: mirror.server.accessLog, encoding: .utf8)) ?? ""
                #expect(!log.isEmpty)
                for shown in [log, mirror.server.stderr] {
                    #expect(!shown.contains(secret) && !shown.contains("not-a-listed-token"), "a token was logged")
                }
            }
        }
    }
}
