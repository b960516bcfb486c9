import ArgumentParser
import Foundation
import Testing

@testable import PinCLI

/// Help that reads cleanly at 80 columns and names what the README documents.
@Suite("Help texts")
struct HelpTextTests {
    /// Every command, nested ones included.
    static var allCommands: [any ParsableCommand.Type] {
        func walk(_ command: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
            [command] + command.configuration.subcommands.flatMap(walk)
        }
        return walk(Modelpin.self)
    }

    @Test func noHelpShowsAStrayLineContinuation() {
        for command in Self.allCommands {
            let help = command == Modelpin.self
                ? Modelpin.helpMessage(columns: 80) : Modelpin.helpMessage(for: command, columns: 80)
            let stray = help.split(separator: "\n").filter { $0.hasSuffix("\\") }
            #expect(stray.isEmpty, "\(command._commandName): \(stray)")
        }
    }

    /// The tables in a discussion (EXIT STATUS, ENVIRONMENT: indented rows) are laid out by
    /// hand; ArgumentParser must not wrap one of their rows at 80 columns.
    @Test func tableRowsStayOnOneLineAt80Columns() {
        for command in Self.allCommands {
            let help = command == Modelpin.self
                ? Modelpin.helpMessage(columns: 80) : Modelpin.helpMessage(for: command, columns: 80)
            let rows = command.configuration.discussion.split(separator: "\n").filter { $0.hasPrefix("  ") }
            for row in rows {
                #expect(help.contains(row + "\n"), "\(command._commandName): `\(row)` is wrapped")
            }
        }
    }

    /// Every variable the README's Environment table documents, from the README itself.
    static var documentedVariables: [String] {
        get throws {
            let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../README.md").standardizedFileURL
            let text = try String(contentsOf: readme, encoding: .utf8)
            let section = try #require(text.components(separatedBy: "### Environment").dropFirst().first)
                .components(separatedBy: "\n## ")[0]
            let names = section.split(separator: "\n").filter { $0.hasPrefix("| `") }.flatMap { row in
                row.split(separator: "|")[0].split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            }
            return names
        }
    }

    @Test func helpListsEveryDocumentedVariable() throws {
        let variables = try Self.documentedVariables
        #expect(variables.count >= 12)
        let root = Modelpin.helpMessage(columns: 80)
        // Every variable the README documents applies to a pull.
        let pull = Modelpin.helpMessage(for: PullCommand.self, columns: 80)
        for variable in variables {
            #expect(root.contains(variable), "modelpin --help lacks \(variable)")
            #expect(pull.contains(variable), "modelpin pull --help lacks \(variable)")
        }
    }
}
