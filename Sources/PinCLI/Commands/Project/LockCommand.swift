import ArgumentParser
import PinLock
import PinModel
import PinStore
import PinWorkspace

/// `modelpin lock [--update [ALIAS...]]`
struct LockCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Resolve modelpin.toml into modelpin.lock: exact commits, sizes and SHA-256s.",
        discussion: """
            Models whose request is unchanged keep their locked commit, even if their branch has \\
            moved since: only --update re-resolves them (all models, or the aliases given). Small \\
            files the Hub lists without a SHA-256 are downloaded into the store to compute it. If \\
            the Hub describes a locked commit's files differently than the lock does, nothing is \\
            written and the command fails (rewritten history or a tampered server). The lock's \\
            bytes are deterministic: locking an unchanged manifest against an unchanged Hub \\
            rewrites nothing.
            """)

    @Flag(help: "Re-resolve revisions that may have moved: all models, or the aliases given.")
    var update = false

    @Argument(help: ArgumentHelp("With --update: only these aliases.", valueName: "alias"))
    var aliases: [String] = []

    @Flag(help: "Only check: fail (exit 1) if modelpin.lock is missing or does not answer modelpin.toml; write nothing.")
    var check = false

    @OptionGroup var transfer: TransferOptions
    @OptionGroup var project: ProjectOptions
    @OptionGroup var names: NamesOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if !aliases.isEmpty, !update { throw ValidationError("aliases are only taken with --update") }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        let project = try self.project.load()
        for alias in aliases where project.manifest.model(alias) == nil {
            throw ProjectError.unknownAlias(alias, manifest: project.manifestPath, known: project.manifest.models.map(\.alias.rawValue))
        }
        let endpoint = transfer.endpointText(manifest: project.manifest.endpoint)
        let previous = try project.loadLock()
        let drift = previous?.drift(from: project.manifest, endpoint: endpoint) ?? project.manifest.models.map { .added(alias: $0.alias.rawValue) }
        if check || self.project.isLocked {
            guard previous != nil else { throw ProjectError.lockMissing(project.lockPath) }
            guard drift.isEmpty else { throw ProjectError.lockOutdated(project.lockPath, drift) }
            if check {
                if !transfer.quiet { console.out("\(project.lockPath) answers \(project.manifestPath)") }
                return .success
            }
        }
        if self.project.isOffline, !drift.isEmpty || update {
            throw ProjectError.offlineNeedsResolve(project.lockPath, drift)
        }
        let store = try store.open(.readWrite)
        let progress = transfer.progress(console)
        PullCommand.installInterruptHandler()
        let puller = try Self.puller(project: project, endpoint: endpoint, transfer: transfer, names: names, store: store, console, progress)
        let (lock, changes) = try Locker(puller: puller).lock(
            project, previous: previous, update: Set(aliases), updateAll: update && aliases.isEmpty, endpoint: endpoint)
        progress.finish()
        if self.project.isLocked, lock != previous {
            throw ProjectError.lockOutdated(project.lockPath, changes.compactMap { change in
                change.change == .unchanged ? nil : .changed(alias: change.alias, field: "commit", locked: previous?.model(change.alias)?.commit.hex ?? "-", requested: lock.model(change.alias)?.commit.hex ?? "-")
            })
        }
        let written = try project.writeLock(lock, store: store)
        Self.report(changes, lock: lock, console, quiet: transfer.quiet)
        if !transfer.quiet, !console.json {
            console.out(written ? "wrote \(project.lockPath)" : "\(project.lockPath) is up to date")
        }
        return .success
    }

    /// The pull machinery configured for a project: its endpoint and its allowlist.
    static func puller(
        project: Project, endpoint: String, transfer: TransferOptions, names: NamesOptions, store: Store,
        _ console: Console, _ progress: PullProgress
    ) throws -> Puller {
        let (checker, source) = try ProjectOptions.names(names, project: project, console: console)
        let settings = try transfer.settings(endpoint: endpoint, names: checker, allowlistSource: source, warn: progress.warning)
        return Puller(store: store, settings: settings, reporter: progress, cancellation: interruption)
    }

    static func report(_ changes: [(alias: String, change: Locker.Change)], lock: Lockfile, _ console: Console, quiet: Bool) {
        guard !quiet else { return }
        for (alias, change) in changes {
            switch change {
            case .unchanged: continue
            case .added(let commit):
                console.note("locked \(alias): \(lock.model(alias)?.repo ?? "")@\(commit.prefix(12)) (\(Format.plural(lock.model(alias)?.files.count ?? 0, "file")))")
            case .updated(let old, let new):
                console.note(old == new ? "relocked \(alias) at \(new.prefix(12)) (its files changed)" : "updated \(alias): \(old.prefix(12)) → \(new.prefix(12))")
            case .removed:
                console.note("removed \(alias) from the lock")
            }
        }
    }
}
