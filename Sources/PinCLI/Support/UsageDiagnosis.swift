import ArgumentParser

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads a command line that ArgumentParser refused for the mistakes a newcomer makes — an
/// unknown option, a mistyped subcommand — and names them, with the closest known spelling.
///
/// Why not ArgumentParser's own message: it runs a command's `validate()` before it reports the
/// options it did not recognise, and it takes an unknown option's value for a positional
/// argument. So `pull acme/x --inclde '*.json'` was refused as "one ORG/NAME at a time" (the
/// pattern became a second model). Looking at the command line itself, once parsing has failed,
/// puts the unknown option first whatever a command validates.
struct UsageDiagnosis {
    /// The command tree as ArgumentParser describes it: the JSON of `--experimental-dump-help`
    /// (`_dumpHelp()`), the one public way to enumerate every command's option names.
    struct Command: Decodable {
        let commandName: String
        let aliases: [String]?
        let subcommands: [Command]?
        let arguments: [Argument]?

        struct Argument: Decodable {
            struct Name: Decodable {
                let kind: String
                let name: String
            }
            let kind: String
            let names: [Name]?
        }

        /// Long names (without `--`) with whether each takes a value.
        var longNames: [String: Bool] {
            var result: [String: Bool] = [:]
            for argument in arguments ?? [] {
                for name in argument.names ?? [] where name.kind == "long" {
                    result[name.name] = argument.kind == "option"
                }
            }
            return result
        }

        var shortNames: [Character: Bool] {
            var result: [Character: Bool] = [:]
            for argument in arguments ?? [] {
                for name in argument.names ?? [] where name.kind == "short" {
                    if let character = name.name.first { result[character] = argument.kind == "option" }
                }
            }
            return result
        }

        var takesPositionals: Bool { (arguments ?? []).contains { $0.kind == "positional" } }

        func subcommand(named name: String) -> Command? {
            subcommands?.first { $0.commandName == name || ($0.aliases ?? []).contains(name) }
        }
    }

    /// What was wrong, for `error:` and `hint:`.
    struct Finding: Equatable {
        let message: String
        let hint: String
    }

    let root: Command

    init(root: Command) {
        self.root = root
    }

    init(_ type: any ParsableCommand.Type) throws {
        struct Dump: Decodable { let command: Command }
        root = try JSONDecoder().decode(Dump.self, from: Data(type._dumpHelp().utf8)).command
    }

    /// The subcommands `arguments` names, in order, from the root.
    func path(_ arguments: [String]) -> [Command] {
        walk(arguments).path
    }

    /// `modelpin pull` for the command `arguments` reach: what a hint sends the user to.
    func commandName(_ arguments: [String]) -> String {
        path(arguments).map(\.commandName).joined(separator: " ")
    }

    /// The first unknown subcommand or option in `arguments`, if any.
    func diagnose(_ arguments: [String]) -> Finding? {
        let walked = walk(arguments)
        let name = walked.path.map(\.commandName).joined(separator: " ")
        if let command = walked.unknownCommand {
            let parent = walked.path.last ?? root
            let names = (parent.subcommands ?? []).map(\.commandName).filter { $0 != "help" }
            let hint = Self.closest(to: command, among: names).map { "did you mean `\($0)`? (see `\(name) --help`)" }
                ?? "`\(name) --help` lists the commands"
            return Finding(message: "unknown command `\(command)`", hint: hint)
        }
        let known = walked.path.reduce(into: Set<String>()) { $0.formUnion($1.longNames.keys) }
        guard let option = walked.longOptions.first(where: { !known.contains($0) }) else { return nil }
        let leaf = walked.path.last ?? root
        let candidates = leaf.longNames.keys.filter { !["help", "experimental-dump-help"].contains($0) }.sorted()
        let hint = Self.closest(to: option, among: candidates).map { "did you mean `--\($0)`? (see `\(name) --help`)" }
            ?? "`\(name) --help` lists its options"
        return Finding(message: "unknown option `--\(option)`", hint: hint)
    }

    private struct Walk {
        var path: [Command]
        var longOptions: [String] = []
        var unknownCommand: String?
    }

    /// Goes through `arguments` as ArgumentParser would: options (skipping the values of known
    /// ones), subcommand names while the current command has subcommands, up to `--`.
    private func walk(_ arguments: [String]) -> Walk {
        var walk = Walk(path: [root])
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            let current = walk.path.last ?? root
            if argument == "--" { break }
            if argument.hasPrefix("--") {
                let name = String(argument.dropFirst(2).prefix { $0 != "=" })
                walk.longOptions.append(name)
                let takesValue = walk.path.lazy.compactMap { $0.longNames[name] }.first ?? false
                if takesValue, !argument.contains("=") { index += 1 }
            } else if argument.hasPrefix("-"), argument.count == 2, let short = argument.last {
                if walk.path.lazy.compactMap({ $0.shortNames[short] }).first == true { index += 1 }
            } else if !argument.hasPrefix("-"), let subcommands = current.subcommands, !subcommands.isEmpty {
                if let next = current.subcommand(named: argument) {
                    walk.path.append(next)
                } else if !current.takesPositionals, walk.unknownCommand == nil {
                    walk.unknownCommand = argument
                }
            }
        }
        return walk
    }

    /// The nearest of `names` to `typed`: within an edit distance that grows with the name (one
    /// slip in a short name, up to three in a long one) and is less than its length (a one-letter
    /// name is corrected into nothing), or the only name `typed` begins.
    static func closest(to typed: String, among names: [String]) -> String? {
        let limit = min(3, max(1, typed.count / 3), typed.count - 1)
        let scored = names.map { ($0, distance(typed, $0)) }.filter { $0.1 <= limit }
        if let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) { return best.0 }
        let extended = names.filter { $0.hasPrefix(typed) }
        return typed.count >= 2 && extended.count == 1 ? extended[0] : nil
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions, the commonest
    /// typing slip). Written here because ArgumentParser's and PinNames' are internal to them.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
