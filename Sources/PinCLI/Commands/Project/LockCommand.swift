import ArgumentParser
import PinLock
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin lock [--update [ALIAS...]]`
struct LockCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Resolve modelpin.toml into modelpin.lock: exact commits, sizes and SHA-256s.",
        discussion: """
            Models whose request is unchanged keep their locked commit, even if their branch has \
            moved since: only --update re-resolves them (all models, or the aliases given). Small \
            files the Hub lists without a SHA-256 are downloaded into the store to compute it. If \
            the Hub describes a locked commit's files differently than the lock does, nothing is \
            written and the command fails (rewritten history or a tampered server). The lock's \
            bytes are deterministic: locking an unchanged manifest against an unchanged Hub \
            rewrites nothing. A lock left with git's merge-conflict markers is recovered: the \
            models both sides agree on are kept, the rest are resolved again.
            """)

    @Flag(help: "Re-resolve revisions that may have moved: all models, or the aliases given.")
    var update = false

    @Argument(help: ArgumentHelp("With --update: only these aliases.", valueName: "alias"))
    var aliases: [String] = []

    @Flag(help: "Only check: fail (exit 1) if modelpin.lock is missing, conflicted or does not answer modelpin.toml; write nothing (--json: the answer as data).")
    var check = false

    @OptionGroup var transfer: TransferOptions
    @OptionGroup var registry: RegistryFlags
    @OptionGroup var audit: AuditOptions
    @OptionGroup var project: ProjectOptions
    @OptionGroup var names: NamesOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if !aliases.isEmpty, !update { throw ValidationError("aliases are only taken with --update") }
        if check, audit.auditCheckpoint != nil { throw ValidationError("--check writes nothing, so it takes no --audit-checkpoint") }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        let project = try self.project.load()
        let names = self.names
        // `--check` asks no Hub: no progress, and no --allow-remote-code warning.
        let progress = check ? nil : transfer.progress(console)
        defer { progress?.finish() }
        let workspace = try store.workspace(
            audit.apply(to: registry.applied(to: transfer.configuration(allowlist: { try ProjectOptions.names(names, project: project, console: console) }))),
            events: progress ?? DiscardEvents(), command: "lock")
        var request = LockRequest()
        request.update = update
        request.aliases = aliases
        request.check = check
        request.locked = self.project.isLocked
        request.offline = self.project.isOffline
        if !check { PullCommand.installInterruptHandler() }
        let result: LockResult
        do {
            result = try workspace.lock(project, request)
        } catch let failure as ProjectError {
            // `--check --json` answers with data either way; the error still goes to stderr.
            if case .lockCheckFailed(_, let missing, let drift, let line) = failure, console.json {
                console.out(try Format.json(CheckResult(
                    lockfile: project.lockPath.string, manifest: project.manifestPath.string, answers: false,
                    missing: missing, conflictLine: line, drift: drift.map(\.description))))
            }
            throw failure
        }
        switch result {
        case .answers:
            if console.json {
                console.out(try Format.json(CheckResult(
                    lockfile: project.lockPath.string, manifest: project.manifestPath.string, answers: true,
                    missing: false, conflictLine: nil, drift: [])))
            } else if !transfer.quiet {
                console.out("\(project.lockPath) answers \(project.manifestPath)")
            }
        case .locked(let made, let written):
            progress?.finish()
            Self.report(made, console, quiet: transfer.quiet)
            if !transfer.quiet, !console.json {
                console.out(written ? "wrote \(project.lockPath)" : "\(project.lockPath) is up to date")
            }
        }
        return .success
    }

    /// `lock --check --json`.
    struct CheckResult: Encodable {
        let lockfile: String
        let manifest: String
        let answers: Bool
        let missing: Bool
        /// The first merge-conflict marker's line, when the lock has one.
        let conflictLine: Int?
        let drift: [String]
    }

    static func report(_ made: LockChanges, _ console: Console, quiet: Bool) {
        guard !quiet else { return }
        let lock = made.lock
        if let conflict = made.resolvedConflict {
            let kept = conflict.agreed.models.count
            console.note(
                "resolved the merge conflict in \(Lockfile.fileName): kept \(Format.plural(kept, "model")) both sides lock alike"
                    + (conflict.disputed.isEmpty ? "" : "; locking again: " + conflict.disputed.joined(separator: ", ")))
        }
        for (alias, change) in made.changes {
            switch change {
            case .unchanged: continue
            case .added(let commit):
                console.note("locked \(alias): \(lock.model(alias)?.repo ?? "")@\(commit.prefix(12)) (\(Format.plural(lock.model(alias)?.files.count ?? 0, "file")))")
            case .updated(let old, let new):
                console.note(old == new ? "relocked \(alias) at \(new.prefix(12)) (its files changed)" : "updated \(alias): \(old.prefix(12)) → \(new.prefix(12))")
            case .removed:
                console.note("removed \(alias) from the lock")
            case .confirmed(let commit):
                console.note("confirmed \(alias) at \(commit.prefix(12)) against the Hub (it was imported from a cache)")
            }
        }
    }
}
