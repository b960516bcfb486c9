import ArgumentParser
import Dispatch
import Foundation
import PinModel
import PinServe
import PinWorkspace
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// `modelpin serve`: the store's verified snapshots over the Hub's HTTP API.
struct ServeCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the store's verified snapshots to Hub clients (HF_ENDPOINT=http://HOST:PORT).",
        discussion: """
            Answers the Hub API as huggingface_hub 2.x, transformers and `hf download` call \
            it: model and dataset info, tree, paths-info and resolve (Range, If-Range, \
            If-None-Match), with X-Repo-Commit, ETag, X-Linked-Etag and X-Linked-Size. A \
            revision is a commit, or a branch or tag a snapshot was resolved from. Each blob \
            is re-hashed before it is first served in the process; one that fails is never \
            served (500, an error line on stderr, a metric). No Xet signal is ever sent.

            --blob-redirect URL answers an LFS file's resolve with a 302 to its blob in that \
            mirror (with the same headers), once a HEAD showed the mirror holds it with the \
            file's size; clients fetch it from there without Authorization. Anything else is \
            served directly.

            Prints `listening on URL` on stdout once bound, then runs until SIGTERM or \
            SIGINT: it stops accepting, lets requests in flight finish (10 s at most) and \
            exits 0. GET /healthz answers `ok` without a token; GET /metrics is Prometheus text.

            EXIT STATUS
              0   stopped by SIGTERM or SIGINT after draining
              2   cannot listen, read the store, a lockfile, the token file (or
                  it is readable by every user), the TLS files, or the access log
              64  usage error
            """)

    @Option(help: ArgumentHelp("The address to listen on; port 0 picks a free one.", valueName: "host:port"))
    var listen = "127.0.0.1:8080"

    @Option(name: .customLong("lock"), help: ArgumentHelp(
        "Serve only the snapshots this lockfile pins (repeatable; default: every snapshot in the store).", valueName: "file"))
    var locks: [String] = []

    @Option(help: ArgumentHelp(
        "Pull a miss from this Hub through the whole pipeline before serving it (off by default; needs --allowlist; HF_TOKEN is the server's own).",
        valueName: "url"))
    var upstream: String?

    @Option(help: ArgumentHelp("The admission policy a pull-through applies (default: $MODELPIN_POLICY): a blocked repo is never stored nor served.", valueName: "file"))
    var policy: String?

    @Option(help: ArgumentHelp("Require `Authorization: Bearer T` with a T listed in this file, one per line (mode 600).", valueName: "file"))
    var tokens: String?

    @Option(help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (with --tls-key).", valueName: "pem"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "pem"))
    var tlsKey: String?

    @Option(help: ArgumentHelp(
        "Answer `resolve` of an LFS file with a 302 to its blob in this mirror (s3://BUCKET/PREFIX: a presigned URL; or an http(s) URL of a `mirror DIR`) when the mirror holds it; small files are served directly.",
        valueName: "url"))
    var blobRedirect: String?

    @Option(help: ArgumentHelp("Append one JSON line per request to this file (`-`: stdout).", valueName: "file"))
    var accessLog: String?

    @OptionGroup var names: NamesOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try Self.address(listen)
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        if let upstream, !(upstream.hasPrefix("https://") || upstream.hasPrefix("http://")) {
            throw ValidationError("--upstream takes an http(s) URL, not `\(upstream)`")
        }
    }

    /// What a listener beyond this machine gives away, said loudly at start: the defaults are
    /// loopback and no token, which is safe only because nobody else can connect.
    static func exposureWarnings(host: String, tokens: Bool, tls: Bool) -> [String] {
        let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
        guard !loopback else { return [] }
        if !tokens {
            return ["listening on \(host) with no --tokens: anyone who can reach this address can read every snapshot served; pass --tokens FILE to require a token"]
        }
        if !tls {
            return ["listening on \(host) with --tokens but no TLS: tokens cross the network in clear text; pass --tls-cert and --tls-key"]
        }
        return []
    }

    /// `HOST:PORT`, `[v6]:PORT`.
    static func address(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen takes HOST:PORT with a port from 0 to 65535, not `\(text)`")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen needs a host: 127.0.0.1:PORT, 0.0.0.0:PORT or [::1]:PORT") }
        return (host, port)
    }

    func execute(_ console: Console) throws -> ExitStatus {
        let (host, port) = try Self.address(listen)
        let cwd = ProcessEnvironment.currentDirectory
        let resolve = { (path: String) in cwd.pushing(FilePath(path)).lexicallyNormalized() }
        var configuration = ServeConfiguration(host: host, port: port)
        configuration.tokens = try tokens.map { try ServeTokens.load(resolve($0)) }
        if let tlsCert, let tlsKey { configuration.tls = (resolve(tlsCert), resolve(tlsKey)) }
        for warning in Self.exposureWarnings(host: host, tokens: tokens != nil, tls: tlsCert != nil) { console.warn(warning) }
        let log = try ServeConsoleLog(accessLog: accessLog.map { $0 == "-" ? nil : resolve($0) }, console: console)
        let metrics = ServeMetrics()

        var settings = WorkspaceConfiguration(environment: ProcessEnvironment.current, userAgent: "modelpin/\(Modelpin.version)")
        let checker = try names.loadChecker(console)
        let source = names.allowlistPath
        settings.allowlist = { (checker, source) }
        settings.policyFile = policy.map { resolve($0).string }
        let workspace = try store.workspace(settings, events: EventFanout([metrics, log]), command: "serve")
        let catalog = try workspace.serveCatalog(locks: locks.map(resolve), upstream: upstream)
        configuration.blobRedirect = try blobRedirect.map { [log] in try workspace.blobRedirect($0, log: { log.error($0) }) }

        let stop = StopSignal()
        let outcome = Mutex<(any Error)?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let configured = configuration
        Task {
            do {
                let server = try await HubServer.start(catalog: catalog, configuration: configured, metrics: metrics, log: log)
                console.out("listening on \(server.url)")
                await stop.wait()
                log.note("stopping: no new connections; draining requests in flight (10 s at most)")
                await server.shutdown(drain: .seconds(10))
            } catch {
                outcome.withLock { $0 = error }
            }
            finished.signal()
        }
        finished.wait()
        if let failure = outcome.withLock({ $0 }) { throw failure }
        return .success
    }
}

/// SIGTERM and SIGINT, turned into one awaitable event: the server drains instead of dying.
/// Unchecked: the dispatch sources are set up in `init` and never touched again, only kept
/// alive; the state they change is behind the mutex.
final class StopSignal: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let stopped = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init() {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            sources.append(source)
        }
        self.sources = sources
        for source in sources {
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
        }
        // Some launchers start children with these signals blocked.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    private func fire() {
        let waiters = stopped.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let done = stopped.withLock { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }
}

/// Where the server's lines go: access lines to a file (appended) or stdout, errors and the
/// catalog's warnings to stderr. Writes are serialised on a queue of their own, off the event
/// loops, so a slow terminal or disk never holds up an answer.
final class ServeConsoleLog: ServeLog, EventSink {
    private let accessDescriptor: FileDescriptor?
    private let console: Console
    private let queue = DispatchQueue(label: "modelpin.serve.log")

    /// `accessLog`: nil for stdout; the parameter absent (`.none` outer) for no access log.
    init(accessLog: FilePath??, console: Console) throws {
        self.console = console
        switch accessLog {
        case .none:
            accessDescriptor = nil
        case .some(.none):
            accessDescriptor = .standardOutput
        case .some(.some(let path)):
            do {
                accessDescriptor = try FileDescriptor.open(
                    path, .writeOnly, options: [.append, .create, .closeOnExec], permissions: [.ownerReadWrite, .groupRead])
            } catch {
                throw ServeLogError(path: path.string, reason: "\(error)")
            }
        }
    }

    func access(_ entry: AccessLogEntry) {
        guard let accessDescriptor else { return }
        let line = entry.jsonLine + "\n"
        queue.async { _ = try? accessDescriptor.writeAll(Array(line.utf8)) }
    }

    func error(_ message: String) {
        let console = console
        queue.async { console.report(ServeRuntimeError(message: message)) }
    }

    func note(_ message: String) {
        let console = console
        queue.async { console.note(message) }
    }

    func emit(_ event: WorkspaceEvent) {
        switch event {
        case .warning(let text):
            let console = console
            queue.async { console.warn(text) }
        case .pulledThrough(let repo, let revision, let paths, let seconds):
            note("pulled through \(repo)@\(revision): \(paths.count) file(s) in \(String(format: "%.1f", seconds)) s")
        default:
            break
        }
    }
}

struct ServeRuntimeError: ModelpinError {
    let message: String
    var kind: FailureKind { .operational }
    var description: String { message }
}

struct ServeLogError: ModelpinError {
    let path: String
    let reason: String
    var kind: FailureKind { .operational }
    var description: String { "cannot open the access log \(path): \(reason)" }
    var hint: String? { "give a writable file, or `-` for stdout" }
}
