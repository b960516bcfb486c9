import Foundation
import PinTestSupport
import Testing

/// A pull by name is repeatable with no network: every snapshot is recorded in the store, and
/// `--offline` (or `HF_HUB_OFFLINE=1`) resolves from that record. Without it, an unreachable
/// Hub is an error that names the recorded snapshot, which is never used silently.
@Suite("pull ORG/NAME --offline: from the snapshot the store recorded")
struct OfflinePullTests {
    @Test(arguments: [["--offline"], [] as [String]])
    func aPulledModelPullsAgainWithTheHubGone(_ flag: [String]) throws {
        try HubSandbox.with { env throws in
            #expect(try env.pull("acme/tiny-model").status == 0)
            try FileManager.default.removeItem(at: env.model)
            env.hub.hub.stop()
            env.hub.cdn.stop()
            env.hub.clearLog()

            let environment = flag.isEmpty ? ["HF_HUB_OFFLINE": "1"] : [:]
            var arguments = ["acme/tiny-model"] + flag
            let offline = try env.pull(arguments, environment: environment)
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights))
            #expect(try env.contents("tokenizer/tokenizer.json") == Data(HubSandbox.tokenizer))
            #expect(env.hub.log.isEmpty)

            // The commit names the same snapshot; --json says nothing was downloaded.
            arguments = ["acme/tiny-model@\(HubSandbox.commit)", "--json"] + flag
            let pinned = try env.pull(arguments, environment: environment)
            #expect(pinned.status == 0, "\(pinned.stderr)")
            let summary = try #require(try json(pinned.stdout) as? [String: Any])
            #expect(summary["commit"] as? String == HubSandbox.commit)
            let files = try #require(summary["files"] as? [[String: Any]])
            #expect(files.count == 4 && files.allSatisfy { $0["source"] as? String == "store" && $0["servedBy"] == nil })
        }
    }

    @Test func anUnreachableHubNamesTheRecordedSnapshotAndUsesItOnlyWhenAsked() throws {
        try HubSandbox.with { env throws in
            #expect(try env.pull("acme/tiny-model").status == 0)
            try FileManager.default.removeItem(at: env.model)
            env.hub.hub.stop()

            let down = try env.pull("acme/tiny-model", "--retries", "1")
            #expect(down.status == 75, "\(down.stderr)")  // a temporary failure (EX_TEMPFAIL)
            #expect(down.stderr.contains("--offline"), "\(down.stderr)")
            #expect(down.stderr.contains(String(HubSandbox.commit.prefix(12))), "\(down.stderr)")
            // Nothing was laid out from the record on the way.
            #expect(!FileManager.default.fileExists(atPath: env.model.path))
        }
    }

    @Test func offlineWithoutARecordOrWithoutTheBlobsSaysWhatIsMissing() throws {
        try HubSandbox.with { env throws in
            let never = try env.pull("acme/tiny-model", "--offline")
            #expect(never.status == 2)
            #expect(never.stderr.contains("no snapshot of `acme/tiny-model@main`"), "\(never.stderr)")
            #expect(env.hub.log.isEmpty)

            #expect(try env.pull("acme/tiny-model").status == 0)
            try FileManager.default.removeItem(at: env.model)
            // A blob gone from the store (removed by hand here; `store gc` after `store forget`).
            let blob = env.sandbox.blobs.appendingPathComponent(sha256Hex(Data(HubSandbox.weights)))
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: blob.path)
            try FileManager.default.removeItem(at: blob)
            let gone = try env.pull("acme/tiny-model", "--offline")
            #expect(gone.status == 2)
            #expect(gone.stderr.contains("no longer in the store") && gone.stderr.contains("model.safetensors"), "\(gone.stderr)")
        }
    }
}

extension HubSandbox {
    @discardableResult
    func pull(_ arguments: [String], environment: [String: String]) throws -> ModelpinProcess.Outcome {
        var modelpin = sandbox.modelpin
        modelpin.environment.merge(environment) { $1 }
        return try modelpin.run(["pull"] + arguments + ["--endpoint", hub.endpoint])
    }
}
