import Foundation
import PinTestSupport
import Testing

/// Bytes a hostile server chooses, carrying terminal controls: an OSC that retitles the window
/// and one that hides a hyperlink, CSI sequences (ESC-introduced and as the single C1 character
/// U+009B), a bidi override that reverses what follows, and an isolate.
let hostileText = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{1B}]8;;https://evil.test\u{1B}\\click\u{202E}nib.exe\u{2066}x\u{2069}"

/// Where server-controlled text reaches modelpin's messages.
enum HostileTextSource: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// The body of an error answer (shown as the error's cause).
    case errorBody
    /// The `X-Repo-Commit` a file's answer carries (shown as the commit it answered for).
    case repoCommitHeader
    /// A redirect's `Location` (shown in the refused redirect).
    case redirectLocation
    /// A path the tree lists (shown among the unsafe paths).
    case listedPath
    /// A path with bidi controls but no C0/C1 control: a legal path, pulled, and shown in the
    /// progress lines and the JSON summary.
    case bidiPath

    static let bidiFile = "weights/report\u{202E}fdp.exe\u{2066}.bin"

    /// Whether the pull must fail (the others are refusals; a bidi path is only shown).
    var refuses: Bool { self != .bidiPath }

    var testDescription: String { rawValue }

    func arm(_ hub: FakeHub) throws {
        switch self {
        case .errorBody:
            hub.configure {
                $0.failStatus = 403
                $0.failCount = 100
                $0.failBody = hostileText
            }
        case .repoCommitHeader:
            hub.configure { $0.repoCommitHeader = hostileText }
        case .redirectLocation:
            hub.configure { $0.lfsLocation = "ftp://evil.test/\(hostileText)" }
        case .listedPath:
            try hub.update { repos in
                repos[0].commits[HubSandbox.commit]!.append(FakeHub.File("weights/\(hostileText).bin", Array("x".utf8)))
            }
        case .bidiPath:
            try hub.update { repos in
                repos[0].commits[HubSandbox.commit]!.append(FakeHub.File(Self.bidiFile, Array("x".utf8)))
            }
        }
    }
}

/// The characters that must never reach a terminal raw: ESC, the other C0 controls but the
/// line feed, DEL, C1, and bidi controls.
func rawControls(in text: String) -> [Unicode.Scalar] {
    text.unicodeScalars.filter { scalar in
        let value = scalar.value
        return (value < 0x20 && scalar != "\n") || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value)
            || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F || value == 0x061C
    }
}

@Suite("server-controlled text is escaped before it reaches the terminal")
struct TerminalEscapingTests {
    @Test(arguments: HostileTextSource.allCases, [false, true])
    func noControlReachesTheTerminal(_ source: HostileTextSource, json: Bool) throws {
        try HubSandbox.with { env throws in
            try source.arm(env.hub)
            let outcome = try json
                ? env.pull("acme/tiny-model", "--retries", "1", "--json")
                : env.pull("acme/tiny-model", "--retries", "1")
            #expect((outcome.status != 0) == source.refuses, "\(outcome.stderr)")
            #expect(rawControls(in: outcome.stderr).isEmpty, "stderr: \(outcome.stderr.debugDescription)")
            #expect(rawControls(in: outcome.stdout).isEmpty, "stdout: \(outcome.stdout.debugDescription)")
            guard source.refuses else {
                if json {
                    #expect(outcome.stdout.contains("report\\u202efdp.exe\\u2066.bin"), "\(outcome.stdout)")
                    let files = try #require((try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])?["files"] as? [[String: Any]])
                    #expect(files.contains { $0["path"] as? String == HostileTextSource.bidiFile }, "a JSON reader gets the path itself")
                } else {
                    #expect(outcome.stderr.contains("verified weights/report\\u{202E}fdp.exe\\u{2066}.bin"), "\(outcome.stderr)")
                }
                return
            }
            // Shown, not dropped: the reader sees what the server sent, escaped.
            #expect(outcome.stderr.contains("\\u{1B}]0;pwned\\u{7}"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("\\u{202E}nib.exe"), "\(outcome.stderr)")
            if json {
                let failure = try #require((try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])?["error"] as? [String: Any])
                let text = ([failure["message"] as? String] + ((failure["causes"] as? [String]) ?? [])).compactMap { $0 }.joined()
                // JSON escapes are undone by a JSON reader: the data is the server's own text.
                #expect(text.contains("\u{202E}nib.exe") || text.contains("\\u{202E}nib.exe"), "\(outcome.stdout)")
            }
        }
    }
}
