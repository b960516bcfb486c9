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
}
