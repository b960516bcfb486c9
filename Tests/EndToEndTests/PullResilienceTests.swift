import Foundation
import PinTestSupport
import Testing

/// A repository with one file large enough to be fetched in parts.
/// Exactly 24 MiB: a safetensors header (8 + 72 bytes) and its payload.
private let bigWeights = safetensorsFile(payloadBytes: (24 << 20) - 80, seed: 41)
private let bigRepo = [FakeHub.Repo(id: "acme/big-model", commit: HubSandbox.commit, files: [
    FakeHub.File("config.json", HubSandbox.config),
    FakeHub.File("model-00001-of-00001.safetensors", bigWeights, lfs: true),
])]

@Suite("modelpin pull survives a misbehaving network")
struct PullResilienceTests {
    @Test func aDroppedConnectionIsResumedWithARangeRequest() throws {
        try HubSandbox.with(repos: bigRepo) { env throws in
            env.hub.configure {
                $0.dropAfter = 5 << 20
                $0.dropCount = 1
            }
            let outcome = try env.pull("acme/big-model", "--to", "m")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("retrying model-00001-of-00001.safetensors (attempt 2"))
            #expect(env.cdnRequests.contains { $0.range?.hasPrefix("bytes=\(5 << 20)-") == true })
            #expect(try Data(contentsOf: env.directory.appendingPathComponent("m/model-00001-of-00001.safetensors")) == Data(bigWeights))
        }
    }

    @Test func largeFilesComeInPartsOverSeveralConnections() throws {
        try HubSandbox.with(repos: bigRepo) { env throws in
            let outcome = try env.pull("acme/big-model", "--part-size", "4M", "--jobs", "4", "--to", "m")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let ranges = env.cdnRequests.compactMap(\.range).sorted()
            #expect(ranges.count == 6)
            #expect(ranges.contains("bytes=\(20 << 20)-\((24 << 20) - 1)"))
            #expect(try Data(contentsOf: env.directory.appendingPathComponent("m/model-00001-of-00001.safetensors")) == Data(bigWeights))
        }
    }

    @Test func aServerThatIgnoresRangesIsFetchedAsOneStream() throws {
        try HubSandbox.with(repos: bigRepo) { env throws in
            env.hub.configure { $0.ignoreRange = true }
            let outcome = try env.pull("acme/big-model", "--part-size", "4M", "--to", "m")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("the server ignored a range request"))
            #expect(try Data(contentsOf: env.directory.appendingPathComponent("m/model-00001-of-00001.safetensors")) == Data(bigWeights))
            try env.sandbox.expectEveryBlobMatchesItsName()
        }
    }

    @Test func aStalledTransferIsAbandonedAndRetried() throws {
        try HubSandbox.with(repos: bigRepo) { env throws in
            env.hub.configure {
                $0.stallAfter = 1 << 20
                $0.stallCount = 1
            }
            let outcome = try env.pull("acme/big-model", "--stall-timeout", "2", "--to", "m")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("no data from"))
            #expect(try Data(contentsOf: env.directory.appendingPathComponent("m/model-00001-of-00001.safetensors")) == Data(bigWeights))
        }
    }

    @Test(arguments: [429, 503])
    func overloadAnswersAreRetriedHonouringRetryAfter(status: Int) throws {
        try HubSandbox.with { env throws in
            env.hub.configure {
                $0.failStatus = status
                $0.failCount = 2
                $0.retryAfter = 1
            }
            let started = Date()
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(Date().timeIntervalSince(started) >= 2.0)
            #expect(env.hub.log.filter { $0.target.contains("/revision/") }.count == 3)
        }
    }

    @Test func persistentServerErrorsGiveUpWithTheAnswer() throws {
        try HubSandbox.with { env throws in
            env.hub.configure {
                $0.failStatus = 500
                $0.failCount = 100
            }
            let outcome = try env.pull("acme/tiny-model", "--retries", "2")
            #expect(outcome.status == 75)  // a temporary failure (EX_TEMPFAIL): worth a later rerun
            #expect(outcome.stderr.contains("answered HTTP 500"))
            #expect(env.hub.log.count == 2)
        }
    }

    @Test func ctrlCLeavesAResumableStateAndARerunContinues() throws {
        try HubSandbox.with(repos: bigRepo) { env throws in
            env.hub.configure {
                $0.stallAfter = 9 << 20
                $0.stallCount = 1
            }
            var modelpin = env.sandbox.modelpin
            modelpin.environment["NO_COLOR"] = "1"
            let running = try modelpin.start(["pull", "acme/big-model", "--endpoint", env.hub.endpoint, "--to", "m", "--stall-timeout", "60"])
            let partial = env.sandbox.store.appendingPathComponent("tmp/partial")
            var waited = 0
            while waited < 1000, !env.hub.log.contains(where: { $0.server == "cdn" }) {
                usleep(10_000)
                waited += 1
            }
            usleep(700_000)  // let the first 9 MiB land before the stall
            running.kill(signal: SIGINT)
            let interrupted = running.wait()
            #expect(interrupted.status == 130, "\(interrupted.stderr)")
            #expect(interrupted.stderr.contains("error: interrupted"))
            #expect(interrupted.stderr.contains("hint: run the same command again to resume"))
            #expect(env.sandbox.names(partial).contains { $0.hasSuffix(".state") })
            #expect(!FileManager.default.fileExists(atPath: env.directory.appendingPathComponent("m/model-00001-of-00001.safetensors").path))

            env.hub.clearLog()
            let resumed = try env.pull("acme/big-model", "--to", "m")
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.stderr.contains("resuming model-00001-of-00001.safetensors at"))
            let range = try #require(env.cdnRequests.compactMap(\.range).first)
            #expect(range.hasPrefix("bytes=") && !range.hasPrefix("bytes=0-"))
            #expect(try Data(contentsOf: env.directory.appendingPathComponent("m/model-00001-of-00001.safetensors")) == Data(bigWeights))
            #expect(env.sandbox.names(partial).isEmpty)
        }
    }

    @Test func ctrlCWhileTheHubIsAskedIsAnInterruption() throws {
        try HubSandbox.with { env throws in
            // The revision answer is held back: the Ctrl-C lands while modelpin waits for it.
            env.hub.configure { $0.revisionDelay = 5 }
            var modelpin = env.sandbox.modelpin
            modelpin.environment["NO_COLOR"] = "1"
            let running = try modelpin.start(["pull", "acme/tiny-model", "--endpoint", env.hub.endpoint])
            var waited = 0
            while waited < 1000, !env.hub.log.contains(where: { $0.target.contains("/revision/") }) {
                usleep(10_000)
                waited += 1
            }
            running.kill(signal: SIGINT)
            let interrupted = running.wait()
            #expect(interrupted.status == 130, "\(interrupted.stderr)")
            #expect(interrupted.stderr.contains("error: interrupted"))
            #expect(interrupted.stderr.contains("hint: run the same command again to resume"))
            #expect(!env.hub.log.contains { $0.server == "cdn" })
        }
    }

    @Test func aDiskThatFillsMidDownloadIsACleanErrorAndTheStoreStaysVerified() throws {
        try Tmpfs.with(sizeKiB: 40 * 1024) { tmpfs throws in
            let repos = [FakeHub.Repo(id: "acme/two", commit: HubSandbox.commit, files: [
                FakeHub.File("a.safetensors", safetensorsFile(payloadBytes: 24 << 20, seed: 51), lfs: true),
                FakeHub.File("b.safetensors", safetensorsFile(payloadBytes: 24 << 20, seed: 52), lfs: true),
            ])]
            try HubSandbox.with(repos: repos) { env throws in
                var modelpin = env.sandbox.modelpin
                modelpin.environment["MODELPIN_HOME"] = tmpfs.mountPoint.appendingPathComponent("store").path
                let outcome = try modelpin.run(["pull", "acme/two", "--endpoint", env.hub.endpoint, "--to", "m"])
                #expect(outcome.status == 2)
                #expect(outcome.stderr.contains("is full"), "\(outcome.stderr)")
                #expect(outcome.stderr.contains("caused by: No space left on device"))
                let blobs = tmpfs.mountPoint.appendingPathComponent("store/blobs/sha256")
                for name in env.sandbox.names(blobs) {
                    #expect(sha256Hex(try Data(contentsOf: blobs.appendingPathComponent(name))) == name)
                }
            }
        }
    }
}
