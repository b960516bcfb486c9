import Foundation
import PinDigest
import PinModel
import PinServe
import PinTestSupport
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What an operator relies on: the access log, /metrics, a graceful stop, TLS.
@Suite("Running a server", .serialized)
struct ServeOperationsTests {
    @Test func eachRequestIsOneAccessLineAndCounted() async throws {
        try await ServeFixture.with { fixture in
            _ = try await fixture.request("/acme/tiny-model/resolve/main/config.json", headers: ["Range": "bytes=0-9"])
            _ = try await fixture.request("/acme/tiny-model/resolve/v9/config.json")
            try await ServeSecurityTests.settle { fixture.log.entries.count >= 2 }
            let entries = fixture.log.entries
            let ranged = try #require(entries.first)
            #expect(ranged.method == "GET")
            #expect(ranged.route == "resolve")
            #expect(ranged.repo == "acme/tiny-model")
            #expect(ranged.revision == "main")
            #expect(ranged.path == "config.json")
            #expect(ranged.status == 206)
            #expect(ranged.bytes == 10)
            #expect(ranged.remote?.contains("127.0.0.1") == true)
            #expect(ranged.durationMs >= 0)
            let line = try #require(try JSONSerialization.jsonObject(with: Data(ranged.jsonLine.utf8)) as? [String: Any])
            #expect(Set(line.keys) == ["time", "method", "target", "route", "repo", "revision", "path", "status", "bytes", "duration_ms", "remote"])
            #expect(entries.last?.status == 404)

            let metrics = try await fixture.request("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("modelpin_serve_requests_total{route=\"resolve\",status=\"206\"} 1"))
            #expect(metrics.text.contains("modelpin_serve_requests_total{route=\"resolve\",status=\"404\"} 1"))
            #expect(metrics.text.contains("modelpin_serve_sent_bytes_total"))
            // The scrape itself is in flight while it is rendered.
            #expect(metrics.text.contains("modelpin_serve_in_flight_requests 1"))
            #expect(metrics.text.contains("modelpin_serve_pull_through_total 0"))
        }
    }

    /// A shutdown while a large download is half-way: no new connection is accepted, the
    /// download finishes with every byte, and then the server is gone.
    @Test func shutdownDrainsADownloadInFlight() async throws {
        let large = safetensorsFile(payloadBytes: 24 << 20, seed: 81)
        let repo = FakeHub.Repo(id: "acme/large-model", commit: ServeFixture.commit, files: [FakeHub.File("model.safetensors", large, lfs: true)])
        try await ServeFixture.with(repos: [repo]) { fixture in
            let port = fixture.port
            let socket = try RawHTTP.connect(port: port, receiveBuffer: 16 << 10)
            defer { close(socket) }
            RawHTTP.send(socket, Array("GET /acme/large-model/resolve/main/model.safetensors HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            // The head and a first piece, then the client stops reading for a while.
            let first = try await RawHTTP.offThePool { RawHTTP.readSome(socket, atLeast: 1024) }
            let stopping = Task { await fixture.server.shutdown(drain: .seconds(20)) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(throws: (any Error).self) { _ = try RawHTTP.connect(port: port) }
            let rest = try await RawHTTP.offThePool { RawHTTP.readAll(socket) }
            await stopping.value
            let response = try RawHTTP.parse(first + rest)
            #expect(response.status == 200)
            #expect(response.body.count == large.count)
            #expect(response.body == large)
            #expect(fixture.server.openConnections == 0)
        }
    }

    /// A client that asks for a large file and stops reading is cut off once no slice has gone
    /// out for the stall timeout (before: it held its connection and the open blob for ever,
    /// since the request deadline stops at the request's end).
    @Test func aClientThatStopsReadingIsCutOff() async throws {
        let large = safetensorsFile(payloadBytes: 48 << 20, seed: 82)
        let repo = FakeHub.Repo(id: "acme/large-model", commit: ServeFixture.commit, files: [FakeHub.File("model.safetensors", large, lfs: true)])
        try await ServeFixture.with(repos: [repo], configure: { $0.sendStallTimeout = .seconds(1) }) { fixture in
            let socket = try RawHTTP.connect(port: fixture.port, receiveBuffer: 16 << 10)
            defer { close(socket) }
            RawHTTP.send(socket, Array("GET /acme/large-model/resolve/main/model.safetensors HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            _ = try await RawHTTP.offThePool { RawHTTP.readSome(socket, atLeast: 1024) }
            // Stop reading; the server's socket buffer fills and its slice stalls.
            let started = ContinuousClock.now
            var open = true
            while open, ContinuousClock.now - started < .seconds(10) {
                try await Task.sleep(for: .milliseconds(200))
                open = fixture.server.openConnections > 0
            }
            #expect(!open, "the stalled connection is still open")
            // What the client can still read is a cut-off body, never the whole file.
            let rest = try await RawHTTP.offThePool { RawHTTP.readAll(socket) }
            #expect(rest.count < large.count)
            #expect(try await fixture.request("/healthz").status == 200)
        }
    }

    @Test func tlsServesTheSameBytesAndRanges() async throws {
        try await withTemporaryDirectory("serve-tls") { url in
            let directory = FilePath(url.path)
            let certificate = directory.appending("cert.pem"), key = directory.appending("key.pem")
            try Self.run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.string, "-out", certificate.string,
            ])
            try await ServeFixture.with(configure: { $0.tls = (certificate, key) }) { fixture in
                #expect(fixture.server.url == "https://127.0.0.1:\(fixture.port)")
                let base = fixture.server.url + "/acme/tiny-model/resolve/main/model.safetensors"
                let whole = directory.appending("whole"), part = directory.appending("part")
                try await RawHTTP.offThePool {
                    try Self.run("/usr/bin/curl", ["-sSf", "--cacert", certificate.string, "-o", whole.string, base])
                    try Self.run("/usr/bin/curl", ["-sSf", "--cacert", certificate.string, "-r", "1000-300999", "-o", part.string, base])
                }
                #expect(Array(try Data(contentsOf: URL(fileURLWithPath: whole.string))) == ServeFixture.weights)
                #expect(Array(try Data(contentsOf: URL(fileURLWithPath: part.string))) == Array(ServeFixture.weights[1000...300999]))
                // Plain HTTP to a TLS port gets no file.
                let plain = try? await fixture.request("/acme/tiny-model/resolve/main/config.json")
                #expect(plain?.body != ServeFixture.config)
            }
        }
    }

    @Test func aBadCertificateStopsTheStart() async throws {
        try await withTemporaryDirectory("serve-tls-bad") { url in
            let directory = FilePath(url.path)
            let junk = directory.appending("junk.pem")
            try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: junk.string))
            await #expect(throws: ServeSetupFailure.self) {
                try await ServeFixture.with(configure: { $0.tls = (junk, junk) }) { _ in }
            }
        }
    }

    static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RawHTTP.Failure(description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }
}
