import ArgumentParser
import Foundation
import PinModel
import Testing

@testable import PinCLI

/// The command line a newcomer from `hf download` types: mistakes named with the closest
/// spelling, hf's option names understood, and help that reads cleanly at 80 columns.
@Suite("Usage: unknown options and commands, hf's names, help texts")
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
}
