import ArgumentParser
import Foundation
import PinModel
import Testing

@testable import PinCLI

/// The command line a newcomer from `hf download` types: mistakes named with the closest
/// spelling, and hf's option names and file arguments understood.
@Suite("Usage: unknown options and commands, hf's names")
struct UsageTests {
    /// What modelpin says about a command line ArgumentParser refuses.
    static func refusal(_ arguments: [String]) throws -> UsageError {
        do {
            _ = try Modelpin.parseAsRoot(arguments)
        } catch {
            return Modelpin.usageError(error, arguments: arguments)
        }
        Issue.record("\(arguments) was accepted")
        return UsageError(message: "", hint: nil)
    }

    @Test(arguments: [
        // A typo's value must not become a second model (validate() ran first, before).
        (["pull", "acme/x", "--inclde", "*.json"], "unknown option `--inclde`", "did you mean `--include`?"),
        (["pull", "acme/x", "--exlcude", "*.bin"], "unknown option `--exlcude`", "did you mean `--exclude`?"),
        (["pull", "--allow-unlisetd", "acme/x"], "unknown option `--allow-unlisetd`", "did you mean `--allow-unlisted`?"),
        (["pull", "acme/x", "--revison", "v1"], "unknown option `--revison`", "did you mean `--revision`?"),
        (["pull", "acme/x", "--local_dir", "d"], "unknown option `--local_dir`", "did you mean `--local-dir`?"),
        (["pull", "acme/x", "--max-worker", "4"], "unknown option `--max-worker`", "did you mean `--max-workers`?"),
        (["pull", "acme/x", "--incl", "*.json"], "unknown option `--incl`", "did you mean `--include`?"),
        (["pull", "acme/x", "--include=*.json", "--frobnicate=1"], "unknown option `--frobnicate`", "`modelpin pull --help` lists its options"),
        (["lock", "--updaet"], "unknown option `--updaet`", "did you mean `--update`?"),
        (["store", "add", "a.bin", "--expcet", "sha256:00"], "unknown option `--expcet`", "did you mean `--expect`?"),
        // A mistyped subcommand, at the top and in a group.
        (["pul", "acme/x"], "unknown command `pul`", "did you mean `pull`?"),
        (["lokc"], "unknown command `lokc`", "did you mean `lock`?"),
        (["stor", "ls"], "unknown command `stor`", "did you mean `store`?"),
        (["store", "lss"], "unknown command `lss`", "did you mean `ls`?"),
        (["frobnicate"], "unknown command `frobnicate`", "`modelpin --help` lists the commands"),
        // ArgumentParser's own errors, in modelpin's style.
        (["pull", "--include"], "missing value for '--include <glob>'", "see `modelpin pull --help`"),
        (["pull", "acme/x@v1", "--revision", "v2"], "`acme/x@v1` and --revision v2 name different revisions; give one of them", "see `modelpin pull --help`"),
        (["pull", "alias", "acme/x"], "`acme/x` is a repository, so it comes first: modelpin pull ORG/NAME [FILE...]; aliases of the project's models have no `/`", "see `modelpin pull --help`"),
        (["pull", "acme/x", "config.json", "--include", "*.json"], "name the files to pull or give --include/--exclude patterns, not both", "see `modelpin pull --help`"),
    ] as [([String], String, String)])
    func namesTheMistakeWithTheClosestSpelling(_ arguments: [String], _ message: String, _ hint: String) throws {
        let error = try Self.refusal(arguments)
        #expect(error.description == message)
        #expect(error.hint?.hasPrefix(hint) == true, "\(error.hint ?? "no hint")")
        #expect(error.kind == .usage)
    }

    @Test(arguments: [
        ["pull", "acme/x", "--include", "*.json"],
        ["pull", "--", "--inclde"],
        ["pull", "acme/x", "--home=/s", "-j", "2"],
        ["help", "pul"],
    ])
    func findsNothingWhereNothingIsUnknown(_ arguments: [String]) throws {
        #expect(try UsageDiagnosis(Modelpin.self).diagnose(arguments) == nil)
    }

    @Test(arguments: [
        ("inclde", "include"), ("exlcude", "exclude"), ("pul", "pull"), ("lsit", "list"), ("incl", "include"),
    ])
    func suggestsTheNearestName(_ typed: String, _ expected: String) {
        let names = ["include", "exclude", "pull", "list", "lock", "to", "local-dir"]
        #expect(UsageDiagnosis.closest(to: typed, among: names) == expected)
    }

    @Test(arguments: ["token", "x", "frobnicate", "t"])
    func suggestsNothingFarAway(_ typed: String) {
        #expect(UsageDiagnosis.closest(to: typed, among: ["include", "exclude", "to", "local-dir", "jobs"]) == nil)
    }

    // MARK: hf download's names

    @Test func acceptsHfNamesAsAliases() throws {
        let hf = try #require(try Modelpin.parseAsRoot([
            "pull", "acme/x", "--local-dir", "out", "--max-workers", "3", "--cache-dir", "/s", "--revision", "v1",
        ]) as? PullCommand)
        let ours = try #require(try Modelpin.parseAsRoot(["pull", "acme/x@v1", "--to", "out", "--jobs", "3", "--home", "/s"]) as? PullCommand)
        #expect(hf.destination == "out" && ours.destination == "out")
        #expect(hf.transfer.jobs == 3 && ours.transfer.jobs == 3)
        #expect(hf.store.home == "/s" && ours.store.home == "/s")
        // The same revision twice is no conflict.
        let both = try #require(try Modelpin.parseAsRoot(["pull", "acme/x@v1", "--revision", "v1"]) as? PullCommand)
        for command in [hf, ours, both] {
            let requested = try command.requested()
            #expect(requested.name == "acme/x" && requested.revision == "v1")
        }
        let store = try #require(try Modelpin.parseAsRoot(["store", "ls", "--cache-dir", "/s"]) as? StoreListCommand)
        #expect(store.store.home == "/s")
    }

    @Test func showsHfNamesAsAliasesInHelp() {
        let help = Modelpin.helpMessage(for: PullCommand.self, columns: 80)
        for line in ["--to, --local-dir <dir>", "-j, --jobs, --max-workers <jobs>", "--home, --cache-dir <dir>", "--revision <rev>"] {
            #expect(help.contains(line), "\(line)")
        }
    }

    @Test(arguments: [
        (["pull", "acme/x", "config.json", "tokenizer/tokenizer.json"], true, ["config.json", "tokenizer/tokenizer.json"]),
        (["pull", "acme/x@v1"], true, []),
        (["pull", "tiny", "other"], false, []),
        (["pull"], false, []),
    ] as [([String], Bool, [String])])
    func theFirstArgumentDecidesTheForm(_ arguments: [String], _ byName: Bool, _ files: [String]) throws {
        let pull = try #require(try Modelpin.parseAsRoot(arguments) as? PullCommand)
        #expect(pull.byName == byName)
        #expect(pull.files == files)
    }
}
