public import ArgumentParser
import PinDigest
import PinModel
import PinWorkspace

#if canImport(Glibc)
import Glibc
#endif

/// The `modelpin` command: its subcommands, its help, its version.
public struct Modelpin: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "modelpin",
        abstract: "Fetch AI model weights pinned, hash-checked and verified before they reach your disk.",
        discussion: """
            Every file goes into a content-addressed store (an OCI image layout) only after its \
            SHA-256 has been computed on the way in and checked; nothing half-written or \
            unverified ever sits under a final name.

            EXIT STATUS
              0   success
              1   refused by a check: digest, size, signature, name, scan, policy,
                  lock drift
              2   operational error: file system, disk full, gpg, unreadable store
                  metadata, allowlist, manifest or lockfile; a repo not found,
                  private or gated
              64  usage error: unknown option or command, malformed value, an
                  http(s) mirror under --offline
              75  temporary failure: the Hub or a mirror unreachable, timing out or
                  answering 429/5xx after every retry; run it again later
              130 interrupted (Ctrl-C or SIGTERM); a rerun resumes

            ENVIRONMENT
              MODELPIN_HOME              the store (default $XDG_CACHE_HOME/modelpin,
                                         else ~/.cache/modelpin)
              MODELPIN_ALLOWLIST         the allowlist of repo ids (--allowlist overrides)
              MODELPIN_ENDPOINT, HF_ENDPOINT  the Hub (default https://huggingface.co)
              MODELPIN_LOCKED, MODELPIN_OFFLINE, MODELPIN_FROZEN,
              MODELPIN_REQUIRE_SIGNED_LOCK    the flags of the same names
              HF_HUB_OFFLINE             as huggingface_hub reads it: --offline
              MODELPIN_STRICT            --strict: refuse files the scan could not check
              MODELPIN_POLICY            the shared admission policy (--policy)
              MODELPIN_LOCK_TIMEOUT      seconds to wait for a store lock (default 3600)
              MODELPIN_GPG               the gpg executable gpgme drives
              MODELPIN_AUDIT_KEY         the audit log's signing key (Ed25519 PEM file)
              HF_TOKEN, HUGGING_FACE_HUB_TOKEN  the token for gated repos
              HF_TOKEN_PATH, HF_HOME     the token `hf auth login` saved (if no HF_TOKEN)
              MODELPIN_PROGRESS_INTERVAL  progress line interval off a terminal (30 s)
              MODELPIN_TOKEN_HOSTS       further hosts that may receive HF_TOKEN
              MODELPIN_LOCK_SIGNERS      fingerprints --require-signed-lock accepts
              XDG_CONFIG_HOME            where modelpin/config.toml is (lock-signers)
              MODELPIN_CA_BUNDLE, SSL_CERT_FILE  CA certificates to verify servers with
              HF_HUB_CACHE               the Hugging Face cache --hf-cache writes to
              AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE
                                         credentials for s3:// mirrors (SigV4)
              AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION
                                         an s3:// mirror's endpoint and region
              MODELPIN_REGISTRY_USER, MODELPIN_REGISTRY_PASSWORD, DOCKER_CONFIG
                                         credentials for oci:// registries
              MODELPIN_AUDIT             `off`: no audit log entries (warned on
                                         every run; default on)
              NO_COLOR                   any value turns colour off (only ever on a tty)
            """,
        subcommands: [
            PullCommand.self, InitCommand.self, AddCommand.self, LockCommand.self, VerifyCommand.self, ListCommand.self,
            RemoveCommand.self, MirrorCommand.self, ExportCommand.self, SignCommand.self, KeysCommand.self, AuditCommand.self, ScanCommand.self, CheckCommand.self, HashCommand.self,
            ImportCommand.self, PolicyCommand.self, SBOMCommand.self,
            StoreCommand.self, ServeCommand.self,
            PushCommand.self,
        ]
    )

    // Handled here rather than through CommandConfiguration(version:), whose text is built on
    // every invocation: asking gpgme for its engine runs gpg, which no other command needs.
    @Flag(help: "Show modelpin's version and the libcurl, OpenSSL and gpgme it loaded.")
    var version = false

    public init() {}

    public func run() throws {
        guard version else { throw CleanExit.helpRequest(self) }
        // Not through Console (no command options here), so escaped the same way by hand: the
        // text quotes what gpgme reports, which includes a path from $MODELPIN_GPG.
        print(Self.versionText().escapedForTerminal)
    }

    /// `modelpin --version`: modelpin's version and the libraries it actually loaded.
    static func versionText() -> String {
        var lines = ["modelpin \(version)"]
        lines.append(EngineVersions.curl)
        lines.append(CryptoLibrary.versionText)
        lines.append(EngineVersions.gpgme)
        return lines.joined(separator: "\n")
    }
}

extension Modelpin {
    /// The executable's entry point: parses the process arguments, runs the command and exits
    /// with its status.
    public static func start() -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exitForUsage(error, arguments: arguments)
        }
        do {
            try command.run()
        } catch {
            // Commands render their own errors (ModelpinCommand) and throw only an ExitCode;
            // a help request (CleanExit) is ArgumentParser's to print.
            exit(withError: error)
        }
        exit(withError: nil)
    }

    /// A command line ArgumentParser refused: rendered like every other error (`error:`, then
    /// `hint:`), exit 64. Help, `--version` and completion scripts also arrive here as "errors"
    /// with status 0; ArgumentParser prints those.
    static func exitForUsage(_ error: any Error, arguments: [String]) -> Never {
        guard exitCode(for: error) != .success else { exit(withError: error) }
        let environment = ProcessEnvironment.current
        // With --json, a script gets the failure as data on stdout too, as for any other error.
        let console = Console(
            json: arguments.prefix { $0 != "--" }.contains("--json"),
            colorErrors: Console.wantsColor(descriptor: STDERR_FILENO, environment: environment))
        console.report(usageError(error, arguments: arguments))
        exit(withError: ExitCode(ExitStatus.usage.rawValue))
    }

    /// What to say about a refused command line: an unknown option or command first (with the
    /// closest spelling), else ArgumentParser's own message, with a pointer to the command's help.
    static func usageError(_ error: any Error, arguments: [String]) -> UsageError {
        let diagnosis = try? UsageDiagnosis(Modelpin.self)
        if let finding = diagnosis?.diagnose(arguments) {
            return UsageError(message: finding.message, hint: finding.hint)
        }
        let name = diagnosis?.commandName(arguments) ?? "modelpin"
        var message = message(for: error)
        // ArgumentParser's sentences start with a capital; modelpin's errors do not.
        if let first = message.first, message.dropFirst().first?.isUppercase != true {
            message = first.lowercased() + message.dropFirst()
        }
        return UsageError(message: message, hint: "see `\(name) --help`")
    }
}
