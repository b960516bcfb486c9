import ArgumentParser
import PinHub
import PinModel
import PinStore
import PinTransport
import PinWorkspace
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Set by Ctrl-C; every transfer of the running pull checks it.
let interruption = CancellationFlag()

/// `modelpin pull ORG/NAME[@REVISION] [--include GLOB]... [--exclude GLOB]... [--to DIR]`
struct PullCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a model from the Hub, verifying every byte, into the store and a directory.",
        discussion: """
            The name is checked against the allowlist first. Then the revision is resolved to a \
            commit, the file list (with sizes, git blob ids and LFS SHA-256s) is read, and every \
            file the store lacks is downloaded — several at once, large ones in ranged parts — \
            hashed as it arrives and stored only if it matches. An interrupted pull resumes where \
            it stopped. Finally the snapshot is laid out in DIR (default ./models/ORG/NAME) as \
            independent copies, so that nothing written there can reach the store.

            ENVIRONMENT
              MODELPIN_ENDPOINT, HF_ENDPOINT   the Hub (default https://huggingface.co)
              HF_TOKEN                         sent as a bearer token to the endpoint's host only
              MODELPIN_CA_BUNDLE, SSL_CERT_FILE  CA certificates to verify servers with
            """)

    @Argument(help: ArgumentHelp("The repository, with an optional branch, tag or commit.", valueName: "org/name[@revision]"))
    var repo: String

    @Option(name: .customLong("include"), help: ArgumentHelp("Only pull paths matching this pattern (repeatable).", valueName: "glob"))
    var include: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip paths matching this pattern (repeatable).", valueName: "glob"))
    var exclude: [String] = []

    @Option(name: .customLong("to"), help: ArgumentHelp("The directory to lay the model out in (default: ./models/ORG/NAME).", valueName: "dir"))
    var destination: String?

    @Option(help: ArgumentHelp("The Hub endpoint (default: $MODELPIN_ENDPOINT, $HF_ENDPOINT, https://huggingface.co).", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("CA certificates to verify servers with (default: $MODELPIN_CA_BUNDLE, $SSL_CERT_FILE).", valueName: "file"))
    var cacert: String?

    @Option(name: .shortAndLong, help: "Transfers at once: whole files, or parts of large ones (default: two per core, 2 to 8).")
    var jobs: Int = PullSettings.defaultConnections

    @Option(help: ArgumentHelp("Files larger than this are fetched in parts of this size (e.g. 64M, 1G).", valueName: "size"))
    var partSize: String = "64M"

    @Option(help: ArgumentHelp("How files appear in the directory: `copy` (reflink where possible) or `symlink` into the store.", valueName: "mode"))
    var link: String = "copy"

    @Option(help: ArgumentHelp("Seconds without a byte before a transfer is abandoned and retried.", valueName: "seconds"))
    var stallTimeout: Int = 30

    @Option(help: ArgumentHelp("Attempts per transfer for network errors and 429/5xx answers.", valueName: "count"))
    var retries: Int = 5

    @Flag(help: "Pull a repo id that is not on the allowlist (typosquats are refused regardless).")
    var allowUnlisted = false

    @Flag(name: .shortAndLong, help: "Print only warnings and errors.")
    var quiet = false

    @OptionGroup var names: NamesOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if stallTimeout < 1 { throw ValidationError("--stall-timeout must be at least 1 second") }
        if retries < 1 { throw ValidationError("--retries must be at least 1") }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        let environment = ProcessEnvironment.current
        let (name, revision) = Self.split(repo)
        guard let mode = LinkMode(rawValue: link) else {
            throw UsageError(message: "invalid --link `\(link)`", hint: "use `copy` (the default) or `symlink`")
        }
        let partBytes = try Parse.size(partSize, for: "--part-size")
        let endpointText = endpoint ?? environment["MODELPIN_ENDPOINT"].nonEmpty ?? environment["HF_ENDPOINT"].nonEmpty
            ?? HubEndpoint.defaultURL
        let hubEndpoint = try HubEndpoint(endpointText)

        var policy = TransportPolicy()
        policy.userAgent = "modelpin/\(Modelpin.version)"
        policy.stallTimeout = stallTimeout
        policy.retry.maxAttempts = retries
        policy.caBundle = cacert ?? environment["MODELPIN_CA_BUNDLE"].nonEmpty ?? environment["SSL_CERT_FILE"].nonEmpty
        if let caBundle = policy.caBundle, (try? FileDescriptor.open(FilePath(caBundle), .readOnly).close()) == nil {
            throw ConfigFileError(path: FilePath(caBundle), what: "CA bundle", errno: .noSuchFileOrDirectory)
        }
        hubEndpoint.configure(&policy, token: environment["HF_TOKEN"].nonEmpty ?? environment["HUGGING_FACE_HUB_TOKEN"].nonEmpty)

        var settings = PullSettings(endpoint: hubEndpoint, policy: policy)
        settings.connections = jobs
        settings.partSize = partBytes
        settings.names = try names.loadChecker(console)
        settings.allowlistSource = names.allowlistPath

        let style: PullProgress.Style = quiet || console.json ? .silent
            : (Console.wantsColor(descriptor: STDERR_FILENO, environment: ["TERM": environment["TERM"] ?? ""]) ? .bars : .lines)
        let progress = PullProgress(console: console, style: style)
        let cwd = ProcessEnvironment.currentDirectory
        var request = PullRequest(name: name, revision: revision, workingDirectory: cwd)
        request.include = include
        request.exclude = exclude
        request.destination = destination.map { cwd.pushing(FilePath($0)).lexicallyNormalized() }
        request.linkMode = mode
        request.allowUnlisted = allowUnlisted
        if mode == .symlink {
            progress.warning("--link symlink: files in the directory point into the store; a process running as root that writes to them changes the store's blobs")
        }

        let store = try store.open(.readWrite)
        Self.installInterruptHandler()
        let summary: PullSummary
        do {
            summary = try Puller(store: store, settings: settings, reporter: progress, cancellation: interruption).pull(request)
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        if console.json {
            console.out(try Format.json(summary))
        } else if !quiet {
            let downloaded = summary.files.filter { $0.source == "downloaded" }
            var line = "pulled \(summary.repo)@\(summary.revision) (\(summary.commit.prefix(12))) into \(summary.destination): "
            line += "\(Format.plural(summary.files.count, "file")), \(Format.bytes(summary.bytes)); "
            line += "\(downloaded.count) downloaded and verified, \(summary.files.count - downloaded.count) from the store"
            line += ", in \(Format.tenths(summary.seconds)) s"
            console.out(line)
        }
        return .success
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

extension Optional where Wrapped == String {
    /// nil for an absent or empty environment variable.
    var nonEmpty: String? {
        guard let value = self, !value.isEmpty else { return nil }
        return value
    }
}
