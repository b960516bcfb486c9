import Foundation
import PinTestSupport
import Testing

@Suite("modelpin pull against a fake Hub")
struct PullTests {
    @Test func pullsVerifiesStoresAndLaysOutTheSnapshot() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.pull("acme/tiny-model", "--json", environment: ["HF_TOKEN": "hf_secret"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let summary = try #require(try json(outcome.stdout) as? [String: Any])
            #expect(summary["commit"] as? String == HubSandbox.commit)
            #expect(summary["repo"] as? String == "acme/tiny-model")
            let files = try #require(summary["files"] as? [[String: Any]])
            #expect(files.map { $0["path"] as? String } == ["config.json", "model.safetensors", "tokenizer/tokenizer.json", "weights/extra.bin"])
            #expect(files.allSatisfy { $0["source"] as? String == "downloaded" })
            // Which endpoint served each file (the Hub's /resolve/ URLs, redirected to its CDN).
            #expect(files.allSatisfy { $0["servedBy"] as? String == env.hub.endpoint }, "\(files)")

            #expect(try env.contents("config.json") == Data(HubSandbox.config))
            #expect(try env.contents("tokenizer/tokenizer.json") == Data(HubSandbox.tokenizer))
            #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights))
            #expect(try env.contents("weights/extra.bin") == Data(HubSandbox.extra))
            // The files, and the snapshot's manifest and config (the pull recorded it).
            #expect(Set(env.blobs) == Set([HubSandbox.config, HubSandbox.tokenizer, HubSandbox.weights, HubSandbox.extra].map { sha256Hex(Data($0)) })
                .union(try snapshotMetadataBlobs(store: env.sandbox.store)))
            try env.sandbox.expectEveryBlobMatchesItsName()

            // The token went to the hub's own origin and never to the CDN.
            #expect(env.hub.log.filter { $0.server == "hub" }.allSatisfy { $0.authorization == "Bearer hf_secret" })
            #expect(!env.cdnRequests.isEmpty)
            #expect(env.cdnRequests.allSatisfy { $0.authorization == nil })
            // The tree says everything: no HEAD requests.
            #expect(!env.hub.log.contains { $0.method == "HEAD" })
        }
    }

    @Test func aSecondPullNeedsNoDownloadsAndKeepsTheDirectory() throws {
        try HubSandbox.with { env throws in
            #expect(try env.pull("acme/tiny-model").status == 0)
            let weights = env.model.appendingPathComponent("model.safetensors")
            let inode = try FileManager.default.attributesOfItem(atPath: weights.path)[.systemFileNumber] as? Int
            env.hub.clearLog()
            let again = try env.pull("acme/tiny-model")
            #expect(again.status == 0)
            #expect(again.stdout.contains("0 downloaded and verified, 4 from the store"))
            let summary = try #require(try json(env.pull("acme/tiny-model", "--json").stdout) as? [String: Any])
            let files = try #require(summary["files"] as? [[String: Any]])
            #expect(files.allSatisfy { $0["source"] as? String == "store" && $0["servedBy"] == nil }, "\(files)")
            #expect(env.cdnRequests.isEmpty)
            #expect(!env.hub.log.contains { $0.target.contains("/resolve/") })
            #expect(try FileManager.default.attributesOfItem(atPath: weights.path)[.systemFileNumber] as? Int == inode)
        }
    }

    @Test func theDirectoryHoldsCopiesSoWritingThereCannotReachTheStore() throws {
        try HubSandbox.with { env throws in
            #expect(try env.pull("acme/tiny-model").status == 0)
            let weights = env.model.appendingPathComponent("model.safetensors")
            #expect(try FileManager.default.attributesOfItem(atPath: weights.path)[.type] as? FileAttributeType == .typeRegular)
            // A consumer (here: root) overwrites the file in the model directory.
            try Data("overwritten".utf8).write(to: weights)
            #expect(try env.sandbox.run("store", "verify", "--contents").status == 0)
            // The next pull notices and puts the verified bytes back.
            #expect(try env.pull("acme/tiny-model").status == 0)
            #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights))
        }
    }

    @Test func symlinkModeIsAnExplicitLoudChoice() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.pull("acme/tiny-model", "--link", "symlink")
            #expect(outcome.status == 0)
            #expect(outcome.stderr.contains("warning: --link symlink"))
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: env.model.appendingPathComponent("model.safetensors").path)
            #expect(target.hasPrefix(env.sandbox.blobs.path))
        }
    }

    @Test func filtersWithIncludeAndExclude() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.pull("acme/tiny-model", "--include", "*.json", "--exclude", "tokenizer/*", "--to", "only-config")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let directory = env.directory.appendingPathComponent("only-config")
            #expect(env.sandbox.names(directory) == [".modelpin", "config.json"])
            #expect(env.cdnRequests.isEmpty)

            let none = try env.pull("acme/tiny-model", "--include", "*.gguf")
            #expect(none.status == 64)
            #expect(none.stderr.contains("no file of `acme/tiny-model` matches"))
        }
    }

    @Test func followsTreePagesAndAPathPrefix() throws {
        let repos = [FakeHub.Repo(id: "Acme/Tiny-Model", commit: HubSandbox.commit, files: HubSandbox.files)]
        try HubSandbox.with(repos: repos, pathPrefix: "/hf-mirror") { env throws in
            env.hub.configure { $0.pageSize = 2 }
            env.hub.configure { $0.smallFilesViaResolveCache = true }
            let outcome = try env.pull("acme/tiny-model@main", "--to", "m")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout.contains("pulled Acme/Tiny-Model@main"))
            #expect(env.hub.log.filter { $0.target.contains("/tree/") }.count == 3)
            #expect(env.hub.log.allSatisfy { $0.server == "cdn" || $0.target.hasPrefix("/hf-mirror/") })
            #expect(try Data(contentsOf: env.directory.appendingPathComponent("m/config.json")) == Data(HubSandbox.config))
        }
    }
}

@Suite("modelpin pull refuses what it cannot verify")
struct PullRefusalTests {
    @Test func aFlippedByteOnTheCDNIsRefusedAndNothingIsStored() throws {
        try HubSandbox.with { env throws in
            env.hub.configure { $0.corruptLFS = true }
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("digest mismatch for `acme/tiny-model/"))
            #expect(outcome.stderr.contains("expected: sha256:"))
            #expect(!env.blobs.contains(sha256Hex(Data(HubSandbox.weights))))
            try env.sandbox.expectEveryBlobMatchesItsName()
            #expect(!FileManager.default.fileExists(atPath: env.model.appendingPathComponent("model.safetensors").path))
        }
    }

    @Test func anEndlessBodyIsCutOffAndRefused() throws {
        try HubSandbox.with { env throws in
            env.hub.configure { $0.endlessBody = true }
            let outcome = try env.pull("acme/tiny-model", "--include", "weights/*")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("is longer than the expected"))
            #expect(env.blobs.isEmpty)
        }
    }

    @Test func aListingThatLiesAboutSizesIsRefused() throws {
        try HubSandbox.with { env throws in
            env.hub.configure { $0.treeSizeDelta = 7 }
            let outcome = try env.pull("acme/tiny-model", "--include", "model.safetensors")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("is listed as \(HubSandbox.weights.count + 7) bytes but the server sends \(HubSandbox.weights.count)"))
            #expect(env.blobs.isEmpty)
        }
    }

    @Test func aWrongCommitInTheAnswerIsRefused() throws {
        try HubSandbox.with { env throws in
            env.hub.configure { $0.wrongRepoCommit = true }
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("the server answered for another commit"))
            #expect(env.blobs.isEmpty)
        }
    }

    @Test func maliciousPathsStopThePullBeforeAnyDownload() throws {
        try HubSandbox.with { env throws in
            let oid = String(repeating: "0", count: 40)
            let entries = ["../escape.json", "/etc/passwd", "dir\\\\file", "ctl\\u0007.txt", "Model.bin", "model.bin", ".modelpin/snapshot.json"]
                .map { #"{"type": "file", "path": "\#($0)", "oid": "\#(oid)", "size": 1}"# }
            env.hub.configure { $0.treeBody = "[" + entries.joined(separator: ",") + "]" }
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("error: the repository lists 6 paths that cannot be written safely"))
            for reason in ["`../escape.json`: contains a `..` component", "`/etc/passwd`: absolute path", "`dir\\file`: contains a backslash",
                           "`ctl\\u{7}.txt`: contains a control character", "`model.bin`: same name as `Model.bin`", "reserved `.modelpin` directory"] {
                #expect(outcome.stderr.contains(reason), "\(reason)")
            }
            #expect(!env.hub.log.contains { $0.target.contains("/resolve/") })
            #expect(!FileManager.default.fileExists(atPath: env.directory.appendingPathComponent("escape.json").path))
        }
    }

    @Test func aTreeThatIsNotJSONIsAClearError() throws {
        try HubSandbox.with { env throws in
            env.hub.configure { $0.treeBody = "<html>maintenance</html>" }
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 2)
            #expect(outcome.stderr.contains("error: unexpected answer from"))
            #expect(outcome.stderr.contains("not a JSON array of tree entries"))
        }
    }

    @Test func redirectsToOtherSchemesAndLoopsAreRefused() throws {
        try HubSandbox.with { env throws in
            env.hub.configure { $0.lfsLocation = "file:///etc/passwd" }
            let file = try env.pull("acme/tiny-model", "--include", "model.safetensors")
            #expect(file.status == 1)
            #expect(file.stderr.contains("refusing the redirect from"))
            #expect(file.stderr.contains("to `file:///etc/passwd`"))

            env.hub.configure {
                $0.lfsLocation = nil
                $0.redirectLoop = true
            }
            let loop = try env.pull("acme/tiny-model", "--include", "model.safetensors")
            #expect(loop.status == 2)
            #expect(loop.stderr.contains("more than 10 redirects"))
            #expect(env.blobs.isEmpty)
        }
    }

    @Test func aRedirectToAThirdHostGetsNoToken() throws {
        try HubSandbox.with { env throws in
            let third = try LoopbackHTTPServer { request in
                let authorized = request.headers["authorization"] != nil
                return LoopbackHTTPServer.Response(
                    status: authorized ? 403 : 200, headers: [("X-Saw-Token", "\(authorized)")],
                    body: .bytes(authorized ? [] : HubSandbox.weights))
            }
            defer { third.stop() }
            env.hub.configure { $0.lfsLocation = third.baseURL + "/blob" }
            let outcome = try env.pull("acme/tiny-model", "--include", "model.safetensors", environment: ["HF_TOKEN": "hf_secret"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights))
        }
    }
}

@Suite("modelpin pull explains Hub errors")
struct PullHubErrorTests {
    @Test func unknownRepositoryAndRevision() throws {
        try HubSandbox.with { env throws in
            let repo = try env.pull("acme/nope")
            #expect(repo.status == 2)
            #expect(repo.stderr.contains("error: `acme/nope` is private or does not exist (\(env.hub.endpoint)/acme/nope)"))
            #expect(repo.stderr.contains("hint: check the name; if it is private, set HF_TOKEN"))

            let revision = try env.pull("acme/tiny-model@v9")
            #expect(revision.status == 2)
            #expect(revision.stderr.contains("error: revision `v9` does not exist in `acme/tiny-model`"))
        }
    }

    @Test func gatedAndPrivateRepositoriesNeedTheirToken() throws {
        let repos = [
            FakeHub.Repo(id: "meta/gated", commit: HubSandbox.commit, files: [FakeHub.File("config.json", HubSandbox.config)], access: .gated(token: "hf_ok")),
            FakeHub.Repo(id: "acme/private", commit: HubSandbox.commit, files: [FakeHub.File("config.json", HubSandbox.config)], access: .privateRepo(token: "hf_ok")),
        ]
        try HubSandbox.with(repos: repos) { env throws in
            let gated = try env.pull("meta/gated")
            #expect(gated.status == 2)
            #expect(gated.stderr.contains("error: `meta/gated` is gated: you need to accept its conditions"))
            #expect(gated.stderr.contains("hint: request access at \(env.hub.endpoint)/meta/gated, then set HF_TOKEN"))
            #expect(try env.pull("meta/gated", environment: ["HF_TOKEN": "hf_ok"]).status == 0)

            let hidden = try env.pull("acme/private", environment: ["HF_TOKEN": "hf_wrong"])
            #expect(hidden.status == 2)
            #expect(hidden.stderr.contains("check that the token sent (--token, HF_TOKEN or the one `hf auth login` saved) grants access"))
            #expect(try env.pull("acme/private", environment: ["HF_TOKEN": "hf_ok"]).status == 0)
        }
    }

    @Test func anEndpointThatIsNotAURLIsAUsageError() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.sandbox.run("pull", "acme/tiny-model", "--endpoint", "ftp://hub.example")
            #expect(outcome.status == 64)
            #expect(outcome.stderr.contains("error: invalid endpoint `ftp://hub.example`"))
        }
    }
}
