public import Foundation
import PinTransport

/// Debian's `docker-registry` (CNCF distribution 2.8), started by a test on 127.0.0.1 with a
/// free port and filesystem storage in the test's directory, and stopped with it.
///
/// Three ways in, as the registries modelpin meets are: no auth; htpasswd (the registry answers
/// `Basic` challenges itself, checking a bcrypt file written by `htpasswd -B`); token auth (the
/// registry answers `Bearer realm=…` and trusts JWTs from `RegistryTokenServer`, the suite's
/// own token server, through `rootcertbundle`).
public final class RegistryServer: @unchecked Sendable {
    // @unchecked: immutable after init; the process handle is only used by stop().

    public enum Auth: Sendable {
        case none
        /// The registry's own htpasswd auth: `Basic` challenges.
        case htpasswd(user: String, password: String)
        /// Bearer tokens from a `RegistryTokenServer` that checks these credentials.
        case token(user: String, password: String)
    }

    public let directory: URL
    public let port: Int
    public let auth: Auth
    /// The token server when `auth` is `.token`.
    public let tokenServer: RegistryTokenServer?
    private let process: Process
    private let logFile: URL

    /// `127.0.0.1:PORT`, as a reference or docker's config.json names the registry.
    public var authority: String { "127.0.0.1:\(port)" }
    public var baseURL: String { "http://\(authority)" }

    /// `oci://127.0.0.1:PORT/REPOSITORY[:TAG]`.
    public func reference(_ repository: String, tag: String? = nil) -> String {
        "oci://\(authority)/\(repository)" + (tag.map { ":\($0)" } ?? "")
    }

    /// Starts the registry under `directory` (its config, storage, log and auth files live
    /// there) and waits until `/v2/` answers. `relativeURLs`: upload `Location`s relative, as
    /// some registries send them (and as a front proxy needs).
    public init(directory: URL, auth: Auth = .none, relativeURLs: Bool = false) throws {
        self.directory = directory
        self.auth = auth
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let binary = "/usr/bin/docker-registry"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Tmpfs.CommandFailed(command: binary, output: "docker-registry is not installed: run scripts/setup (Debian package docker-registry)")
        }
        var authSection = ""
        var tokenServer: RegistryTokenServer?
        switch auth {
        case .none:
            break
        case .htpasswd(let user, let password):
            let file = directory.appendingPathComponent("htpasswd")
            try Self.writeHtpasswd(file, user: user, password: password)
            authSection = "auth:\n  htpasswd:\n    realm: modelpin-test\n    path: \(file.path)\n"
        case .token(let user, let password):
            let server = try RegistryTokenServer(directory: directory, user: user, password: password)
            tokenServer = server
            authSection = """
                auth:
                  token:
                    realm: \(server.realm)
                    service: \(RegistryTokenServer.service)
                    issuer: \(RegistryTokenServer.issuer)
                    rootcertbundle: \(server.certificate.path)

                """
        }
        self.tokenServer = tokenServer
        port = Nginx.freePort()
        let storage = directory.appendingPathComponent("storage")
        let config = """
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: \(storage.path)
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)
              secret: modelpin-test-\(UUID().uuidString)
              relativeurls: \(relativeURLs)
            \(authSection)
            """
        let configFile = directory.appendingPathComponent("registry.yml")
        try Data(config.utf8).write(to: configFile)
        logFile = directory.appendingPathComponent("registry.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", configFile.path]
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        guard Nginx.waitForPort(port), answersV2() else {
            stop()
            throw Tmpfs.CommandFailed(command: "docker-registry serve \(configFile.path)", output: self.log)
        }
    }

    deinit { stop() }

    /// SIGKILL, as for nginx: the test runner's children cannot act on SIGTERM.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        tokenServer?.stop()
    }

    /// The registry's log so far (for a failing test's message).
    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// `/v2/` answers 200, or 401 under auth: the registry is up.
    private func answersV2() -> Bool {
        guard let url = HTTPURL("\(baseURL)/v2/") else { return false }
        var policy = TransportPolicy()
        policy.plainHTTPOrigins = [url.origin]
        for _ in 0..<100 {
            do {
                let client = try HTTPClient(policy: policy)
                _ = try client.send(.get, url)
                return true
            } catch {
                if case .http(_, 401, _, _) = error { return true }
            }
            usleep(50_000)
        }
        return false
    }

    /// A bcrypt htpasswd file, written by `htpasswd -B` (Debian's apache2-utils): what
    /// distribution's htpasswd auth accepts (it refuses every other hash).
    /// The password goes in on stdin (`-i`), never on a command line another process could read.
    static func writeHtpasswd(_ file: URL, user: String, password: String) throws {
        let binary = "/usr/bin/htpasswd"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Tmpfs.CommandFailed(command: binary, output: "htpasswd is not installed: run scripts/setup (Debian package apache2-utils)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-B", "-i", "-c", file.path, user]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(password.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Tmpfs.CommandFailed(command: "htpasswd -B -i -c \(file.path) \(user)", output: text) }
    }
}
