import Foundation
import PinTestSupport
import Testing

/// The binary's answer to a command line typed as `hf download` users type it.
@Suite("Usage errors and hf download's command line")
struct UsageErrorTests {
    @Test func anUnknownOptionIsNamedWithTheClosestOneAndNothingRuns() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.pull("acme/tiny-model", "--inclde", "*.json")
            #expect(outcome.status == 64)
            #expect(outcome.stderr == """
                error: unknown option `--inclde`
                hint: did you mean `--include`? (see `modelpin pull --help`)

                """)
            #expect(outcome.stdout.isEmpty)
            #expect(env.hub.log.isEmpty)
        }
    }

    @Test func aMistypedCommandSuggestsTheClosestOne() throws {
        try Sandbox.with { sandbox throws in
            let outcome = try sandbox.run("pul", "acme/tiny-model")
            #expect(outcome.status == 64)
            #expect(outcome.stderr.hasPrefix("error: unknown command `pul`\nhint: did you mean `pull`?"))
        }
    }

    @Test func argumentParsersOwnErrorsSpeakModelpinsStyle() throws {
        try Sandbox.with { sandbox throws in
            let outcome = try sandbox.run("pull", "--include")
            #expect(outcome.status == 64)
            #expect(outcome.stderr == "error: missing value for '--include <glob>'\nhint: see `modelpin pull --help`\n")
            #expect(!outcome.stderr.contains("Error:"))
            let json = try sandbox.run("hash", "--jsno", "--json")
            #expect(json.status == 64)
            #expect(json.stdout.contains("\"message\" : \"unknown option `--jsno`\""))
        }
    }

    @Test func fileNamesAfterTheRepoPullOnlyThoseFiles() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.pull("acme/tiny-model", "config.json", "tokenizer/tokenizer.json", "--local-dir", "out", "--max-workers", "2")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let directory = env.directory.appendingPathComponent("out")
            #expect(env.sandbox.names(directory) == [".modelpin", "config.json", "tokenizer"])
            #expect(try Data(contentsOf: directory.appendingPathComponent("config.json")) == Data(HubSandbox.config))
            #expect(env.cdnRequests.isEmpty)

            let absent = try env.pull("acme/tiny-model", "config.json", "confg.json")
            #expect(absent.status == 64)
            #expect(absent.stderr.contains("error: `acme/tiny-model@main` has no file `confg.json`"))
        }
    }

    @Test func revisionIsTheSameAsAnAtSuffix() throws {
        try HubSandbox.with { env throws in
            let outcome = try env.pull("acme/tiny-model", "config.json", "--revision", HubSandbox.commit, "--to", "out")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout.contains("pulled acme/tiny-model@\(HubSandbox.commit)"))

            let conflict = try env.pull("acme/tiny-model@main", "--revision", HubSandbox.commit)
            #expect(conflict.status == 64)
            #expect(conflict.stderr.contains("name different revisions"))
        }
    }
}
