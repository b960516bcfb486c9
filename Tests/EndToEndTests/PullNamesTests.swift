import Foundation
import PinTestSupport
import Testing

@Suite("modelpin pull checks names first")
struct PullNamesTests {
    @Test func aTyposquatIsRefusedBeforeAnyRequest() throws {
        let repos = [FakeHub.Repo(id: "meta-llama/Llama-3.1-8B", commit: HubSandbox.commit, files: HubSandbox.files)]
        try HubSandbox.with(repos: repos) { env throws in
            try env.sandbox.file("allow.txt", Array("meta-llama/Llama-3.1-8B\n".utf8))
            let outcome = try env.pull("meta-IIama/Llama-3.1-8B", "--allowlist", "allow.txt")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("error: `meta-IIama/Llama-3.1-8B` looks like the allowed `meta-llama/Llama-3.1-8B`"))
            #expect(outcome.stderr.contains("hint: did you mean `meta-llama/Llama-3.1-8B`?"))
            #expect(env.hub.log.isEmpty)
        }
    }

    @Test func anAllowedCaseVariantIsFetchedUnderItsCanonicalName() throws {
        let repos = [FakeHub.Repo(id: "meta-llama/Llama-3.1-8B", commit: HubSandbox.commit, files: HubSandbox.files)]
        try HubSandbox.with(repos: repos) { env throws in
            try env.sandbox.file("allow.txt", Array("meta-llama/Llama-3.1-8B\n".utf8))
            var modelpin = env.sandbox.modelpin
            modelpin.environment["MODELPIN_ALLOWLIST"] = env.directory.appendingPathComponent("allow.txt").path
            let outcome = try modelpin.run(["pull", "META-LLAMA/llama-3.1-8b", "--endpoint", env.hub.endpoint])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(!outcome.stderr.contains("warning"))
            #expect(env.hub.log.first?.target.contains("/api/models/meta-llama/Llama-3.1-8B/revision/main") == true)
            #expect(FileManager.default.fileExists(atPath: env.directory.appendingPathComponent("models/meta-llama/Llama-3.1-8B/config.json").path))
        }
    }

    @Test func unlistedNamesNeedAnExplicitFlag() throws {
        try HubSandbox.with { env throws in
            try env.sandbox.file("allow.txt", Array("meta-llama/*\n".utf8))
            let refused = try env.pull("acme/tiny-model", "--allowlist", "allow.txt")
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("error: `acme/tiny-model` is not on the allowlist"))
            #expect(env.hub.log.isEmpty)

            let allowed = try env.pull("acme/tiny-model", "--allowlist", "allow.txt", "--allow-unlisted")
            #expect(allowed.status == 0)
            #expect(allowed.stderr.contains("warning: `acme/tiny-model` is not on the allowlist; pulling it because --allow-unlisted was given"))
        }
    }

    @Test func withoutAnAllowlistThePullWarnsLoudly() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 0)
            #expect(outcome.stderr.hasPrefix("warning: no allowlist configured: `acme/tiny-model` was not checked for typosquats"))
        }
    }
}
