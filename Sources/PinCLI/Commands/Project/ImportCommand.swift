import ArgumentParser
import PinLock
import PinModel
import PinScan
import PinWorkspace
import SystemPackage

/// Where the Hugging Face cache is, for the commands that read or write it. `--cache-dir` is
/// hf's own name for it (`hf cache ls --cache-dir`); here the store is `--home`.
struct HFCacheOptions: ParsableArguments {
    @Flag(name: .customLong("hf-cache"), help: "Work on the Hugging Face cache (huggingface_hub's blobs/snapshots/refs layout).")
    var hfCache = false

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp(
        "The Hugging Face cache (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).", valueName: "dir"))
    var cacheDirectory: String?

    func root() throws -> FilePath {
        guard let text = HFCacheLayout.root(option: cacheDirectory, environment: ProcessEnvironment.current) else {
            throw UsageError(
                message: "cannot tell where the Hugging Face cache is: HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME and HOME are all unset",
                hint: "pass --cache-dir DIR")
        }
        return ProcessEnvironment.currentDirectory.pushing(FilePath(text)).lexicallyNormalized()
    }

    func selections(_ arguments: [String]) throws -> [HFCacheSelection] {
        try arguments.map { text in
            do {
                return try HFCacheSelection(parsing: text)
            } catch let error as HFCacheReadError {
                throw UsageError(message: error.description + (error.causes.first.map { ": " + $0 } ?? ""), hint: "name a repo as OWNER/NAME[@REV]")
            }
        }
    }
}

/// The store alone, for commands where `--cache-dir` names the Hugging Face cache.
struct StoreHomeOptions: ParsableArguments {
    @Option(name: .customLong("home"), help: ArgumentHelp(
        "The store directory (default: $MODELPIN_HOME, else $XDG_CACHE_HOME/modelpin, else ~/.cache/modelpin).", valueName: "dir"))
    var home: String?

    /// The shared store options with this directory.
    var store: StoreOptions {
        var options = StoreOptions()
        options.home = home
        return options
    }
}

/// `modelpin import FILE.tar [--lock]` and `modelpin import --hf-cache [--cache-dir DIR] [REPO[@REV]...] [--lock]`
struct ImportCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Adopt an air-gap bundle (FILE.tar) or what a Hugging Face cache holds: every blob checked and scanned before it enters the store.",
        discussion: """
            FILE.tar is an OCI archive `modelpin export --oci-archive` wrote (also after \
            `skopeo copy` into another oci-archive). It is read once, as hostile input: \
            only oci-layout, index.json and blobs/sha256/<hex> members, regular files and \
            directories; every blob must hash to its name; every manifest must be a snapshot \
            modelpin recorded (or an attachment of one), and every blob must be named by one; \
            every model file is scanned under its path as a pull scans it. Only when all of \
            that passed are the files admitted and the snapshots recorded, so `pull \
            ORG/NAME@COMMIT --offline` and a project's `pull --frozen --offline` work from \
            the store: anything tampered with, missing or unexpected refuses the whole \
            archive and nothing of it is kept. --lock, in a project: with a modelpin.lock, \
            the archive must hold every file it names (the project's lock is kept, never \
            replaced by the archive's copy); without one, the archive's modelpin.lock (and \
            modelpin.lock.asc) is written there.

            --hf-cache: each blob must hash to its own name in the cache (its SHA-256 for LFS files, its git \
            blob id for the others) and pass the scan a pull applies (--strict, \
            --allow-remote-code and --allow-global as for pull). Each snapshot whose every file \
            passed is recorded in the store (`modelpin store snapshots`); a snapshot with any \
            refused file, or with an entry that is not a link into the repo's own blobs/, is \
            not recorded, and its good blobs stay in the store unreferenced. Nothing in the \
            cache is followed, changed or removed. --lock adds one snapshot per repo (REPO@REV, \
            else the one `main` names, else the only one) to modelpin.toml and modelpin.lock, \
            marked `source = "hf-cache"` until `modelpin lock --update` confirms it on a Hub; \
            each repo passes the name check (allowlist, typosquats) first, as in `lock`. \
            Exits 1 if anything was refused.
            """)

    @OptionGroup var cache: HFCacheOptions

    @Argument(help: ArgumentHelp("FILE.tar, an OCI archive; with --hf-cache: only these repos (default: every repo in the cache), @REV: only that snapshot.", valueName: "file|repo"))
    var repos: [String] = []

    @Flag(help: "FILE.tar: write the archive's modelpin.lock into the project; --hf-cache: add the adopted snapshots to modelpin.toml and modelpin.lock.")
    var lock = false

    @Option(help: ArgumentHelp("With --lock: the manifest (default: the nearest modelpin.toml here or above).", valueName: "path"))
    var manifest: String?

    @Option(name: .customLong("allow-global"), help: ArgumentHelp("Accept this pickle callable (exact MODULE.NAME) (repeatable).", valueName: "module.name"))
    var allowedGlobals: [String] = []

    @Flag(help: "Refuse files in no format modelpin recognises ($MODELPIN_STRICT).")
    var strict = false

    @Flag(help: "Admit the repository's own Python (`*.py`, `auto_map`).")
    var allowRemoteCode = false

    @Flag(name: .shortAndLong, help: "Print only refusals and errors.")
    var quiet = false

    @OptionGroup var names: NamesOptions
    @OptionGroup var store: StoreHomeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if !cache.hfCache, repos.count != 1 {
            throw ValidationError("import needs a source: one OCI archive (FILE.tar), or --hf-cache")
        }
        if !cache.hfCache, cache.cacheDirectory != nil { throw ValidationError("--cache-dir is only taken with --hf-cache") }
        if manifest != nil, !lock { throw ValidationError("--manifest is only taken with --lock") }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        var configuration = WorkspaceConfiguration(environment: ProcessEnvironment.current, userAgent: "modelpin/\(Modelpin.version)")
        configuration.scanPolicy = try ScanCommand.policy(allowedGlobals)
        configuration.scanPolicy.strict = strict || ProjectOptions.environmentFlag("MODELPIN_STRICT")
        configuration.scanPolicy.allowRemoteCode = allowRemoteCode
        if allowRemoteCode { console.warn(ScanCommand.remoteCodeWarning) }
        guard cache.hfCache else { return try importArchive(configuration, console) }
        var request = HFCacheImportRequest(cache: try cache.root())
        request.selections = try cache.selections(repos)
        if lock {
            let path = try Project.locate(explicit: manifest.map { FilePath($0) }, from: ProcessEnvironment.currentDirectory)
            let project = try Project.load(path)
            request.lockInto = project
            // The allowlist a `lock` of this project would use.
            let names = self.names
            configuration.allowlist = { try ProjectOptions.names(names, project: project, console: console) }
        }
        // Warnings (an unchecked name) reach the terminal; nothing else of the event stream does.
        let events = PullProgress(console: console, style: .silent)
        let report = try store.store.workspace(configuration, events: events, command: "import").importHFCache(request)
        if console.json {
            console.out(try Format.json(report))
        } else {
            Self.render(report, console, quiet: quiet)
        }
        return report.refused == 0 ? .success : .refused
    }

    /// `import FILE.tar [--lock]`.
    private func importArchive(_ configuration: WorkspaceConfiguration, _ console: Console) throws -> ExitStatus {
        let cwd = ProcessEnvironment.currentDirectory
        var request = ArchiveImportRequest(archive: cwd.pushing(FilePath(repos[0])).lexicallyNormalized())
        if lock {
            request.lockInto = try Project.load(try Project.locate(explicit: manifest.map { FilePath($0) }, from: cwd))
        }
        let events = PullProgress(console: console, style: .silent)
        let report = try store.store.workspace(configuration, events: events, command: "import").importArchive(request)
        if console.json {
            console.out(try Format.json(report))
        } else {
            for refusal in report.refused {
                console.out("refused  \(refusal.model) \(refusal.path): \(refusal.reason)")
            }
            if report.refused.isEmpty {
                if !quiet {
                    for model in report.models {
                        console.note("recorded \(model.repo)@\(model.commit.prefix(12)): \(Format.plural(model.files, "file")), \(Format.bytes(model.bytes))")
                    }
                }
                console.out("imported \(Format.plural(report.models.count, "model")) from \(report.archive) (\(Format.plural(report.blobs, "file")), \(report.added) new, \(Format.bytes(report.bytes)))")
                if let path = report.lock {
                    console.out(report.lockKept ? "the archive holds every file \(path) names" : "wrote the archive's lock to \(path)")
                }
            } else {
                console.out("nothing imported from \(report.archive): \(Format.plural(report.refused.count, "file")) refused by the scan")
            }
        }
        return report.refused.isEmpty ? .success : .refused
    }

    static func render(_ report: HFCacheImportReport, _ console: Console, quiet: Bool) {
        for finding in report.findings + report.repos.flatMap(\.findings) where finding.kind != .skipped || !quiet {
            console.out("\(finding.kind.rawValue)  \(finding.path): \(finding.reason)")
        }
        for repo in report.repos {
            for snapshot in repo.snapshots where snapshot.outcome != .skipped {
                for file in snapshot.files where file.outcome == .refused {
                    console.out("refused  \(repo.folder)/snapshots/\(snapshot.commit)/\(file.path): \(file.reason ?? "")")
                }
                for finding in snapshot.findings {
                    console.out("\(finding.kind.rawValue)  \(finding.path): \(finding.reason)")
                }
                guard !quiet else { continue }
                let revisions = snapshot.revisions.isEmpty ? "" : " (\(snapshot.revisions.joined(separator: ", ")))"
                switch snapshot.outcome {
                case .recorded:
                    let bytes = snapshot.files.reduce(Int64(0)) { $0 + ($1.size ?? 0) }
                    console.note("recorded \(repo.repo)@\(snapshot.commit.prefix(12))\(revisions): \(Format.plural(snapshot.files.count, "file")), \(Format.bytes(bytes))")
                case .refused:
                    console.note("not recorded \(repo.repo)@\(snapshot.commit.prefix(12))\(revisions): something in it was refused")
                case .skipped:
                    break
                }
            }
        }
        guard !quiet else { return }
        for locked in report.locked {
            console.note(locked.outcome == .added
                ? "locked \(locked.alias): \(locked.repo)@\(locked.commit.prefix(12)) (source = \"hf-cache\"; `modelpin lock --update \(locked.alias)` confirms it on the Hub)"
                : "\(locked.alias) already locks \(locked.repo)@\(locked.commit.prefix(12))")
        }
        if report.refused > 0 { console.note(Format.plural(report.refused, "refusal")) }
    }
}
