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

/// How to reach the Hub and how to download: shared by `pull`, `add` and `lock`.
struct TransferOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Hub endpoint (default: $MODELPIN_ENDPOINT, $HF_ENDPOINT, the manifest's, https://huggingface.co); locked files are fetched from it instead of the endpoint the lock records.", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("CA certificates to verify servers with (default: $MODELPIN_CA_BUNDLE, $SSL_CERT_FILE).", valueName: "file"))
    var cacert: String?

    @Option(help: ArgumentHelp("A Hub token, as hf's --token (default: $HF_TOKEN, else the token `hf auth login` saved). Other local users can read a command line: prefer HF_TOKEN.", valueName: "token"))
    var token: String?

    // `--max-workers`: hf download's name for the same number.
    @Option(name: [.customShort("j"), .customLong("jobs"), .customLong("max-workers")], help: "Transfers at once: whole files, or parts of large ones (default: two per core, 2 to 8).")
    var jobs: Int = PullSettings.defaultConnections

    @Option(help: ArgumentHelp("Files larger than this are fetched in parts of this size (e.g. 64M, 1G).", valueName: "size"))
    var partSize: String = "64M"

    @Option(help: ArgumentHelp("Seconds without a byte before a transfer is abandoned and retried.", valueName: "seconds"))
    var stallTimeout: Int = 30

    @Option(help: ArgumentHelp("Attempts per transfer for network errors and 429/5xx answers.", valueName: "count"))
    var retries: Int = 5

    @Flag(name: .shortAndLong, help: "Print only warnings and errors; `pull` prints the model's directory on stdout (a project's: one per line), as in DIR=$(modelpin pull ORG/NAME -q).")
    var quiet = false

    @Option(name: .customLong("allow-global"), help: ArgumentHelp("Accept this pickle callable (exact MODULE.NAME) that the scan would refuse (repeatable).", valueName: "module.name"))
    var allowedGlobals: [String] = []

    @Flag(help: "Refuse files in no format modelpin recognises (`unsupported`: not checked) instead of admitting them ($MODELPIN_STRICT).")
    var strict = false

    @Flag(help: "Admit the repository's own Python (`*.py`, `auto_map` in config.json): you will run it, e.g. with trust_remote_code. Locked as `suspicious`; every pull must say so again.")
    var allowRemoteCode = false

    @Option(help: ArgumentHelp("The shared admission-policy file (default: $MODELPIN_POLICY); a project's [policy] applies too.", valueName: "file"))
    var policy: String?

    /// `--strict` or `MODELPIN_STRICT`.
    var isStrict: Bool { strict || ProjectOptions.environmentFlag("MODELPIN_STRICT") }

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if stallTimeout < 1 { throw ValidationError("--stall-timeout must be at least 1 second") }
        if retries < 1 { throw ValidationError("--retries must be at least 1") }
        _ = try Self.progressInterval()
    }

    /// MODELPIN_PROGRESS_INTERVAL: seconds between progress lines when stderr is not a terminal.
    static func progressInterval(environment: [String: String] = ProcessEnvironment.current) throws -> Double {
        guard let text = environment["MODELPIN_PROGRESS_INTERVAL"], !text.isEmpty else { return PullProgress.defaultLineInterval }
        guard let seconds = Double(text), seconds.isFinite, seconds > 0 else {
            throw ValidationError("MODELPIN_PROGRESS_INTERVAL must be a positive number of seconds, not `\(text.escapedForDisplay)`")
        }
        return seconds
    }

    /// How operations reach their sources: these options and the process environment.
    /// `allowlist` is read only when a name is resolved.
    func configuration(
        allowlist: @escaping @Sendable () throws -> (checker: NameChecker?, source: String?) = { (nil, nil) }
    ) throws -> WorkspaceConfiguration {
        var configuration = WorkspaceConfiguration(environment: ProcessEnvironment.current, userAgent: "modelpin/\(Modelpin.version)")
        configuration.endpointFlag = endpoint
        configuration.tokenFlag = token
        configuration.caBundle = cacert
        configuration.connections = jobs
        configuration.partSize = try Parse.size(partSize, for: "--part-size")
        configuration.stallTimeout = stallTimeout
        configuration.retries = retries
        configuration.scanPolicy = try ScanCommand.policy(allowedGlobals)
        configuration.scanPolicy.strict = isStrict
        configuration.scanPolicy.allowRemoteCode = allowRemoteCode
        configuration.allowlist = allowlist
        configuration.policyFile = policy
        return configuration
    }

    func progress(_ console: Console) -> PullProgress {
        let style: PullProgress.Style = quiet || console.json ? .silent
            : (Console.wantsColor(descriptor: STDERR_FILENO, environment: ["TERM": ProcessEnvironment.current["TERM"] ?? ""]) ? .bars : .lines)
        // validate() refused a malformed MODELPIN_PROGRESS_INTERVAL already.
        let interval = (try? Self.progressInterval()) ?? PullProgress.defaultLineInterval
        let progress = PullProgress(console: console, style: style, lineInterval: interval)
        if allowRemoteCode { progress.warning(ScanCommand.remoteCodeWarning) }
        return progress
    }
}

/// Which project, and how strictly to treat its lock (cargo's meanings).
struct ProjectOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The manifest (default: the nearest modelpin.toml here or above).", valueName: "path"))
    var manifest: String?

    @Flag(help: "Fail if modelpin.lock is missing or would change ($MODELPIN_LOCKED).")
    var locked = false

    @Flag(help: "Use only the store and mirror directories; never the network (an http(s) --mirror is refused). ORG/NAME: the snapshot the store recorded for that revision ($MODELPIN_OFFLINE, $HF_HUB_OFFLINE).")
    var offline = false

    @Flag(help: "--locked and --offline together ($MODELPIN_FROZEN). Unlike uv's --frozen, the lock is still checked against the manifest.")
    var frozen = false

    var isLocked: Bool { locked || frozen || Self.environmentFlag("MODELPIN_LOCKED") || Self.environmentFlag("MODELPIN_FROZEN") }
    /// huggingface_hub's `HF_HUB_OFFLINE=1` means the same: a user who set it for the Hub's own
    /// client expects no network from the tool that replaces it.
    var isOffline: Bool {
        offline || frozen || Self.environmentFlag("MODELPIN_OFFLINE") || Self.environmentFlag("MODELPIN_FROZEN")
            || Self.environmentFlag("HF_HUB_OFFLINE")
    }

    /// Set and not `0`/`false`/empty.
    static func environmentFlag(_ name: String) -> Bool {
        guard let value = ProcessEnvironment.current[name]?.lowercased() else { return false }
        return !["", "0", "false", "no"].contains(value)
    }

    func load() throws -> Project {
        let path = try Project.locate(explicit: manifest.map { FilePath($0) }, from: ProcessEnvironment.currentDirectory)
        return try Project.load(path)
    }

    /// The allowlist: `--allowlist`, else the manifest's (relative to it), else $MODELPIN_ALLOWLIST.
    static func names(_ options: NamesOptions, project: Project, console: Console) throws -> (checker: NameChecker?, source: String?) {
        if options.allowlist == nil, let relative = project.manifest.allowlist {
            let path = project.directory.pushing(FilePath(relative)).lexicallyNormalized()
            return (try NamesOptions.loadChecker(path: path.string, console), path.string)
        }
        return (try options.loadChecker(console), options.allowlistPath)
    }
}
