import ArgumentParser
import PinModel
import PinStore
import PinDigest
import PinWorkspace
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Output options every reporting command shares.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON on stdout (diagnostics stay on stderr).")
    var json = false
}

/// Where the store is.
struct StoreOptions: ParsableArguments {
    @Option(
        // `--cache-dir`: hf's name for where downloads are kept, which here is the store.
        name: [.customLong("home"), .customLong("cache-dir")],
        help: ArgumentHelp(
            "The store directory (default: $MODELPIN_HOME, else $XDG_CACHE_HOME/modelpin, else ~/.cache/modelpin).",
            valueName: "dir"))
    var home: String?

    func root() throws -> FilePath {
        let cwd = ProcessEnvironment.currentDirectory
        if let home {
            return cwd.pushing(FilePath(home)).lexicallyNormalized()
        }
        guard let root = Store.defaultRoot(environment: ProcessEnvironment.current, currentDirectory: cwd) else {
            throw UsageError(
                message: "cannot tell where the store is: MODELPIN_HOME, XDG_CACHE_HOME and HOME are all unset",
                hint: "set MODELPIN_HOME or pass --home DIR")
        }
        return root
    }

    func open(_ access: Store.Access) throws -> Store {
        var store = try Store.open(at: root(), access: access)
        store.lockWait = try Self.lockWait()
        return store
    }

    /// Lock waits end on Ctrl-C or SIGTERM (once `pull` has installed its handler; elsewhere the
    /// signal ends the process anyway), after MODELPIN_LOCK_TIMEOUT seconds, and say who they
    /// wait for after a second.
    static func lockWait(environment: [String: String] = ProcessEnvironment.current) throws -> LockWait {
        var timeout = LockWait.defaultTimeout
        if let text = environment["MODELPIN_LOCK_TIMEOUT"], !text.isEmpty {
            guard let seconds = Int(text), seconds >= 0 else {
                throw UsageError(
                    message: "MODELPIN_LOCK_TIMEOUT must be a whole number of seconds, not `\(text.escapedForDisplay)`",
                    hint: "unset it for the default (\(LockWait.defaultTimeout) s)")
            }
            timeout = seconds
        }
        let color = Console.wantsColor(descriptor: STDERR_FILENO, environment: environment)
        return LockWait(
            timeout: timeout, isCancelled: { interruption.isCancelled },
            waiting: { Console(json: false, colorErrors: color).warn($0) })
    }

    /// modelpin's trusted keyring: a GnuPG home of its own inside the store, never ~/.gnupg.
    func keyringDirectory() throws -> String {
        try root().appending("keyring").string
    }

    /// The workspace an operation runs in: this store (opened when the operation needs it),
    /// `configuration`, `events`, and Ctrl-C's flag. `command`: what the audit log records as
    /// the command (`pull`, `keys import`…).
    func workspace(
        _ configuration: WorkspaceConfiguration, events: any EventSink = DiscardEvents(), command: String
    ) throws -> Workspace {
        let options = self
        var configuration = configuration
        configuration.audit.command = command
        return Workspace(
            openStore: { try options.open($0) }, keyringDirectory: { try options.keyringDirectory() },
            configuration: configuration, events: events, cancellation: interruption)
    }

    /// A workspace for operations that reach no network (verify, mirror, keys): of the event
    /// stream, only warnings reach `console`.
    func workspace(command: String, console: Console) throws -> Workspace {
        try workspace(
            WorkspaceConfiguration(environment: ProcessEnvironment.current, userAgent: "modelpin/\(Modelpin.version)"),
            events: PullProgress(console: console, style: .silent), command: command)
    }
}

/// Where `pull` and `lock` leave the audit log's checkpoint.
struct AuditOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "After the operation's entries are in the store's audit log, write the log's signed checkpoint to this file (default: the manifest's audit-checkpoint), for `modelpin audit consistency FILE` later.",
        valueName: "file"))
    var auditCheckpoint: String?

    /// `configuration` with the checkpoint file, relative to the current directory.
    func apply(to configuration: WorkspaceConfiguration) -> WorkspaceConfiguration {
        var configuration = configuration
        configuration.audit.checkpoint = auditCheckpoint.map { ProcessEnvironment.currentDirectory.pushing(FilePath($0)).lexicallyNormalized() }
        return configuration
    }
}

/// How many files to hash at once.
struct ConcurrencyOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Files hashed at once (default: one per CPU core).")
    var jobs: Int?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    var width: Int { jobs ?? DigestConcurrency.defaultWidth }
}

/// Parsing of the values modelpin takes as text.
enum Parse {
    /// `sha256:<64 lowercase hex>`, with the correct spelling suggested when it is clear.
    static func digest(_ text: String, for option: String) throws -> SHA256Digest {
        do {
            return try SHA256Digest(parsing: text)
        } catch {
            throw UsageError(
                message: "invalid digest for \(option): \(error.description)",
                hint: error.suggestion.map { "did you mean `\($0)`?" }
                    ?? "a digest is `sha256:` followed by 64 lowercase hex digits, as `modelpin hash FILE` prints it")
        }
    }

    /// A byte count: plain bytes, or a number with K, M or G (binary units).
    static func size(_ text: String, for option: String) throws -> Int64 {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var number = Substring(text)
        var unit: Int64 = 1
        if let last = text.uppercased().last, let multiplier = units[last] {
            unit = multiplier
            number = number.dropLast()
        }
        guard let value = Int64(number), value > 0, value <= Int64.max / unit else {
            throw UsageError(
                message: "invalid size `\(text)` for \(option)",
                hint: "use bytes or a number followed by K, M or G, for example `64M`")
        }
        return value * unit
    }

    /// A duration: plain seconds, or a number with `s`, `m`, `h` or `d`. Returns seconds.
    static func duration(_ text: String, for option: String) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = Substring(text)
        var unit: Int64 = 1
        if let last = text.last, let multiplier = units[last] {
            unit = multiplier
            number = number.dropLast()
        }
        guard let value = Int64(number), value >= 0, value <= Int64.max / unit else {
            throw UsageError(
                message: "invalid duration `\(text)` for \(option)",
                hint: "use seconds or a number followed by s, m, h or d, for example `30m` or `0`")
        }
        return value * unit
    }
}
