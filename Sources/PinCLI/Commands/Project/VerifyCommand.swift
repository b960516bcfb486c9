import ArgumentParser
import PinLock
import PinModel
import PinStore
import PinWorkspace
import SystemPackage

/// `modelpin verify [ALIAS...]`
struct VerifyCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the project's models against modelpin.lock: every file in its directory hashed again, every blob in the store.",
        discussion: "Exits 1 if any file is missing or differs. `modelpin pull` restores them.")

    @Argument(help: ArgumentHelp("Only these models (default: all).", valueName: "alias"))
    var aliases: [String] = []

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let project = try self.project.load()
        guard let lock = try project.loadLock() else { throw ProjectError.lockMissing(project.lockPath) }
        var chosen: [(LockedModel, ModelDirectory)] = []
        for alias in aliases where lock.model(alias) == nil {
            throw ProjectError.notLocked(alias: alias, lock: project.lockPath)
        }
        for model in lock.models where aliases.isEmpty || aliases.contains(model.alias.rawValue) {
            guard let request = project.manifest.model(model.alias) else {
                throw ProjectError.lockOutdated(project.lockPath, [.removed(alias: model.alias.rawValue)])
            }
            chosen.append((model, try project.modelDirectory(of: request)))
        }
        let store = try store.open(.readOnly)
        let report = ProjectVerifier(store: store).verify(chosen)
        if console.json {
            console.out(try Format.json(report))
        } else {
            for problem in report.problems {
                console.out("\(problem.kind.rawValue)  \(problem.alias): \(problem.path): \(problem.detail)")
            }
            console.note("checked \(Format.plural(report.models, "model")), \(Format.plural(report.files, "file")), \(Format.bytes(report.bytes)): "
                + (report.problems.isEmpty ? "all match \(Lockfile.fileName)" : Format.plural(report.problems.count, "problem")))
        }
        return report.problems.isEmpty ? .success : .refused
    }
}
