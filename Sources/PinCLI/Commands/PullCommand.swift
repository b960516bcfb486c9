import ArgumentParser
import Dispatch
import PinHub
import PinLock
import PinModel
import PinScan
import PinStore
import PinTransport
import PinVerify
import PinWorkspace
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Set by Ctrl-C; every transfer of the running pull checks it.
let interruption = CancellationFlag()

/// `modelpin pull ORG/NAME[@REVISION]` — one model by name, outside any project — or
/// `modelpin pull [ALIAS...]` — the project's models, exactly as `modelpin.lock` names them.
struct PullCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download models, verifying every byte, into the store and their directories.",
        discussion: """
            With ORG/NAME: the name is checked against the allowlist first. Then the revision is \
            resolved to a commit, the file list (with sizes, git blob ids and LFS SHA-256s) is \
            read, and every file the store lacks is downloaded — several at once, large ones in \
            ranged parts — hashed as it arrives and stored only if it matches. An interrupted pull \
            resumes where it stopped. Finally the snapshot is laid out in DIR (default \
            ./models/ORG/NAME) as independent copies, so that nothing written there can reach the \
            store.

            Without ORG/NAME (or with aliases): the project's models (modelpin.toml). The lock is \
            brought up to date first unless --locked; then every locked blob the store lacks is \
            fetched from each --mirror in turn, then the Hub at the locked commit (unless \
            --offline), and checked against the lock's size and SHA-256. A mirror never changes \
            the lock.

            ENVIRONMENT
              MODELPIN_ENDPOINT, HF_ENDPOINT   the Hub (default https://huggingface.co)
              HF_TOKEN                         sent as a bearer token to the endpoint's host only, and
                                               only to an endpoint not named by modelpin.toml alone
              MODELPIN_TOKEN_HOSTS             further hosts that may receive HF_TOKEN (comma-separated)
              MODELPIN_LOCK_SIGNERS            fingerprints whose signature --require-signed-lock accepts
              MODELPIN_CA_BUNDLE, SSL_CERT_FILE  CA certificates to verify servers with
              MODELPIN_LOCKED, MODELPIN_OFFLINE, MODELPIN_FROZEN  the flags of the same names
              MODELPIN_STRICT                  --strict: refuse files the scan could not check
            """)

    @Argument(help: ArgumentHelp("A repository (org/name[@revision]), or aliases of the project's models (default: all).", valueName: "model"))
    var targets: [String] = []

    @Option(name: .customLong("include"), help: ArgumentHelp("Only pull paths matching this pattern (repeatable; ORG/NAME only).", valueName: "glob"))
    var include: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip paths matching this pattern (repeatable; ORG/NAME only).", valueName: "glob"))
    var exclude: [String] = []

    @Option(name: .customLong("to"), help: ArgumentHelp("The directory to lay the model out in (default: ./models/ORG/NAME; ORG/NAME only).", valueName: "dir"))
    var destination: String?

    @Option(help: ArgumentHelp("How files appear in the directory: `copy` (reflink where possible) or `symlink` into the store.", valueName: "mode"))
    var link: String = "copy"

    @Option(name: .customLong("mirror"), help: ArgumentHelp("A mirror to try before the Hub, in order (repeatable): http(s):// or file:// (project pulls only).", valueName: "url"))
    var mirrors: [String] = []

    @Flag(help: "Pull a repo id that is not on the allowlist (typosquats are refused regardless; ORG/NAME only).")
    var allowUnlisted = false

    @Flag(help: "Refuse a modelpin.lock without a good signature (modelpin.lock.asc) by a pinned lock signer ($MODELPIN_LOCK_SIGNERS, or lock-signers in ~/.config/modelpin/config.toml); implies --locked ($MODELPIN_REQUIRE_SIGNED_LOCK).")
    var requireSignedLock = false

    @OptionGroup var transfer: TransferOptions
    @OptionGroup var project: ProjectOptions
    @OptionGroup var names: NamesOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    var byName: Bool { targets.contains { $0.contains("/") } }

    func validate() throws {
        if byName {
            if targets.count > 1 { throw ValidationError("pull takes one ORG/NAME at a time (or only aliases of the project's models)") }
            if project.locked || project.offline || project.frozen || !mirrors.isEmpty || project.manifest != nil || requireSignedLock {
                throw ValidationError("--locked, --offline, --frozen, --mirror, --manifest and --require-signed-lock apply to the project's models, not to ORG/NAME")
            }
        } else if !include.isEmpty || !exclude.isEmpty || destination != nil || allowUnlisted {
            throw ValidationError("--include, --exclude, --to and --allow-unlisted apply to ORG/NAME; for the project's models, set them in modelpin.toml")
        }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        guard let mode = LinkMode(rawValue: link) else {
            throw UsageError(message: "invalid --link `\(link)`", hint: "use `copy` (the default) or `symlink`")
        }
        let progress = transfer.progress(console)
        if mode == .symlink {
            progress.warning("--link symlink: files in the directory point into the store; a process running as root that writes to them changes the store's blobs")
        }
        Self.installInterruptHandler()
        defer { progress.finish() }
        if byName {
            return try pullByName(targets[0], mode: mode, console, progress)
        }
        return try pullProject(mode: mode, console, progress)
    }

    private func pullByName(_ target: String, mode: LinkMode, _ console: Console, _ progress: PullProgress) throws -> ExitStatus {
        let (name, revision) = Self.split(target)
        let settings = try transfer.settings(
            endpoint: transfer.endpointText(), names: try names.loadChecker(console), allowlistSource: names.allowlistPath)
        let cwd = ProcessEnvironment.currentDirectory
        var request = PullRequest(name: name, revision: revision, workingDirectory: cwd)
        request.include = include
        request.exclude = exclude
        request.destination = destination.map { cwd.pushing(FilePath($0)).lexicallyNormalized() }
        request.linkMode = mode
        request.allowUnlisted = allowUnlisted
        let store = try store.open(.readWrite)
        let summary = try Puller(store: store, settings: settings, reporter: progress, cancellation: interruption).pull(request)
        progress.finish()
        if console.json {
            console.out(try Format.json(summary))
        } else if !transfer.quiet {
            let downloaded = summary.files.filter { $0.source == "downloaded" }
            var line = "pulled \(summary.repo)@\(summary.revision) (\(summary.commit.prefix(12))) into \(summary.destination): "
            line += "\(Format.plural(summary.files.count, "file")), \(Format.bytes(summary.bytes)); "
            line += "\(downloaded.count) downloaded and verified, \(summary.files.count - downloaded.count) from the store"
            line += ", in \(Format.tenths(summary.seconds)) s"
            console.out(line)
            Self.listUnsupported(summary.files.filter { $0.verdict == Verdict.unsupported.rawValue }.map(\.path), console)
            Self.listRemoteCode(summary.files.filter { $0.verdict == Verdict.suspicious.rawValue }.map(\.path), console)
        }
        return .success
    }

    private func pullProject(mode: LinkMode, _ console: Console, _ progress: PullProgress) throws -> ExitStatus {
        let started = DispatchTime.now()
        let project = try self.project.load()
        let sources = try mirrors.map { try BlobSource(parsing: $0) }
        for alias in targets where project.manifest.model(alias) == nil {
            throw ProjectError.unknownAlias(alias, manifest: project.manifestPath, known: project.manifest.models.map(\.alias.rawValue))
        }
        let store = try store.open(.readWrite)
        let endpoint = transfer.endpointText(manifest: project.manifest.endpoint)
        let signedLock = requireSignedLock || ProjectOptions.environmentFlag("MODELPIN_REQUIRE_SIGNED_LOCK")
        if signedLock { try checkLockSignature(project, console) }
        var lock = try project.loadLock()
        let drift = lock?.drift(from: project.manifest, endpoint: endpoint) ?? project.manifest.models.map { .added(alias: $0.alias.rawValue) }
        let puller = try LockCommand.puller(
            project: project, endpoint: endpoint, transfer: transfer, names: names, store: store, console, progress)
        let isLocked = self.project.isLocked || signedLock  // a signed lock must not change
        if lock == nil, isLocked { throw ProjectError.lockMissing(project.lockPath) }
        if !drift.isEmpty {
            if isLocked { throw ProjectError.lockOutdated(project.lockPath, drift) }
            if self.project.isOffline { throw ProjectError.offlineNeedsResolve(project.lockPath, drift) }
            let (updated, changes) = try Locker(puller: puller).lock(project, previous: lock, endpoint: endpoint)
            try project.writeLock(updated, store: store)
            LockCommand.report(changes, lock: updated, console, quiet: transfer.quiet || console.json)
            lock = updated
        } else {
            try Project.registerRoot(lock!, at: project.lockPath, store: store)
        }
        let chosen = lock!.models.filter { targets.isEmpty || targets.contains($0.alias.rawValue) }
        var locked = LockedPuller(puller: puller)
        locked.mirrors = sources
        locked.offline = self.project.isOffline
        let outcome = try locked.fetch(chosen)
        // Signatures are checked on the stored blobs before anything reaches a directory.
        let vouches = try locked.verifySignatures(chosen)
        var models: [ProjectPullSummary.Model] = []
        for model in chosen {
            let destination = try project.modelDirectory(of: project.manifest.model(model.alias)!)
            try locked.materialize(model, at: destination, mode: mode)
            models.append(ProjectPullSummary.Model(
                alias: model.alias.rawValue, repo: model.repo, commit: model.commit.hex, destination: destination.path.string,
                files: model.files.count, bytes: model.totalSize, signature: vouches[model.alias.rawValue],
                unsupported: model.files.filter { $0.verdict == Verdict.unsupported }.map(\.path),
                remoteCode: model.files.filter { $0.verdict == Verdict.suspicious }.map(\.path)))
        }
        progress.finish()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let fetched = outcome.fetched.reduce(0) { $0 + $1.count }
        let summary = ProjectPullSummary(
            lockfile: project.lockPath.string, models: models, fromStore: outcome.present, fetched: fetched,
            sources: outcome.fetched.map { .init(source: $0.source, blobs: $0.count) }, seconds: seconds)
        if console.json {
            console.out(try Format.json(summary))
        } else if !transfer.quiet {
            for model in models {
                console.out("\(model.alias)  \(model.repo)@\(model.commit.prefix(12))  \(Format.plural(model.files, "file")), \(Format.bytes(model.bytes))  → \(model.destination)")
                if let signature = model.signature {
                    console.out("  signed by \(signature.signer)" + (signature.userID.map { " (\($0))" } ?? "") + ": " + signature.documents.joined(separator: ", "))
                }
                Self.listUnsupported(model.unsupported, console)
                Self.listRemoteCode(model.remoteCode, console)
            }
            var line = "pulled \(Format.plural(models.count, "model")) from \(Lockfile.fileName): "
            line += "\(fetched) downloaded and verified"
            for source in outcome.fetched { line += " (\(source.count) from \(source.source))" }
            line += ", \(outcome.present) from the store, in \(Format.tenths(seconds)) s"
            console.out(line)
        }
        return .success
    }

    /// `--require-signed-lock`: modelpin.lock.asc must be a good signature over the lock's exact
    /// bytes by one of the lock signers the user pinned outside the repository (`LockSigners`),
    /// whose public key is in modelpin's keyring (a usable one: not expired, not revoked). Being
    /// in the keyring is not enough: a model publisher's key is there too.
    private func checkLockSignature(_ project: Project, _ console: Console) throws {
        guard let (_, text) = try Project.readLockfile(project.lockPath) else { throw ProjectError.lockMissing(project.lockPath) }
        let signaturePath = FilePath(project.lockPath.string + ".asc")
        guard (try? Stat(signaturePath)) != nil else { throw ProjectError.lockUnsigned(project.lockPath) }
        let (signers, source) = try LockSigners.load(ProcessEnvironment.current)
        guard !signers.isEmpty else { throw ProjectError.noLockSigners(source: source) }
        let pinned = Set(signers)
        let signature = try ConfigFile.read(signaturePath, what: "lock signature", limit: 64 << 10)
        let keyring = try openKeyring(store, create: false)
        let checks = try keyring.verifyDetached(signature: signature, signatureSource: signaturePath.string, data: Array(text.utf8))
        switch SignaturePolicy(pinned: pinned).decide(checks, document: signaturePath.string) {
        case .accepted(let signer, let userID):
            if !transfer.quiet { console.note("\(Lockfile.fileName) is signed by \(signer)" + (userID.map { " (\($0))" } ?? "")) }
        case .refused(let refusal):
            throw refusal
        }
    }

    /// Files admitted as `unsupported`: never passed off as checked.
    static func listUnsupported(_ paths: [String], _ console: Console) {
        guard !paths.isEmpty else { return }
        console.out("  \(Format.plural(paths.count, "file")) in no format modelpin recognises, not checked (unsupported; --strict refuses them):")
        for path in paths { console.out("    \(path)") }
    }

    /// Files admitted as `suspicious` under --allow-remote-code: the repository's own code.
    static func listRemoteCode(_ paths: [String], _ console: Console) {
        guard !paths.isEmpty else { return }
        console.out("  \(Format.plural(paths.count, "file")) of the repository's own code, admitted by --allow-remote-code:")
        for path in paths { console.out("    \(path)") }
    }

    /// `org/name@revision` → (`org/name`, `revision`), revision `main` when absent.
    static func split(_ text: String) -> (String, String) {
        guard let at = text.firstIndex(of: "@") else { return (text, "main") }
        let revision = String(text[text.index(after: at)...])
        return (String(text[..<at]), revision.isEmpty ? "main" : revision)
    }

    /// First Ctrl-C (or SIGTERM): stop transfers, save progress, exit 130. A second one
    /// kills at once. A signal the parent chose to ignore stays ignored.
    static func installInterruptHandler() {
        _ = interruption.isCancelled  // initialise the global before a signal can touch it
        for number in [SIGINT, SIGTERM] {
            var current = sigaction()
            sigaction(number, nil, &current)
            if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                continue
            }
            signal(number) { number in
                interruption.cancel()
                signal(number, SIG_DFL)
            }
            // The handler must be able to run: some launchers start children with signals blocked.
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, number)
            sigprocmask(SIG_UNBLOCK, &set, nil)
        }
    }
}

/// `pull --json` for a project.
struct ProjectPullSummary: Encodable {
    struct Model: Encodable {
        let alias: String
        let repo: String
        let commit: String
        let destination: String
        let files: Int
        let bytes: Int64
        /// Who vouched for the files, for models with pinned signers.
        let signature: SignatureGate.Vouch?
        /// Files admitted without being checked (verdict `unsupported`; `--strict` refuses them).
        let unsupported: [String]
        /// Files admitted only because of --allow-remote-code (verdict `suspicious`).
        let remoteCode: [String]
    }
    struct Source: Encodable {
        let source: String
        let blobs: Int
    }
    let lockfile: String
    let models: [Model]
    /// Blobs that were in the store already.
    let fromStore: Int
    /// Blobs downloaded (or copied from a file:// mirror) and verified.
    let fetched: Int
    let sources: [Source]
    let seconds: Double
}

extension Optional where Wrapped == String {
    /// nil for an absent or empty environment variable.
    var nonEmpty: String? {
        guard let value = self, !value.isEmpty else { return nil }
        return value
    }
}
