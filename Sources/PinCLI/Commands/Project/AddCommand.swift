import ArgumentParser
import PinLock
import PinModel
import PinStore
import PinWorkspace

/// `modelpin add ORG/NAME[@REV] [--include GLOB]... [--exclude GLOB]... [--as ALIAS] [--to DIR]`
struct AddCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a model to the project: check its name, resolve it, pull it, then record it in modelpin.toml and modelpin.lock.",
        discussion: """
            Nothing is written to modelpin.toml or modelpin.lock unless the name passes the \
            allowlist, the revision resolves and every file downloads and verifies. A dataset is \
            added as datasets/ORG/NAME and laid out in datasets/ORG/NAME.
            """)

    @Argument(help: ArgumentHelp("The repository, with an optional branch, tag or commit.", valueName: "org/name[@revision]"))
    var repo: String

    @Option(name: .customLong("include"), help: ArgumentHelp("Only paths matching this pattern (repeatable).", valueName: "glob"))
    var include: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip paths matching this pattern (repeatable).", valueName: "glob"))
    var exclude: [String] = []

    @Option(name: .customLong("as"), help: ArgumentHelp("The model's alias in the project (default: its name, lowercased).", valueName: "alias"))
    var alias: String?

    @Option(name: .customLong("to"), help: ArgumentHelp("Its directory, relative to the manifest (default: models/ORG/NAME).", valueName: "dir"))
    var destination: String?

    @Option(name: .customLong("signer"), help: ArgumentHelp("Require every file to be signed by this signer (a full OpenPGP fingerprint, `oms-key:HEX` or `oms-cert:IDENTITY`; repeatable).", valueName: "signer"))
    var signers: [String] = []

    @Option(help: ArgumentHelp("How files appear in the directory: `copy` or `symlink`.", valueName: "mode"))
    var link: String = "copy"

    @Flag(help: "Replace files in the model's directory that modelpin did not lay out there and that hold other bytes (each one is named).")
    var force = false

    @OptionGroup var transfer: TransferOptions
    @OptionGroup var project: ProjectOptions
    @OptionGroup var registry: RegistryFlags
    @OptionGroup var names: NamesOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        guard let mode = LinkMode(rawValue: link) else {
            throw UsageError(message: "invalid --link `\(link)`", hint: "use `copy` (the default) or `symlink`")
        }
        if self.project.isLocked || self.project.isOffline {
            throw UsageError(message: "`add` changes modelpin.lock and needs the Hub", hint: "drop --locked/--offline/--frozen (or unset MODELPIN_LOCKED/OFFLINE/FROZEN)")
        }
        let project = try self.project.load()
        let (name, revision): (String, String)
        if repo.hasPrefix(ModelRequest.ociScheme) {
            guard let split = ModelRequest.splitOCI(repo) else {
                throw UsageError(message: "`\(repo)` is not an oci://HOST[:PORT]/REPO[:TAG|@sha256:…] reference", hint: nil)
            }
            (name, revision) = split
        } else {
            (name, revision) = PullCommand.split(repo)
        }
        var alias = ModelAlias.suggested(forRepo: name)
        if let text = self.alias {
            do {
                alias = try ModelAlias(validating: text)
            } catch {
                throw ProjectError.invalidAlias(text, reason: error.reason)
            }
        }
        var pinned: [SignerID] = []
        for signer in signers {
            do {
                pinned.append(try SignerID(parsing: signer))
            } catch {
                throw UsageError(message: "invalid --signer: " + error.description, hint: "`modelpin keys list` shows the fingerprints and OMS key ids of the keys you imported")
            }
        }
        var request = ModelRequest(
            alias: alias, repo: name, revision: revision, include: include, exclude: exclude, directory: destination)
        (request.signers, request.omsSigners) = SignerID.split(pinned)
        let progress = transfer.progress(console)
        PullCommand.installInterruptHandler()
        defer { progress.finish() }
        let names = self.names
        let workspace = try store.workspace(
            registry.applied(to: transfer.configuration(allowlist: { try ProjectOptions.names(names, project: project, console: console) })), events: progress,
            command: "add")
        let added = try workspace.add(request, to: project, linkMode: mode, force: force)
        progress.finish()
        if !transfer.quiet {
            let locked = added.locked
            console.out("added \(added.alias): \(locked.repo)@\(locked.commit.short), \(Format.plural(locked.files.count, "file")), \(Format.bytes(locked.totalSize)) → \(added.destination)")
            Self.report(added.ignore, console)
        }
        return .success
    }

    /// What was done so that weights are not committed (`ModelsIgnore`).
    static func report(_ ignore: ModelsIgnore.Outcome, _ console: Console) {
        switch ignore {
        case .wrote(let path): console.note("wrote \(path) (`*`): git ignores the weights modelpin lays out there")
        case .outside(let relative): console.note("`\(relative)` is outside models/: add `/\(relative)/` to .gitignore so its weights are not committed")
        case .present, .none: break
        }
    }
}
