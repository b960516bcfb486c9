import Foundation
import PinTestSupport
import Testing

/// `serve --blob-redirect` when the mirror cannot be trusted with a client: it holds the object
/// with another size, or does not answer. serve must then send the bytes itself (and say why
/// on stderr), never a 302 to a URL that fails or serves something else.
@Suite struct ServeBlobRedirectFallbackTests {
    static func repo() throws -> (FakeHub.Repo, weights: [UInt8]) {
        let files = try ServeClientTests.files(weightsSeed: 11)
        let weights = bytes(of: files.first { $0.path == "model.safetensors" }!)
        return (FakeHub.Repo(id: "acme/tiny-bert", refs: ["main": ServeClientTests.commit], commits: [ServeClientTests.commit: files]), weights)
    }

    static let weightsPath = "/acme/tiny-bert/resolve/main/model.safetensors"

    @Test func aMirrorWithAnotherSizeOrNoAnswerIsNotRedirectedTo() throws {
        let (repo, weights) = try Self.repo()
        let port = Nginx.freePort()
        let deadPort = Nginx.freePort()
        for (redirect, hostile) in [("http://127.0.0.1:\(port)/m/", true), ("http://127.0.0.1:\(deadPort)/m/", false)] {
            try MirrorSandbox.with(repos: [repo], pulls: ["acme/tiny-bert"], serveArguments: ["--blob-redirect", redirect]) { mirror in
                var nginx: Nginx?
                if hostile {
                    // The object is there, truncated: a size the snapshot does not name.
                    let blobs = mirror.directory.appendingPathComponent("m/blobs/sha256")
                    try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
                    try Data(weights.prefix(1000)).write(to: blobs.appendingPathComponent(sha256Hex(Data(weights))))
                    nginx = try Nginx(
                        directory: mirror.directory.appendingPathComponent("nginx", isDirectory: true),
                        servers: "server { listen 127.0.0.1:\(port); location /m/ { alias \(mirror.directory.path)/m/; } }", ports: [port])
                }
                defer { nginx?.stop() }
                let answer = try mirror.server.get(Self.weightsPath)
                #expect(answer.status == 200, "\(redirect)")
                #expect(answer.body == Data(weights), "\(redirect): the store's bytes, served directly")
                #expect(try mirror.server.metric("modelpin_serve_blob_redirects_total") == 0)
                let why = hostile ? "has 1000 bytes, not \(weights.count)" : "cannot look up blobs/sha256/"
                #expect(mirror.server.stderr.contains(why), "\(mirror.server.stderr)")
            }
        }
    }

    @Test func aMirrorThatHoldsTheBlobGetsA302WithTheHubsHeaders() throws {
        let (repo, weights) = try Self.repo()
        let port = Nginx.freePort()
        try MirrorSandbox.with(repos: [repo], pulls: ["acme/tiny-bert"], serveArguments: ["--blob-redirect", "http://127.0.0.1:\(port)/m/"]) { mirror in
            let hex = sha256Hex(Data(weights))
            let blobs = mirror.directory.appendingPathComponent("m/blobs/sha256")
            try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
            try Data(weights).write(to: blobs.appendingPathComponent(hex))
            let nginx = try Nginx(
                directory: mirror.directory.appendingPathComponent("nginx", isDirectory: true),
                servers: "server { listen 127.0.0.1:\(port); location /m/ { alias \(mirror.directory.path)/m/; } }", ports: [port])
            defer { nginx.stop() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-sS", "-I", "--max-time", "30", mirror.server.url + Self.weightsPath]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let head = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).lowercased()
            process.waitUntilExit()
            #expect(head.hasPrefix("http/1.1 302"), "\(head)")
            #expect(head.contains("location: http://127.0.0.1:\(port)/m/blobs/sha256/\(hex)\r\n"), "\(head)")
            #expect(head.contains("x-repo-commit: \(ServeClientTests.commit)\r\n"), "\(head)")
            #expect(head.contains("x-linked-etag: \"\(hex)\"\r\n"), "\(head)")
            #expect(head.contains("x-linked-size: \(weights.count)\r\n"), "\(head)")
            #expect(head.contains("content-length: 0\r\n"), "\(head)")
            #expect(try mirror.server.metric("modelpin_serve_blob_redirects_total") == 1)
        }
    }
}
