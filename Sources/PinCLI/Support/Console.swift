import PinModel
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything a command writes goes through here: results to stdout, diagnostics to stderr,
/// colour only on a terminal and never when NO_COLOR is set.
///
/// Much of what is shown comes from elsewhere: a Hub's error body, its headers, a redirect's
/// URL, a listed path, a file's contents. So every text passes through one escaping step on
/// its way out (`String.escapedForTerminal`): controls, ESC and C1 sequences, bidi overrides
/// and other invisible characters become visible `\u{…}` escapes, and the continuation lines
/// of a diagnostic are indented, so that no line can pass for an `error:` or `hint:` of
/// modelpin's own. The only escape sequences written are the ones built here (colours, the
/// progress bars' cursor moves): callers hand over text, never terminal controls.
struct Console {
    let json: Bool
    let colorErrors: Bool
    /// Whether a result was written to stdout (then a failure is not added as a second JSON
    /// document: stdout stays one valid JSON value).
    private let written = WrittenFlag()

    private final class WrittenFlag: @unchecked Sendable {
        // @unchecked: set and read on the command's own thread only.
        var value = false
    }

    init(options: OutputOptions, environment: [String: String] = ProcessEnvironment.current) {
        json = options.json
        colorErrors = Console.wantsColor(descriptor: STDERR_FILENO, environment: environment)
    }

    init(json: Bool, colorErrors: Bool) {
        self.json = json
        self.colorErrors = colorErrors
    }

    /// https://no-color.org: any non-empty NO_COLOR turns colour off; so does a dumb terminal
    /// or output that is not a terminal.
    static func wantsColor(descriptor: Int32, environment: [String: String]) -> Bool {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return isatty(descriptor) == 1
    }

    /// A result on stdout. JSON from `Format.json` carries no character this would change.
    func out(_ text: String) {
        written.value = true
        write(text.escapedForTerminal + "\n", to: .standardOutput)
    }

    func note(_ text: String) {
        write(Self.diagnostic(text) + "\n", to: .standardError)
    }

    /// Replaces the `erasing` lines drawn last (the cursor is below them) with `lines`: how the
    /// progress bars redraw themselves. The cursor moves are the only controls written.
    func redraw(erasing: Int, with lines: [String]) {
        var text = String(repeating: "\u{1B}[1A\u{1B}[2K", count: erasing)
        for line in lines { text += line.escapedForTerminal.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " ") + "\n" }
        write(text, to: .standardError)
    }

    func warn(_ text: String) {
        write(styled("warning:", .yellow) + " " + Self.diagnostic(text) + "\n", to: .standardError)
    }

    /// Escaped for the terminal, continuation lines indented (two spaces at least): a line
    /// feed inside a server's message cannot start a line of its own at the left margin.
    static func diagnostic(_ text: String) -> String {
        let escaped = text.escapedForTerminal
        guard escaped.contains("\n") else { return escaped }
        return escaped.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, line in
            index == 0 || line.hasPrefix("  ") ? String(line) : "  " + line
        }.joined(separator: "\n")
    }

    /// `error: <message>` (continuation lines indented by the message itself), then one
    /// `caused by:` line per cause, then `hint:`.
    func report(_ error: any Error) {
        write(render(error), to: .standardError)
        // With --json, scripts get the failure too, as data on stdout: the message, and for
        // errors that carry structured facts (a signature refusal's reason, key and document)
        // those facts under `details`.
        if json, !written.value, let text = try? Format.json(JSONFailure(error)) { out(text) }
    }

    /// `{"error": {...}}` for `--json`.
    struct JSONFailure: Encodable {
        struct Body: Encodable {
            let message: String
            let causes: [String]
            let hint: String?
            let exitCode: Int32
            let details: AnyEncodable?
        }
        let error: Body

        init(_ error: any Error) {
            let described = error as? any ModelpinError
            self.error = Body(
                message: described?.description ?? String(describing: error), causes: described?.causes ?? [],
                hint: described?.hint, exitCode: ExitStatus(for: error).rawValue,
                details: (error as? any Encodable).map(AnyEncodable.init))
        }
    }

    struct AnyEncodable: Encodable {
        let value: any Encodable
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    }

    func render(_ error: any Error) -> String {
        let message: String
        var causes: [String] = []
        var hint: String?
        if let error = error as? any ModelpinError {
            message = error.description
            causes = error.causes
            hint = error.hint
        } else {
            message = String(describing: error)
        }
        var text = styled("error:", .red) + " " + Self.diagnostic(message) + "\n"
        for cause in causes {
            text += "  " + styled("caused by:", .dim) + " " + Self.diagnostic(cause) + "\n"
        }
        if let hint {
            text += styled("hint:", .cyan) + " " + Self.diagnostic(hint) + "\n"
        }
        return text
    }

    enum Style: String {
        case red = "1;31", yellow = "1;33", cyan = "1;36", dim = "2", bold = "1"
    }

    func styled(_ text: String, _ style: Style) -> String {
        colorErrors ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    private func write(_ text: String, to descriptor: FileDescriptor) {
        // A closed stdout (`modelpin … | head`) must not turn into a crash or an error report.
        _ = try? descriptor.writeAll(Array(text.utf8))
    }
}

/// The process environment as a dictionary, read once.
enum ProcessEnvironment {
    static var current: [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            cursor += 1
        }
        return result
    }

    static var currentDirectory: FilePath {
        guard let path = getcwd(nil, 0) else { return FilePath("/") }
        defer { free(path) }
        return FilePath(String(cString: path))
    }
}
