import ArgumentParser
import PinLock
import PinModel
import PinWorkspace

/// `modelpin verify [ALIAS...]`
struct VerifyCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the project's models against modelpin.lock: every file in its directory hashed again, every blob in the store.",
        discussion: "Exits 1 if any file is missing or differs. `modelpin pull` restores them.")

    @Argument(help: ArgumentHelp("Only these models (default: all).", valueName: "alias"))
    var aliases: [String] = []

    @Flag(name: .shortAndLong, help: "Print only problems and errors (no summary).")
    var quiet = false

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let report = try store.workspace().verify(try self.project.load(), aliases: aliases)
        if console.json {
            console.out(try Format.json(report))
        } else {
            for problem in report.problems {
                console.out("\(problem.kind.rawValue)  \(problem.alias): \(problem.path): \(problem.detail)")
            }
            guard !quiet else { return report.problems.isEmpty ? .success : .refused }
            console.note("checked \(Format.plural(report.models, "model")), \(Format.plural(report.files, "file")), \(Format.bytes(report.bytes)): "
                + (report.problems.isEmpty ? "all match \(Lockfile.fileName)" : Format.plural(report.problems.count, "problem")))
        }
        return report.problems.isEmpty ? .success : .refused
    }
}
