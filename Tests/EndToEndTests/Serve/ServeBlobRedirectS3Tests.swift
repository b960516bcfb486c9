import Foundation
import PinTestSupport
import Testing

/// `serve --blob-redirect s3://BUCKET/PREFIX` with a real bucket (SeaweedFS on 127.0.0.1): the
/// real huggingface_hub, holding a token for serve, gets an LFS file's metadata from serve's 302
/// and its bytes from the bucket by a presigned URL — a request with no Authorization header,
/// signed by its query alone. The bucket sits behind a recording proxy (that forwards the
/// client's Host, which SigV4 signs) so the test sees exactly what reached it.
@Suite(.tags(.pythonClients), .enabled(if: PythonClients.enabled)) struct ServeBlobRedirectS3Tests {
    @Test func anLFSFileComesFromTheBucketByAPresignedURLWithoutAuthorization() throws {
        let s3 = try S3Server.shared
        let bucket = try s3.makeBucket("redirect")
        let proxy = try RegistryProxy(upstream: s3.endpoint, keepsHost: true)
        defer { proxy.stop() }
        let files = try ServeClientTests.files(weightsSeed: 11)
        let weights = try #require(files.first { $0.path == "model.safetensors" })
        let weightsHex = sha256Hex(Data(bytes(of: weights)))
        // Only the main weights are in the bucket: the other LFS file must be served directly.
        try s3.replaceObject(bucket: bucket, key: "m/blobs/sha256/\(weightsHex)", with: bytes(of: weights))
        var environment = s3.environment
        environment["AWS_ENDPOINT_URL_S3"] = proxy.baseURL
        let repo = FakeHub.Repo(id: "acme/tiny-bert", refs: ["main": ServeClientTests.commit], commits: [ServeClientTests.commit: files])
        try MirrorSandbox.with(repos: [repo], pulls: ["acme/tiny-bert"], serveArguments: ["--blob-redirect", "s3://\(bucket)/m"],
                               serveEnvironment: environment) { mirror in
            let token = "hf_s3redirecttokenthatmustnotleak"
            let facts = try runClient(
                ServeBlobRedirectTests.script, server: mirror.server, cache: mirror.directory.appendingPathComponent("client-cache"),
                environment: ["HF_TOKEN": token])
            expectOnlyLoopback(facts)
            let got = try #require(facts["files"] as? [String: String])
            #expect(got.count == 3, "\(got)")
            for file in files where got[file.path] != nil {
                #expect(try Data(contentsOf: URL(fileURLWithPath: got[file.path]!)) == Data(bytes(of: file)), "\(file.path)")
            }

            // The weights' bytes came from the bucket: a GET of the blob's key with no
            // Authorization header (the presigned query carries the signature).
            let blobKey = "/\(bucket)/m/blobs/sha256/\(weightsHex)"
            let gets = proxy.exchanges.filter { $0.method == "GET" && $0.path == blobKey }
            #expect(!gets.isEmpty && gets.allSatisfy { $0.status == 200 && !$0.authorized }, "\(proxy.exchanges)")

            // serve answered the weights with 302, the file not in the bucket with 200.
            let resolves = mirror.server.accessEntries().filter { $0["route"] as? String == "resolve" }
            let weightsAnswers = resolves.filter { $0["path"] as? String == "model.safetensors" }
            #expect(!weightsAnswers.isEmpty && weightsAnswers.allSatisfy { $0["status"] as? Int == 302 }, "\(weightsAnswers)")
            let extra = resolves.filter { $0["path"] as? String == "onnx/extra/model.safetensors" && $0["method"] as? String == "GET" }
            #expect(extra.contains { $0["status"] as? Int == 200 }, "not in the bucket: served directly: \(resolves)")
        }
    }
}
