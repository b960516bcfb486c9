import Foundation
import PinTestSupport
import Testing

/// `serve --blob-redirect`: the real huggingface_hub gets an LFS file's metadata from serve's
/// 302 and its bytes from the mirror the 302 names — without the token it sent to serve.
@Suite(.tags(.pythonClients), .enabled(if: PythonClients.enabled)) struct ServeBlobRedirectTests {
    static let script = """
        from huggingface_hub import hf_hub_download
        facts["files"] = {name: os.path.realpath(hf_hub_download("acme/tiny-bert", name))
                          for name in ("model.safetensors", "onnx/extra/model.safetensors", "config.json")}
        done()
        """

    @Test func anLFSFileComesFromTheMirrorWithoutAuthorizationAndTheRestFromServe() throws {
        let port = Nginx.freePort()
        let redirect = "http://127.0.0.1:\(port)/m/"
        let files = try ServeClientTests.files(weightsSeed: 7)
        let repo = FakeHub.Repo(id: "acme/tiny-bert", refs: ["main": ServeClientTests.commit], commits: [ServeClientTests.commit: files])
        try MirrorSandbox.with(repos: [repo], pulls: ["acme/tiny-bert"], serveArguments: ["--blob-redirect", redirect]) { mirror in
            // The mirror holds the main weights only: the other LFS file must be served directly.
            let weights = try #require(files.first { $0.path == "model.safetensors" })
            let weightsHex = sha256Hex(Data(bytes(of: weights)))
            let blobs = mirror.directory.appendingPathComponent("m/blobs/sha256")
            try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
            try mirror.storeBlob(for: bytes(of: weights)).write(to: blobs.appendingPathComponent(weightsHex))
            let log = mirror.directory.appendingPathComponent("nginx-access.log")
            let nginx = try Nginx(
                directory: mirror.directory.appendingPathComponent("nginx", isDirectory: true),
                servers: """
                    log_format seen escape=json '$request_method $uri authorization=[$http_authorization]';
                    server { listen 127.0.0.1:\(port); access_log \(log.path) seen; location /m/ { alias \(mirror.directory.path)/m/; } }
                    """,
                ports: [port])
            defer { nginx.stop() }

            let token = "hf_redirecttesttokenthatmustnotleak"
            let facts = try runClient(
                Self.script, server: mirror.server, cache: mirror.directory.appendingPathComponent("client-cache"),
                environment: ["HF_TOKEN": token])
            expectOnlyLoopback(facts)
            let got = try #require(facts["files"] as? [String: String])
            for file in files where got[file.path] != nil {
                #expect(try Data(contentsOf: URL(fileURLWithPath: got[file.path]!)) == Data(bytes(of: file)), "\(file.path)")
            }

            // The bytes of the weights came from nginx, asked without any Authorization.
            nginx.stop()
            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.contains("GET /m/blobs/sha256/\(weightsHex) authorization=[]"), "\(lines)")
            #expect(lines.allSatisfy { $0.hasSuffix("authorization=[]") }, "a request to the mirror carried Authorization: \(lines)")
            #expect(!lines.joined().contains(token))

            // serve answered the weights with 302 (HEAD and no GET of the bytes), the rest with 200.
            let resolves = mirror.server.accessEntries().filter { $0["route"] as? String == "resolve" }
            let weightsAnswers = resolves.filter { $0["path"] as? String == "model.safetensors" }
            #expect(!weightsAnswers.isEmpty && weightsAnswers.allSatisfy { $0["status"] as? Int == 302 }, "\(weightsAnswers)")
            let extra = resolves.filter { $0["path"] as? String == "onnx/extra/model.safetensors" && $0["method"] as? String == "GET" }
            #expect(extra.contains { $0["status"] as? Int == 200 }, "not in the mirror: served directly: \(resolves)")
            let config = resolves.filter { $0["path"] as? String == "config.json" && $0["method"] as? String == "GET" }
            #expect(config.contains { $0["status"] as? Int == 200 }, "small files are served directly: \(resolves)")
        }
    }
}
