import ArgumentParser
import PinModel
import PinNames

/// `modelpin check NAME... [--allowlist FILE] [--json]`
struct CheckCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check repo ids against the allowlist, refusing lookalikes of allowed ones.",
        discussion: """
            Each id is allowed (listed, an ASCII-case variant of a listed id, or under an \
            `owner/*` entry), a typosquat (not allowed and made to look like an allowed id: \
            typing slips, homoglyphs, invisible characters, separators, word order, affixes, a \
            dropped owner), or unlisted. Exit 0 when every id is allowed, 1 otherwise. Datasets \
            (datasets/owner/name) are checked against the allowlist's datasets/owner/name and \
            datasets/owner/* entries only; lookalike owners are refused across both kinds.
            """)

    @Argument(help: ArgumentHelp("Repo ids, `owner/name` (`datasets/owner/name` for a dataset).", valueName: "name"))
    var names: [String]

    @OptionGroup var names_: NamesOptions
    @OptionGroup var output: OutputOptions

    /// One line of `--json`: a verdict, or `invalid` for a name that is not an id.
    struct Entry: Encodable {
        let verdict: NameVerdict?
        let invalid: NameSyntaxError?

        func encode(to encoder: any Encoder) throws {
            if let verdict { return try verdict.encode(to: encoder) }
            guard let invalid else { return }
            var container = encoder.container(keyedBy: NameVerdict.CodingKeys.self)
            try container.encode(invalid.name, forKey: .name)
            try container.encode("invalid", forKey: .verdict)
            try container.encode(invalid.causes.joined(separator: "; "), forKey: .reason)
            for key in [NameVerdict.CodingKeys.canonical, .imitates, .technique, .suggestion] {
                try container.encodeNil(forKey: key)
            }
            try container.encode([String](), forKey: .evidence)
            try container.encode([String](), forKey: .related)
        }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        guard let checker = try names_.loadChecker(console) else {
            throw UsageError(
                message: "no allowlist to check against",
                hint: "pass --allowlist FILE or set MODELPIN_ALLOWLIST")
        }
        let source = names_.allowlistPath ?? "the allowlist"
        var entries: [Entry] = []
        var status = ExitStatus.success
        let width = names.map { $0.escapedForDisplay.count }.max() ?? 0
        for name in names {
            do {
                let verdict = try checker.check(name)
                entries.append(Entry(verdict: verdict, invalid: nil))
                if !verdict.isAllowed { status = max(status, .refused) }
                guard !console.json else { continue }
                let shown = name.escapedForDisplay
                var line = verdict.verdict.rawValue.padding(9) + "  " + shown
                if let canonical = verdict.canonical, canonical != name {
                    line += String(repeating: " ", count: width - shown.count) + "  → " + canonical
                }
                console.out(line)
                if !verdict.isAllowed { console.report(NameRefusal(verdict: verdict, allowlistSource: source)) }
            } catch {
                entries.append(Entry(verdict: nil, invalid: error))
                if !console.json {
                    console.out("invalid".padding(9) + "  " + name.escapedForDisplay)
                    console.report(error)
                }
                status = max(status, .usage)
            }
        }
        if console.json { console.out(try Format.json(entries)) }
        return status
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
