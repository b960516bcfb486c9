import Foundation
import PinDigest
import PinModel
import PinRegistry
import PinTestSupport
import Testing

/// Referrers: distribution 2.8 has no referrers API, so pushing a manifest with `subject`
/// updates the `sha256-<hex>` fallback tag; the API path is checked against a fake registry.
@Suite("RegistryClient referrers")
struct ReferrersTests {
    @Test("without OCI-Subject, a referrer lands in the sha256-<hex> fallback index, and is listed from it")
    func fallbackTag() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let client = try Fixture.client(registry.reference("models/signed"))
            let config = try Fixture.blob(directory, "config", text: "{}")
            let layer = try Fixture.blob(directory, "layer", count: 1000, seed: 21)
            let subjectBytes = try Fixture.pushImage(client, config: config, layers: [layer], tag: "v1")
            let subject = (SHA256.hash(subjectBytes), Int64(subjectBytes.count))
            #expect(try client.referrers(of: subject.0).isEmpty)

            let empty = try Fixture.blob(directory, "empty", text: "{}")
            var pushed: [SHA256Digest] = []
            for (name, type) in [("signature", "application/vnd.modelpin.signature"), ("scan", "application/vnd.modelpin.scan-report")] {
                let payload = try Fixture.blob(directory, name, text: "\(name) of \(subject.0)")
                for blob in [empty, payload] { _ = try client.pushBlob(blob.digest, size: blob.size, file: blob.file.path) }
                let bytes = Fixture.manifest(config: empty, configType: RegistryMediaType.ociEmpty, layers: [payload], subject: subject, artifactType: type)
                let outcome = try client.putManifest(bytes, mediaType: RegistryMediaType.ociManifest, reference: SHA256.hash(bytes).description)
                #expect(outcome.subjectAccepted == false)
                #expect(outcome.fallbackTagUpdated)
                pushed.append(outcome.digest)
            }
            // Pushing the same referrer again does not list it twice.
            let again = try client.referrers(of: subject.0)
            #expect(Set(again.map(\.digest)) == Set(pushed))
            #expect(again.count == 2)
            #expect(Set(again.compactMap(\.artifactType)) == ["application/vnd.modelpin.signature", "application/vnd.modelpin.scan-report"])
            let signatures = try client.referrers(of: subject.0, artifactType: "application/vnd.modelpin.signature")
            #expect(signatures.map(\.digest) == [pushed[0]])
            // The fallback is an ordinary tag any OCI tool can read.
            #expect(try client.tags().contains(RegistryClient.fallbackTag(for: subject.0)))
        }
    }

    @Test("the referrers API is used where the registry has it, filtered here when it did not filter")
    func referrersAPI() throws {
        let subject = SHA256.hash(Array("subject".utf8))
        let a = SHA256.hash(Array("a".utf8))
        let b = SHA256.hash(Array("b".utf8))
        let index = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(a)","size":10,"artifactType":"x/sig","annotations":{"k":"v"}},
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(b)","size":11,"artifactType":"x/scan"}]}
            """
        let server = try LoopbackHTTPServer { request in
            guard request.path == "/v2/fake/repo/referrers/\(subject)" else { return .text(404, #"{"errors":[]}"#) }
            return LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", "application/vnd.oci.image.index.v1+json")], body: .bytes(Array(index.utf8)))
        }
        let client = try Fixture.client("oci://127.0.0.1:\(server.port)/fake/repo")
        let all = try client.referrers(of: subject)
        #expect(all.map(\.digest) == [a, b])
        #expect(all[0].annotations == ["k": "v"])
        #expect(try client.referrers(of: subject, artifactType: "x/scan").map(\.digest) == [b])
        // A referrers answer that is not an index of sha256 descriptors is refused.
        let broken = try LoopbackHTTPServer { _ in .text(200, #"{"manifests":[{"digest":"md5:00","size":1,"mediaType":"x"}]}"#) }
        #expect(throws: RegistryError.self) { try Fixture.client("oci://127.0.0.1:\(broken.port)/r").referrers(of: subject) }
    }
}

@Suite("RegistryClient listings and Docker manifests")
struct ListingTests {
    @Test("tags follow Link pagination on the registry's own origin only")
    func pagination() throws {
        let server = try LoopbackHTTPServer { request in
            switch request.target {
            case "/v2/paged/tags/list":
                return .text(200, #"{"name":"paged","tags":["a","b"]}"#, headers: [("Link", #"</v2/paged/tags/list?last=b&n=2>; rel="next""#)])
            case "/v2/paged/tags/list?last=b&n=2":
                // A next page on another host is not followed (it would be another registry).
                return .text(200, #"{"name":"paged","tags":["c"]}"#, headers: [("Link", #"<http://198.51.100.7/v2/paged/tags/list?last=c>; rel="next""#)])
            default:
                return .text(404, "{}")
            }
        }
        #expect(try Fixture.client("oci://127.0.0.1:\(server.port)/paged").tags() == ["a", "b", "c"])
    }

    @Test("a Docker v2 manifest (Docker Model Runner's kind) is pushed and read back with its media type")
    func dockerManifest() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let client = try Fixture.client(registry.reference("ai/model"))
            let config = try Fixture.blob(directory, "config", text: #"{"config":{"format":"gguf"}}"#)
            let layer = try Fixture.blob(directory, "layer", count: 2048, seed: 61)
            for blob in [config, layer] { _ = try client.pushBlob(blob.digest, size: blob.size, file: blob.file.path) }
            let manifest = """
                {"schemaVersion":2,"mediaType":"\(RegistryMediaType.dockerManifest)",
                 "config":{"mediaType":"application/vnd.docker.ai.model.config.v0.1+json","digest":"\(config.digest)","size":\(config.size)},
                 "layers":[{"mediaType":"application/vnd.docker.ai.gguf.v3","digest":"\(layer.digest)","size":\(layer.size)}]}
                """
            let put = try client.putManifest(Array(manifest.utf8), mediaType: RegistryMediaType.dockerManifest, reference: "latest")
            let fetched = try Fixture.client(registry.reference("ai/model")).manifest("latest")
            #expect(fetched.mediaType == RegistryMediaType.dockerManifest)
            #expect(fetched.digest == put.digest)
            #expect(fetched.bytes == Array(manifest.utf8))
        }
    }
}
