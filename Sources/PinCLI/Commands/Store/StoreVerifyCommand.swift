import ArgumentParser
import PinModel
import PinStore

/// `modelpin store verify [--contents]`
struct StoreVerifyCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the store; exit 1 if anything is missing, corrupt or stray.",
        discussion: """
            The fast check confirms that every blob a root references is present at its recorded \
            size, that every blob is read-only, and that nothing else sits in blobs/. \
            --contents also re-hashes every blob (several at once, one per CPU core) and \
            compares the result with its name.
            """)

    @Flag(help: "Re-hash every blob's contents.")
    var contents = false

    @OptionGroup var concurrency: ConcurrencyOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let store = try store.open(.readOnly)
        let report = try store.verify(contents: contents, concurrency: concurrency.width)
        if console.json {
            console.out(try Format.json(report))
        } else {
            for problem in report.problems {
                var line = "\(problem.kind.rawValue)  \(problem.path): \(problem.detail)"
                if let expected = problem.expected, let actual = problem.actual {
                    line += "\n  expected: \(expected)\n    actual: \(actual)"
                }
                console.out(line)
            }
            let checked = contents ? "re-hashed" : "checked"
            var summary = "\(checked) \(Format.plural(report.blobs, "blob")) (\(Format.bytes(report.bytes))) in \(store.root)"
            if report.temporaryFiles > 0 {
                summary += "; \(Format.plural(report.temporaryFiles, "temp file")) from interrupted writes (\(Format.bytes(report.temporaryBytes))), reclaimed by `modelpin store gc`"
            }
            console.note(summary)
        }
        guard report.isHealthy else {
            console.report(VerifyFailure(problems: report.problems.count))
            return .refused
        }
        if !console.json { console.note("no problems found") }
        return .success
    }
}

struct VerifyFailure: ModelpinError {
    let problems: Int

    var kind: FailureKind { .refused }
    var description: String { "the store has \(Format.plural(problems, "problem"))" }
    var hint: String? {
        "remove corrupt or stray entries and add the files again; `modelpin store gc` removes unreferenced blobs"
    }
}
