import Foundation
import PinModel
import Testing

@testable import PinCLI

/// An error whose every part came from a hostile server.
private struct HostileError: ModelpinError {
    var kind: FailureKind { .operational }
    var description: String { "answered \u{1B}]0;pwned\u{07}\nerror: forged line" }
    var causes: [String] { ["body \u{9B}31m\u{202E}txt.exe\nhint: run this"] }
    var hint: String? { "hint \u{2066}x\u{2069}" }
}

@Suite("Console: everything written is escaped for the terminal")
struct ConsoleEscapingTests {
    @Test(arguments: [false, true])
    func anErrorRendersWithNoRawControlAndNoForgedLine(_ color: Bool) {
        let text = Console(json: false, colorErrors: color).render(HostileError())
        // Only the console's own colour sequences may carry ESC.
        let withoutOwnStyles = ["\u{1B}[1;31m", "\u{1B}[2m", "\u{1B}[1;36m", "\u{1B}[0m"].reduce(text) {
            $0.replacingOccurrences(of: $1, with: "")
        }
        #expect(!withoutOwnStyles.unicodeScalars.contains { $0.isHiddenOnTerminal && $0 != "\n" }, "\(text.debugDescription)")
        #expect(withoutOwnStyles.contains("\\u{1B}]0;pwned\\u{7}"))
        #expect(withoutOwnStyles.contains("\\u{9B}31m\\u{202E}txt.exe"))
        // A line feed inside a part cannot start a line that reads as modelpin's own.
        let lines = withoutOwnStyles.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("error:") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("hint:") }.count == 1)
        #expect(lines.contains("  error: forged line"))
    }

    @Test func jsonEscapesEveryHiddenCharacterAndStillDecodesToTheSameText() throws {
        let hostile = "\u{1B}[2J \u{9B}31m \u{7F} \u{202E}exe \u{2066} \u{E0001} tab\t"
        let text = try Format.json(["message": hostile])
        #expect(!text.unicodeScalars.contains { $0.isHiddenOnTerminal && $0 != "\n" }, "\(text.debugDescription)")
        #expect(text.contains("\\u009b") && text.contains("\\u202e") && text.contains("\\udb40\\udc01"))
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        #expect(decoded["message"] == hostile)
        // What the console does to a result on its way out leaves this JSON as it is.
        #expect(text.escapedForTerminal == text)
    }
}
