import Foundation
import PinTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `modelpin serve` as the built binary: it prints its address, serves what a pull stored,
/// logs each request as JSON, stops with 0 on SIGTERM; it refuses a token file others can read.
@Suite("modelpin serve")
struct ServeCommandTests {
    /// A port nothing listens on now (the kernel's pick for a socket that is then closed).
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// curl's answer to a GET (status line and headers included), or nil while nothing listens.
    static func curl(_ url: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-i", "--max-time", "5", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func servesWhatAPullStoredAndStopsCleanlyOnSIGTERM() throws {
        try HubSandbox.with { hub in
            #expect(try hub.pull("acme/tiny-model", "--to", hub.directory.appendingPathComponent("m").path).status == 0)
            let port = try Self.freePort()
            let log = hub.directory.appendingPathComponent("access.log")
            let server = try hub.sandbox.modelpin.start(["serve", "--listen", "127.0.0.1:\(port)", "--access-log", log.path])
            var health = try Self.curl("http://127.0.0.1:\(port)/healthz")
            for _ in 0..<100 where health.status != 0 {
                usleep(100_000)
                health = try Self.curl("http://127.0.0.1:\(port)/healthz")
            }
            #expect(health.output.hasSuffix("ok\n"))
            let file = try Self.curl("http://127.0.0.1:\(port)/acme/tiny-model/resolve/main/config.json")
            #expect(file.output.contains("X-Repo-Commit: \(HubSandbox.commit)") || file.output.lowercased().contains("x-repo-commit: \(HubSandbox.commit)"))
            #expect(file.output.hasSuffix(String(decoding: HubSandbox.config, as: UTF8.self)))
            server.kill(signal: SIGTERM)
            let outcome = server.wait()
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(!outcome.signaled)
            #expect(outcome.stdout == "listening on http://127.0.0.1:\(port)\n")
            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2)
            let entry = try #require(try json(String(lines[1])) as? [String: Any])
            #expect(entry["path"] as? String == "config.json")
            #expect(entry["status"] as? Int == 200)
            // Nothing listens any more.
            #expect(try Self.curl("http://127.0.0.1:\(port)/healthz").status != 0)
        }
    }

    @Test func aTokenFileOthersCanReadIsRefused() throws {
        try Sandbox.with { sandbox in
            let tokens = try sandbox.file("tokens", Array("secret\n".utf8))
            chmod(tokens.path, 0o644)
            let outcome = try sandbox.run("serve", "--listen", "127.0.0.1:0", "--tokens", tokens.path)
            #expect(outcome.status == 2)
            #expect(outcome.stderr.contains("readable or writable by every user"))
            #expect(outcome.stderr.contains("chmod 600"))
            #expect(outcome.stdout.isEmpty)
        }
    }

    @Test(arguments: [["--listen", "localhost"], ["--listen", "127.0.0.1:70000"], ["--tls-cert", "a.pem"], ["--upstream", "ftp://x"]])
    func aMalformedCommandLineIsAUsageError(arguments: [String]) throws {
        try Sandbox.with { sandbox in
            let outcome = try sandbox.modelpin.run(["serve"] + arguments)
            #expect(outcome.status == 64, "\(arguments): \(outcome.stderr)")
        }
    }
}
