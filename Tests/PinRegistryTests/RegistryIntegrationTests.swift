import Foundation
import PinDigest
import PinModel
import PinRegistry
import PinTestSupport
import PinTransport
import Testing

/// The client against Debian's docker-registry (distribution 2.8) on 127.0.0.1, started by
/// each test; hostile cases through a `RegistryProxy` in front of it.
@Suite("RegistryClient against docker-registry")
struct RegistryIntegrationTests {
    @Test("push blobs and a manifest, read them back; a second push sends nothing; tags list it")
    func pushAndPull() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let config = try Fixture.blob(directory, "config", text: "{}")
            let layer = try Fixture.blob(directory, "layer", count: 300_000, seed: 1)
            let client = try Fixture.client(registry.reference("models/tiny"))
            #expect(try client.pushBlob(layer.digest, size: layer.size, file: layer.file.path) == .uploaded(resumedFrom: 0))
            #expect(try client.pushBlob(config.digest, size: config.size, file: config.file.path) == .uploaded(resumedFrom: 0))
            let bytes = Fixture.manifest(config: config, layers: [layer])
            let put = try client.putManifest(bytes, mediaType: RegistryMediaType.ociManifest, reference: "v1")
            #expect(put.digest == SHA256.hash(bytes))

            // A fresh client (no shared state) reads it back, by tag and by digest.
            let reader = try Fixture.client(registry.reference("models/tiny"))
            let byTag = try reader.manifest("v1")
            #expect(byTag.bytes == bytes)
            #expect(byTag.digest == put.digest)
            #expect(byTag.mediaType == RegistryMediaType.ociManifest)
            #expect(try reader.manifest(put.digest.description).bytes == bytes)
            #expect(try Fixture.read(reader, layer.digest) == layer.bytes)
            #expect(try reader.blobSize(layer.digest) == layer.size)
            #expect(try reader.tags() == ["v1"])

            // HEAD first: everything is there, nothing is uploaded again.
            #expect(try client.pushBlob(layer.digest, size: layer.size, file: layer.file.path) == .present)
            let missing = SHA256.hash(Array("nothing".utf8))
            #expect(try reader.blobSize(missing) == nil)
            #expect {
                _ = try reader.manifest("v2")
            } throws: { error in
                guard case .notFound = error as? RegistryError else { return false }
                return rendered(error).contains(registry.authority) && rendered(error).contains("models/tiny")
            }
        }
    }

    @Test("a blob in another repository of the registry is mounted, not uploaded")
    func crossRepositoryMount() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let proxy = try RegistryProxy(upstream: registry.baseURL)
            let layer = try Fixture.blob(directory, "layer", count: 200_000, seed: 2)
            _ = try Fixture.client(proxy.reference("team/a")).pushBlob(layer.digest, size: layer.size, file: layer.file.path)
            let uploadedBefore = proxy.exchanges.filter { $0.method == "PUT" || $0.method == "PATCH" }.map(\.bodyBytes).reduce(0, +)
            let outcome = try Fixture.client(proxy.reference("team/b")).pushBlob(layer.digest, size: layer.size, file: layer.file.path, mountFrom: ["team/a"])
            #expect(outcome == .mounted(from: "team/a"))
            let uploadedAfter = proxy.exchanges.filter { $0.method == "PUT" || $0.method == "PATCH" }.map(\.bodyBytes).reduce(0, +)
            #expect(uploadedAfter == uploadedBefore)
            #expect(try Fixture.read(Fixture.client(registry.reference("team/b")), layer.digest) == layer.bytes)
        }
    }

    @Test("chunked upload in PATCHes of the chunk size")
    func chunked() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let proxy = try RegistryProxy(upstream: registry.baseURL)
            let layer = try Fixture.blob(directory, "layer", count: (3 << 20) + 12345, seed: 3)
            let client = try Fixture.client(proxy.reference("chunks"), options: Fixture.options(chunked: true))
            #expect(try client.pushBlob(layer.digest, size: layer.size, file: layer.file.path) == .uploaded(resumedFrom: 0))
            let patches = proxy.exchanges.filter { $0.method == "PATCH" }
            #expect(patches.map(\.bodyBytes) == [1 << 20, 1 << 20, 1 << 20, 12345])
            #expect(try Fixture.read(Fixture.client(registry.reference("chunks")), layer.digest) == layer.bytes)
        }
    }

    @Test("a push cancelled after some chunks resumes from the registry's Range, re-sending less than the whole")
    func interruptedPushResumes() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let proxy = try RegistryProxy(upstream: registry.baseURL)
            let journal = directory.appendingPathComponent("journal")
            let layer = try Fixture.blob(directory, "layer", count: 5 << 20, seed: 4)
            let options = Fixture.options(journal: journal, chunked: true)
            // Ctrl-C once the registry has confirmed 2 MiB.
            let cancellation = CancellationFlag()
            let first = try Fixture.client(proxy.reference("resume"), options: options, cancellation: cancellation)
            expectRegistryError(.cancelled) {
                _ = try first.pushBlob(layer.digest, size: layer.size, file: layer.file.path) { confirmed in
                    if confirmed >= 2 << 20 { cancellation.cancel() }
                }
            }
            let sentBefore = proxy.exchanges.filter { $0.method == "PATCH" || $0.method == "PUT" }.map(\.bodyBytes).reduce(0, +)
            #expect(try FileManager.default.contentsOfDirectory(atPath: journal.path).count == 1)

            let second = try Fixture.client(proxy.reference("resume"), options: options)
            #expect(try second.pushBlob(layer.digest, size: layer.size, file: layer.file.path) == .uploaded(resumedFrom: 2 << 20))
            let sentAfter = proxy.exchanges.filter { $0.method == "PATCH" || $0.method == "PUT" }.map(\.bodyBytes).reduce(0, +) - sentBefore
            #expect(sentAfter == (3 << 20), "the second push sent only what the registry did not have")
            #expect(sentAfter < Int(layer.size))
            // The resume asked the registry where it stood (GET on the upload location).
            #expect(proxy.exchanges.contains { $0.method == "GET" && $0.path.contains("/blobs/uploads/") && $0.status == 204 })
            #expect(try FileManager.default.contentsOfDirectory(atPath: journal.path).isEmpty)
            #expect(try Fixture.read(Fixture.client(registry.reference("resume")), layer.digest) == layer.bytes)
        }
    }

    @Test("a journalled session the registry forgot (cut mid-PATCH) starts over and still completes")
    func staleSessionStartsOver() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let journal = directory.appendingPathComponent("journal")
            let layer = try Fixture.blob(directory, "layer", count: 3 << 20, seed: 5)
            let options = Fixture.options(journal: journal, chunked: true)
            let first = try Fixture.client(registry.reference("stale"), options: options)
            _ = try first.pushBlob(layer.digest, size: layer.size, file: layer.file.path) { _ in }
            // A journal pointing at a session that is gone (a made-up upload id).
            let entry = UploadJournalEntry(registry: registry.authority, repository: "stale2", digest: layer.digest, size: layer.size,
                                           location: "\(registry.baseURL)/v2/stale2/blobs/uploads/00000000-0000-0000-0000-000000000000?_state=x",
                                           confirmed: 1 << 20)
            try UploadJournal(directory: journal.path).write(entry)
            let second = try Fixture.client(registry.reference("stale2"), options: options)
            #expect(try second.pushBlob(layer.digest, size: layer.size, file: layer.file.path) == .uploaded(resumedFrom: 0))
            #expect(try Fixture.read(second, layer.digest) == layer.bytes)
        }
    }

    @Test("a 500 on the 2nd PATCH is retried and the push completes")
    func serverErrorMidUpload() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let proxy = try RegistryProxy(upstream: registry.baseURL, intercept: RegistryProxy.failing("PATCH", nth: 1))
            let layer = try Fixture.blob(directory, "layer", count: (3 << 20) + 7, seed: 6)
            let client = try Fixture.client(proxy.reference("flaky"), options: Fixture.options(journal: directory.appendingPathComponent("j"), chunked: true))
            #expect(try client.pushBlob(layer.digest, size: layer.size, file: layer.file.path) == .uploaded(resumedFrom: 0))
            #expect(proxy.exchanges.contains { $0.intercepted && $0.status == 500 })
            // The failed chunk was sent again, nothing more.
            let patched = proxy.exchanges.filter { $0.method == "PATCH" && !$0.intercepted }.map(\.bodyBytes).reduce(0, +)
            #expect(patched == Int(layer.size))
            #expect(try Fixture.read(Fixture.client(registry.reference("flaky")), layer.digest) == layer.bytes)
        }
    }

    @Test("a registry refusing PATCH gets the blob in one PUT")
    func patchRefused() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let proxy = try RegistryProxy(upstream: registry.baseURL) { request, _ in
                request.method == "PATCH" ? .text(405, "no PATCH here") : nil
            }
            let layer = try Fixture.blob(directory, "layer", count: 2 << 20, seed: 7)
            let client = try Fixture.client(proxy.reference("monolithic"), options: Fixture.options(chunked: true))
            #expect(try client.pushBlob(layer.digest, size: layer.size, file: layer.file.path) == .uploaded(resumedFrom: 0))
            #expect(try Fixture.read(client, layer.digest) == layer.bytes)
        }
    }

    @Test("a manifest whose bytes are not the digest asked for is refused; so is a lying Docker-Content-Digest")
    func lyingManifest() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let config = try Fixture.blob(directory, "config", text: "{}")
            let layer = try Fixture.blob(directory, "layer", count: 1000, seed: 8)
            let honest = try Fixture.pushImage(Fixture.client(registry.reference("lies")), config: config, layers: [layer], tag: "v1")
            let other = try Fixture.blob(directory, "other", count: 1000, seed: 9)
            let forged = Fixture.manifest(config: config, layers: [other])
            let lyingDigest = SHA256.hash(honest).description
            let proxy = try RegistryProxy(upstream: registry.baseURL) { request, _ in
                guard request.path.contains("/manifests/") else { return nil }
                let header = request.path.hasSuffix("/v1") ? [("Docker-Content-Digest", lyingDigest)] : []
                return LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", RegistryMediaType.ociManifest)] + header, body: .bytes(forged))
            }
            let client = try Fixture.client(proxy.reference("lies"))
            for reference in [SHA256.hash(honest).description, "v1"] {
                #expect {
                    _ = try client.manifest(reference)
                } throws: { error in
                    guard case .digestMismatch = error as? RegistryError else { return false }
                    return rendered(error).contains(SHA256.hash(forged).description)
                }
            }
        }
    }

    @Test("plain http to a registry that is not loopback is refused unless forced loudly")
    func plainHTTPRefused() throws {
        let options = Fixture.options()
        expectRegistryError(.plainHTTPRefused(registry: "registry.example:5000")) {
            _ = try Fixture.client("oci://registry.example:5000/a", options: options)
        }
        expectRegistryError(.plainHTTPRefused(registry: "10.0.0.1")) {
            _ = try Fixture.client("oci://10.0.0.1/a", options: options)
        }
        var forced = options
        forced.allowInsecureRegistry = true
        _ = try Fixture.client("oci://registry.example:5000/a", options: forced)
        _ = try Fixture.client("oci://localhost:5000/a", options: options)
    }
}

/// Whether `body` throws a RegistryError whose message is `expected`'s.
func expectRegistryError(_ expected: RegistryError, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    #expect(sourceLocation: sourceLocation) {
        try body()
    } throws: { error in
        (error as? RegistryError)?.description == expected.description
    }
}

@Suite("RegistryClient against hostile answers")
struct RegistryHostileTests {
    @Test("OCI-Chunk-Min-Length raises the PATCH size")
    func chunkMinimum() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let proxy = try RegistryProxy(upstream: registry.baseURL, amend: { request, response in
                guard request.method == "POST" else { return response }
                var amended = response
                amended.headers.append(("OCI-Chunk-Min-Length", "\(2 << 20)"))
                return amended
            })
            let layer = try Fixture.blob(directory, "layer", count: (5 << 20) + 1, seed: 51)
            let client = try Fixture.client(proxy.reference("minimum"), options: Fixture.options(chunked: true))
            #expect(try client.pushBlob(layer.digest, size: layer.size, file: layer.file.path) == .uploaded(resumedFrom: 0))
            #expect(proxy.exchanges.filter { $0.method == "PATCH" }.map(\.bodyBytes) == [2 << 20, 2 << 20, (1 << 20) + 1])
            #expect(try Fixture.read(Fixture.client(registry.reference("minimum")), layer.digest) == layer.bytes)
        }
    }

    @Test("a manifest larger than the limit is refused without reading it all")
    func oversizedManifest() throws {
        let huge = [UInt8](repeating: 0x20, count: 5 << 20)
        let server = try LoopbackHTTPServer { _ in
            LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", RegistryMediaType.ociManifest)], body: .bytes(huge))
        }
        let client = try Fixture.client("oci://127.0.0.1:\(server.port)/big")
        #expect {
            _ = try client.manifest("v1")
        } throws: { error in
            guard case .tooLarge(_, "big", _, 4 << 20) = error as? RegistryError else { return false }
            return true
        }
    }

    @Test("a Content-Type that disagrees with the manifest's mediaType is refused")
    func mediaTypeConfusion() throws {
        let index = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.utf8)
        let server = try LoopbackHTTPServer { _ in
            LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", RegistryMediaType.ociManifest)], body: .bytes(index))
        }
        #expect(throws: RegistryError.self) { try Fixture.client("oci://127.0.0.1:\(server.port)/confused").manifest("v1") }
    }

    @Test("a registry serving other bytes for a layer: the bytes reach the caller, whose hash refuses them")
    func lyingLayer() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"))
            let layer = try Fixture.blob(directory, "layer", count: 4096, seed: 52)
            _ = try Fixture.client(registry.reference("lying")).pushBlob(layer.digest, size: layer.size, file: layer.file.path)
            let forged = pseudoRandomBytes(count: 4096, seed: 53)
            let proxy = try RegistryProxy(upstream: registry.baseURL, intercept: RegistryProxy.lyingBlob(layer.digest.description, bytes: forged))
            let read = try Fixture.read(Fixture.client(proxy.reference("lying")), layer.digest)
            #expect(read == forged)
            #expect(SHA256.hash(read) != layer.digest)
        }
    }

    @Test("a 401 without a challenge, or with one we cannot parse, is a clear refusal")
    func badChallenges() throws {
        for header in [nil, #"Bearer realm="unterminated"#, "Negotiate"] as [String?] {
            let server = try LoopbackHTTPServer { _ in
                LoopbackHTTPServer.Response(status: 401, headers: header.map { [("WWW-Authenticate", $0)] } ?? [], body: .bytes([]))
            }
            let client = try Fixture.client("oci://127.0.0.1:\(server.port)/a", credentials: Fixture.credentials("u", "secret-pw"))
            #expect {
                _ = try client.manifest("v1")
            } throws: { error in
                guard case .badChallenge = error as? RegistryError else { return false }
                return !rendered(error).contains("secret-pw")
            }
        }
    }
}
