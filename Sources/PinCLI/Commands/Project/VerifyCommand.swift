import ArgumentParser
import PinLock
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin verify [ALIAS...]`, `modelpin verify --hf-cache [--cache-dir DIR] [REPO...]`
struct VerifyCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the project's models against modelpin.lock: every file in its directory hashed again, every blob in the store.",
        discussion: """
            Exits 1 if any file is missing or differs. `modelpin pull` restores them. With \
            --hf-cache, checks a Hugging Face cache instead, offline: every blob of every \
            snapshot (or of the REPOs given) hashed again, against modelpin.lock where it locks \
            the repo at that commit, else against the blob's own name; modified, missing, \
            dangling-symlink, extra and malformed entries are reported and nothing is followed.
            """)

    @Argument(help: ArgumentHelp("Only these models (default: all); with --hf-cache, repos as OWNER/NAME[@REV].", valueName: "alias"))
    var aliases: [String] = []

    @OptionGroup var cache: HFCacheOptions

    @Flag(name: .shortAndLong, help: "Print only problems and errors (no summary).")
    var quiet = false

    @OptionGroup var project: ProjectOptions
    // `--home` alone: `--cache-dir` names the Hugging Face cache here, as in `hf cache verify`.
    @OptionGroup var home: StoreHomeOptions
    @OptionGroup var output: OutputOptions

    var store: StoreOptions { home.store }

    func validate() throws {
        if cache.cacheDirectory != nil, !cache.hfCache {
            throw ValidationError("--cache-dir names the Hugging Face cache and needs --hf-cache; the store is --home")
        }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        if cache.hfCache { return try verifyCache(console) }
        let report = try store.workspace(command: "verify", console: console).verify(try self.project.load(), aliases: aliases)
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

    /// `verify --hf-cache`: against the project's lock when there is a project, else the blob names.
    func verifyCache(_ console: Console) throws -> ExitStatus {
        var lock: Lockfile?
        do {
            let path = try Project.locate(explicit: project.manifest.map { FilePath($0) }, from: ProcessEnvironment.currentDirectory)
            lock = try Project.load(path).loadLock()
        } catch ProjectError.noManifest {
            lock = nil  // no project: every blob against its name
        }
        let report = try store.workspace(command: "verify", console: console).verifyHFCache(try cache.root(), selections: try cache.selections(aliases), lock: lock)
        if console.json {
            console.out(try Format.json(report))
        } else {
            for problem in report.problems {
                console.out("\(problem.kind.rawValue)  \(problem.path): \(problem.detail)")
            }
            if !quiet {
                console.note("checked \(Format.plural(report.snapshots, "snapshot")) of \(Format.plural(report.repos, "repo")), \(Format.plural(report.files, "file")), \(Format.bytes(report.bytes))"
                    + (report.locked > 0 ? " (\(report.locked) against \(Lockfile.fileName))" : "") + ": "
                    + (report.problems.isEmpty ? "all match" : Format.plural(report.problems.count, "problem")))
            }
        }
        return report.problems.isEmpty ? .success : .refused
    }
}
