import ArgumentParser
import PinLock
import PinModel
import PinNames
import PinScan
import PinStore
import PinWorkspace
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Set by Ctrl-C; every transfer of the running pull checks it.
let interruption = Cancellation()

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
            store. Every snapshot is recorded in the store; with --offline (or HF_HUB_OFFLINE=1) \
            ORG/NAME@REVISION is pulled from that record with no network at all. When the Hub \
            cannot be reached, a revision recorded before is named, never used silently.

            With oci://HOST[:PORT]/REPO:TAG (or @sha256:…): the model is the ModelPack manifest \
            that tag names on an OCI registry; each layer is a file, fetched from the registry \
            and checked against the digest the manifest gives it, then scanned and stored like \
            any other. What the registry attaches to the manifest (a lock, signatures, a scan \
            report) is listed and checked where modelpin can. The names gate applies: the \
            allowlist lists oci://HOST/REPO (or oci://HOST/PREFIX/*). See `modelpin push`.

            A dataset is named as the Hub's URLs name it, datasets/ORG/NAME, and pulled the same \
            way into ./datasets/ORG/NAME; the allowlist lists datasets apart from models.

            Paths after ORG/NAME select exactly those files, as `hf download` takes them: \
            `modelpin pull org/name config.json tokenizer.json`. They are names, not patterns \
            (--include takes patterns), and a path the snapshot lacks is an error naming it. \
            The first argument decides the form: with a `/` it is ORG/NAME; aliases have none. \
            hf's option names work too: --revision REV (the same as ORG/NAME@REV), --local-dir \
            (--to), --max-workers (--jobs), --cache-dir (--home).

            Without ORG/NAME (or with aliases): the project's models (modelpin.toml). The lock is \
            brought up to date first unless --locked; then every locked blob the store lacks is \
            fetched from each --mirror in turn, then the Hub at the locked commit (unless \
            --offline), and checked against the lock's size and SHA-256. A mirror never changes \
            the lock. The Hub is the endpoint the lock records for each model, unless \
            --endpoint, MODELPIN_ENDPOINT or HF_ENDPOINT names another: the lock pins the \
            bytes, not where they come from.

            ENVIRONMENT
              MODELPIN_HOME                    the store (default $XDG_CACHE_HOME/modelpin)
              MODELPIN_ALLOWLIST               the allowlist (--allowlist overrides it)
              MODELPIN_ENDPOINT, HF_ENDPOINT   the Hub (default https://huggingface.co)
              HF_TOKEN, HUGGING_FACE_HUB_TOKEN sent as a bearer token to the endpoint's
                                               host only, and only to an endpoint not
                                               named by modelpin.toml alone
              MODELPIN_TOKEN_HOSTS             further hosts that may receive HF_TOKEN
              MODELPIN_LOCK_SIGNERS            fingerprints --require-signed-lock accepts
              XDG_CONFIG_HOME                  where modelpin/config.toml is (lock-signers)
              MODELPIN_REQUIRE_SIGNED_LOCK     --require-signed-lock
              MODELPIN_CA_BUNDLE, SSL_CERT_FILE  CA certificates to verify servers with
              HF_HUB_CACHE                     the Hugging Face cache for --hf-cache
              AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE
                                               credentials for --mirror s3:// (SigV4)
              AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION
                                               the s3:// mirror's endpoint and region
              MODELPIN_REGISTRY_USER, MODELPIN_REGISTRY_PASSWORD, DOCKER_CONFIG
                                               credentials for oci:// registries
              MODELPIN_LOCKED, MODELPIN_OFFLINE, MODELPIN_FROZEN  the flags of those names
              HF_HUB_OFFLINE                   as huggingface_hub reads it: --offline
              MODELPIN_STRICT                  --strict: refuse files the scan cannot check
              MODELPIN_POLICY                  the shared policy file (--policy)
              MODELPIN_LOCK_TIMEOUT            seconds to wait for a store lock (3600)
              MODELPIN_GPG                     the gpg executable signature checks run
              MODELPIN_AUDIT_KEY               the audit log's signing key (Ed25519 PEM)
              MODELPIN_PROGRESS_INTERVAL       progress line interval off a terminal (30 s)
              HF_TOKEN_PATH, HF_HOME           the token `hf auth login` saved (used when
                                               HF_TOKEN is unset)
              MODELPIN_AUDIT                   `off`: no entries in the store's audit log
              NO_COLOR                         any value turns colour off
            """)

    @Argument(help: ArgumentHelp("A repository (org/name[@revision]) then, as hf download takes them, file paths in it (only those are pulled); or aliases of the project's models (default: all). The first argument decides: with a `/` it is a repository.", valueName: "model"))
    var targets: [String] = []

    @Option(name: .customLong("include"), help: ArgumentHelp("Only pull paths matching this pattern (repeatable; `dir/` is everything below dir; ORG/NAME only).", valueName: "glob"))
    var include: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip paths matching this pattern (repeatable; `dir/` is everything below dir; ORG/NAME only).", valueName: "glob"))
    var exclude: [String] = []

    // `--local-dir`, `--max-workers`, `--cache-dir` and `--revision` are `hf download`'s names for
    // the same things: a newcomer's command line works unchanged.
    @Option(name: [.customLong("to"), .customLong("local-dir")], help: ArgumentHelp("The directory to lay the model out in (default: ./models/ORG/NAME; ORG/NAME only).", valueName: "dir"))
    var destination: String?

    @Option(help: ArgumentHelp("The revision to pull: the same as ORG/NAME@REV (ORG/NAME only).", valueName: "rev"))
    var revision: String?

    @Option(help: ArgumentHelp("How files appear in the directory: `copy` (reflink where possible) or `symlink` into the store.", valueName: "mode"))
    var link: String = "copy"

    @Option(name: .customLong("mirror"), help: ArgumentHelp("A mirror to try before the Hub, in order (repeatable): http(s)://, file:// or a directory, relative to the current one, or an OCI registry repository, oci://HOST/REPO (project pulls only; --offline takes directories only).", valueName: "url"))
    var mirrors: [String] = []

    @Flag(help: "Pull a repo id that is not on the allowlist (typosquats are refused regardless; ORG/NAME only).")
    var allowUnlisted = false

    @Flag(help: "Replace files in the model's directory that modelpin did not lay out there and that hold other bytes (each one is named); without it they stop the pull before anything is written.")
    var force = false

    @Flag(help: "Refuse a modelpin.lock without a good signature (modelpin.lock.asc) by a pinned lock signer ($MODELPIN_LOCK_SIGNERS, or lock-signers in ~/.config/modelpin/config.toml); implies --locked ($MODELPIN_REQUIRE_SIGNED_LOCK).")
    var requireSignedLock = false

    @Flag(help: "Write the models into the Hugging Face cache, where from_pretrained(\"org/name\") finds them, instead of their directories (ORG/NAME: --to adds a directory). See `modelpin export --help`.")
    var hfCache = false

    // Not --cache-dir, which pull takes as hf's name for the store (--home).
    @Option(help: ArgumentHelp("The Hugging Face cache for --hf-cache (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).", valueName: "dir"))
    var hfCacheDir: String?

    @OptionGroup var transfer: TransferOptions
    @OptionGroup var registry: RegistryFlags
    @OptionGroup var audit: AuditOptions
    @OptionGroup var project: ProjectOptions
    @OptionGroup var names: NamesOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    /// The rule that tells the two forms apart: a repo id has a `/`, an alias never does. What
    /// follows a repo id are paths in it (which may have a `/` of their own: `onnx/model.onnx`).
    var byName: Bool { targets.first?.contains("/") == true }

    /// The paths named after ORG/NAME.
    var files: [String] { byName ? Array(targets.dropFirst()) : [] }

    func validate() throws {
        if hfCacheDir != nil, !hfCache { throw ValidationError("--hf-cache-dir names the cache --hf-cache writes to; pass --hf-cache too") }
        if byName {
            _ = try requested()
            if !files.isEmpty, !include.isEmpty || !exclude.isEmpty {
                throw ValidationError("name the files to pull or give --include/--exclude patterns, not both")
            }
            if project.locked || project.frozen || !mirrors.isEmpty || project.manifest != nil || requireSignedLock {
                throw ValidationError("--locked, --frozen, --mirror, --manifest and --require-signed-lock apply to the project's models, not to ORG/NAME")
            }
        } else if let repo = targets.first(where: { $0.contains("/") }) {
            throw ValidationError("`\(repo)` is a repository, so it comes first: modelpin pull ORG/NAME [FILE...]; aliases of the project's models have no `/`")
        } else if !include.isEmpty || !exclude.isEmpty || destination != nil || allowUnlisted || revision != nil {
            throw ValidationError("--include, --exclude, --to, --revision and --allow-unlisted apply to ORG/NAME; for the project's models, set them in modelpin.toml")
        }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        if registry.allowInsecureRegistry {
            console.warn("--allow-insecure-registry: registries on other hosts are reached over plain http; tokens and credentials cross the network unencrypted")
        }
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
            return try pullByName(mode: mode, console, progress)
        }
        return try pullProject(mode: mode, console, progress)
    }

    private func pullByName(mode: LinkMode, _ console: Console, _ progress: PullProgress) throws -> ExitStatus {
        let (name, revision) = try requested()
        let checker = try names.loadChecker(console)
        let source = names.allowlistPath
        let workspace = try store.workspace(
            audit.apply(to: configuration(allowlist: { (checker, source) })), events: progress, command: "pull")
        let cwd = ProcessEnvironment.currentDirectory
        var request = PullRequest(name: name, revision: revision, workingDirectory: cwd)
        request.include = include
        request.exclude = exclude
        request.files = files
        request.destination = destination.map { cwd.pushing(FilePath($0)).lexicallyNormalized() }
        request.linkMode = mode
        request.allowUnlisted = allowUnlisted
        request.offline = project.isOffline
        request.force = force
        if hfCache {
            request.hfCache = try ExportCommand.cacheRoot(option: hfCacheDir, cwd: cwd)
            request.layOutDirectory = destination != nil
        }
        let summary = try workspace.pull(request)
        let destination = request.layOutDirectory ? summary.destination : summary.hfCache?.snapshot ?? summary.destination
        progress.finish()
        if console.json {
            console.out(try Format.json(summary))
        } else if !transfer.quiet {
            let downloaded = summary.files.filter { $0.source == .downloaded }
            let pinned = summary.manifest.map { "manifest " + $0.prefix(19) } ?? String(summary.commit.prefix(12))
            var line = "pulled \(summary.repo)\(summary.manifest == nil ? "@" : ":")\(summary.revision) (\(pinned)) into \(destination): "
            line += "\(Format.plural(summary.files.count, "file")), \(Format.bytes(summary.bytes)); "
            line += "\(downloaded.count) downloaded and verified, \(summary.files.count - downloaded.count) from the store"
            line += ", in \(Format.tenths(summary.seconds)) s"
            console.out(line)
            if let exported = summary.hfCache { ExportCommand.describe(exported, console) }
            Self.listUnsupported(summary.files.filter { $0.verdict == .unsupported }.map(\.path), console)
            Self.listRemoteCode(summary.files.filter { $0.verdict == .suspicious }.map(\.path), console)
            if let attachments = summary.attachments { Self.listAttachments(attachments, console) }
        } else {
            // -q: the directory alone, for `DIR=$(modelpin pull ORG/NAME -q)`.
            console.out(destination)
        }
        return .success
    }

    private func pullProject(mode: LinkMode, _ console: Console, _ progress: PullProgress) throws -> ExitStatus {
        let project = try self.project.load()
        let names = self.names
        let workspace = try store.workspace(
            audit.apply(to: configuration(allowlist: { try ProjectOptions.names(names, project: project, console: console) })),
            events: progress, command: "pull")
        var request = ProjectPullRequest()
        request.aliases = targets
        request.mirrors = mirrors
        request.workingDirectory = ProcessEnvironment.currentDirectory
        request.locked = self.project.isLocked
        request.offline = self.project.isOffline
        request.requireSignedLock = requireSignedLock || ProjectOptions.environmentFlag("MODELPIN_REQUIRE_SIGNED_LOCK")
        request.linkMode = mode
        request.force = force
        request.hfCache = hfCache
        request.hfCacheRoot = try? ExportCommand.cacheRoot(option: hfCacheDir, cwd: ProcessEnvironment.currentDirectory)
        let result = try workspace.pullProject(project, request)
        progress.finish()
        let quiet = transfer.quiet || console.json
        if let signature = result.lockSignature, !transfer.quiet {
            console.note("\(Lockfile.fileName) is signed by \(signature.signer)" + (signature.userID.map { " (\($0))" } ?? ""))
        }
        if let relocked = result.relocked { LockCommand.report(relocked, console, quiet: quiet) }
        if let path = result.wroteIgnore, !quiet { AddCommand.report(.wrote(path), console) }
        let summary = result.summary
        if console.json {
            console.out(try Format.json(summary))
        } else if !transfer.quiet {
            for model in summary.models {
                console.out("\(model.alias)  \(model.repo)@\(model.commit.prefix(12))  \(Format.plural(model.files, "file")), \(Format.bytes(model.bytes))  → \(model.destination)")
                if let exported = model.hfCache, exported.crossFilesystem {
                    console.warn("the Hugging Face cache is on another filesystem than the store: \(exported.reflinked) blobs reflinked, \(exported.copied) copied")
                }
                if let signature = model.signature {
                    console.out("  signed by \(signature.signer)" + (signature.userID.map { " (\($0))" } ?? "") + ": " + signature.documents.joined(separator: ", "))
                }
                Self.listUnsupported(model.unsupported, console)
                Self.listRemoteCode(model.remoteCode, console)
            }
            var line = "pulled \(Format.plural(summary.models.count, "model")) from \(Lockfile.fileName): "
            line += "\(summary.fetched) downloaded and verified"
            for source in summary.sources { line += " (\(source.blobs) from \(source.source))" }
            line += ", \(summary.fromStore) from the store, in \(Format.tenths(summary.seconds)) s"
            console.out(line)
        } else {
            // -q: one model directory per line, in the lock's order.
            for model in summary.models { console.out(model.destination) }
        }
        return .success
    }

    /// The transfer options and the registry flags, as the workspace reads them.
    private func configuration(
        allowlist: @escaping @Sendable () throws -> (checker: NameChecker?, source: String?)
    ) throws -> WorkspaceConfiguration {
        var configuration = try transfer.configuration(allowlist: allowlist)
        registry.apply(to: &configuration)
        return configuration
    }

    /// What a registry has attached to the model's manifest, and what checking each showed.
    static func listAttachments(_ attachments: [AttachmentReport], _ console: Console) {
        guard !attachments.isEmpty else {
            console.out("  nothing attached to the manifest on the registry")
            return
        }
        console.out("  \(Format.plural(attachments.count, "attachment")) on the registry:")
        for attachment in attachments {
            let name = attachment.name.map { " \($0)" } ?? ""
            console.out("    \(attachment.status.rawValue)  \(attachment.artifactType)\(name): \(attachment.detail)")
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

    /// The repo and revision asked for: ORG/NAME[@REV], or --revision REV as hf spells it.
    /// Both, naming different revisions, is a usage error rather than a silent pick. An OCI
    /// reference (`oci://HOST/REPO[:TAG|@sha256:…]`) carries its own tag or digest.
    func requested() throws -> (name: String, revision: String) {
        let target = targets.first { $0.contains("/") } ?? ""
        if target.hasPrefix(ModelRequest.ociScheme) {
            guard let (repository, tag) = ModelRequest.splitOCI(target) else {
                throw ValidationError("`\(target)` is not an oci://HOST[:PORT]/REPO[:TAG|@sha256:…] reference")
            }
            if let revision, revision != tag {
                throw ValidationError("an OCI reference names its tag or digest itself (`\(target)`); drop --revision \(revision)")
            }
            return (repository, tag)
        }
        let (name, inline) = Self.split(target)
        guard let revision else { return (name, inline) }
        if target.contains("@"), inline != revision {
            throw ValidationError("`\(target)` and --revision \(revision) name different revisions; give one of them")
        }
        return (name, revision.isEmpty ? "main" : revision)
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
