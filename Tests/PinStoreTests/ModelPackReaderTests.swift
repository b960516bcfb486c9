import Foundation
import PinDigest
import PinModel
@testable import PinStore
import Testing

private let hexA = String(repeating: "a", count: 64)
private let hexB = String(repeating: "b", count: 64)
private let hexC = String(repeating: "c", count: 64)

/// A manifest as another tool would write it (JSON text, so the test shows the wire form).
private func manifest(
    artifactType: String? = "application/vnd.cncf.model.manifest.v1+json",
    mediaType: String = "application/vnd.oci.image.manifest.v1+json",
    config: String = "application/vnd.cncf.model.config.v1+json",
    layers: [String]
) -> [UInt8] {
    let artifact = artifactType.map { "\"artifactType\": \"\($0)\"," } ?? ""
    return Array("""
    {"schemaVersion": 2, "mediaType": "\(mediaType)", \(artifact)
     "config": {"mediaType": "\(config)", "digest": "sha256:\(hexC)", "size": 10},
     "layers": [\(layers.joined(separator: ","))]}
    """.utf8)
}

private func layer(_ mediaType: String, digest: String = hexA, size: Int64 = 4, annotations: [String: String] = [:]) -> String {
    let pairs = annotations.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ",")
    return "{\"mediaType\": \"\(mediaType)\", \"digest\": \"sha256:\(digest)\", \"size\": \(size), \"annotations\": {\(pairs)}}"
}

private func problem(_ bytes: [UInt8]) -> SnapshotManifest.Problem? {
    do {
        _ = try ModelPackReader.read(bytes)
        return nil
    } catch {
        return error
    }
}

@Suite struct ModelPackReaderTests {
    @Test func readsTheStoresOwnManifest() throws {
        let rendered = SnapshotManifest.render(SnapshotManifestTests.tiny)
        let model = try ModelPackReader.read(rendered.manifest)
        #expect(model.dialect == .modelPack)
        #expect(model.files.map(\.path) == ["config.json", "model.safetensors"])
        #expect(model.files.map(\.sha256) == SnapshotManifestTests.tiny.files.map(\.sha256))
        #expect(model.files.allSatisfy { !$0.archived })
        #expect(model.config.digest == rendered.configDigest)
    }

    @Test func readsTheOlderCnaiMediaTypesAndTarLayers() throws {
        let bytes = manifest(
            artifactType: "application/vnd.cnai.model.manifest.v1+json", config: "application/vnd.cnai.model.config.v1+json",
            layers: [
                layer("application/vnd.cnai.model.weight.v1.raw", annotations: ["org.cncf.model.filepath": "w/model.safetensors"]),
                layer("application/vnd.cnai.model.doc.v1.tar", digest: hexB, annotations: ["org.opencontainers.image.title": "docs.tar"]),
            ])
        let model = try ModelPackReader.read(bytes)
        #expect(model.dialect == .cnai)
        #expect(model.files.map(\.path) == ["docs.tar", "w/model.safetensors"])
        #expect(model.files.map(\.archived) == [true, false])
    }

    @Test func mapsDockerModelRunnerLayersWithoutTitles() throws {
        let bytes = manifest(
            artifactType: nil, mediaType: "application/vnd.docker.distribution.manifest.v2+json",
            config: "application/vnd.docker.ai.model.config.v0.1+json",
            layers: [
                layer("application/vnd.docker.ai.gguf.v3", size: 100),
                layer("application/vnd.docker.ai.license", digest: hexB),
                layer("application/vnd.docker.ai.license", digest: hexC),
            ])
        let model = try ModelPackReader.read(bytes)
        #expect(model.dialect == .dockerModel)
        #expect(model.files.map(\.path) == ["LICENSE", "LICENSE-2", "model.gguf"])
        #expect(model.files.first { $0.path == "model.gguf" }?.size == 100)
    }

    /// Each refusal names the field, and the media type where one is at fault.
    @Test(arguments: [
        (manifest(layers: [layer("application/vnd.cncf.model.weight.v1.tar+zstd", annotations: ["org.cncf.model.filepath": "a"])]),
         "layers[0].mediaType", "compressed"),
        (manifest(layers: [layer("application/vnd.example.thing", annotations: ["org.cncf.model.filepath": "a"])]),
         "layers[0].mediaType", "application/vnd.example.thing"),
        (manifest(artifactType: "application/vnd.example.other", layers: [layer("application/vnd.cncf.model.weight.v1.raw")]),
         "artifactType", "application/vnd.example.other"),
        (manifest(artifactType: nil, config: "application/vnd.oci.image.config.v1+json", layers: []),
         "config.mediaType", "application/vnd.oci.image.config.v1+json"),
        (manifest(layers: [layer("application/vnd.cncf.model.weight.v1.raw")]), "layers[0].annotations", "no path"),
        (manifest(layers: [layer("application/vnd.cncf.model.weight.v1.raw", annotations: ["org.cncf.model.filepath": "../etc/passwd"])]),
         "layers[0].annotations", "../etc/passwd"),
        (manifest(layers: [layer("application/vnd.cncf.model.weight.v1.raw", annotations: ["org.cncf.model.filepath": "/abs"])]),
         "layers[0].annotations", "/abs"),
        (manifest(layers: [
            layer("application/vnd.cncf.model.weight.v1.raw", annotations: ["org.cncf.model.filepath": "a"]),
            layer("application/vnd.cncf.model.doc.v1.raw", digest: hexB, annotations: ["org.cncf.model.filepath": "a"]),
        ]), "layers[1].annotations", "earlier layer"),
        (manifest(layers: [layer("application/vnd.cncf.model.weight.v1.raw", size: -1, annotations: ["org.cncf.model.filepath": "a"])]),
         "layers[0].size", "negative"),
        (manifest(layers: [layer("application/vnd.cncf.model.weight.v1.raw", digest: "zz", annotations: ["org.cncf.model.filepath": "a"])]),
         "layers[0].digest", ""),
        (manifest(mediaType: "application/vnd.oci.image.index.v1+json", layers: []), "mediaType", "index"),
        (manifest(layers: []), "layers", "empty"),
        (Array("{\"schemaVersion\": 2, \"layers\": [], \"config\": 1}".utf8), "", "config"),
    ])
    func refusesWhatItDoesNotUnderstand(bytes: [UInt8], field: String, mention: String) throws {
        let refusal = try #require(problem(bytes))
        #expect(refusal.field == field, "\(refusal)")
        #expect(mention.isEmpty || refusal.description.contains(mention), "\(refusal)")
    }

    @Test func refusesAnOversizedManifestBeforeParsing() throws {
        let refusal = try #require(problem([UInt8](repeating: 0x20, count: ModelPackReader.maximumSize + 1)))
        #expect(refusal.reason.contains("larger than"))
    }
}

@Suite struct SnapshotArtifactsTests {
    private static let commit = String(repeating: "a", count: 40)

    @Test func referrerManifestsAreCanonicalAndNameTheirSubject() throws {
        let subject = Descriptor(mediaType: MediaType.imageManifest, digest: SHA256.hash(Array("m".utf8)), size: 1)
        let lock = Attachment(artifactType: Attachment.Kind.lock, name: "modelpin.lock", payload: Array("version = 1\n".utf8))
        let first = ReferrerManifest.render(lock, subject: subject)
        let again = ReferrerManifest.render(lock, subject: subject)
        #expect(first == again)
        guard case .memory(let bytes) = first.manifest.bytes else { Issue.record("manifest not in memory"); return }
        #expect(first.manifest.descriptor.digest == SHA256.hash(bytes))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(json["artifactType"] as? String == Attachment.Kind.lock)
        #expect((json["subject"] as? [String: Any])?["digest"] as? String == subject.digest.description)
        #expect(((json["config"] as? [String: Any])?["mediaType"] as? String) == ReferrerManifest.emptyConfigMediaType)
        #expect(first.blobs.map(\.descriptor.digest).contains(SHA256.hash(lock.payload)))
        let other = ReferrerManifest.render(Attachment(artifactType: lock.artifactType, name: lock.name, payload: Array("x".utf8)), subject: subject)
        #expect(other.manifest.descriptor.digest != first.manifest.descriptor.digest)
    }

    @Test func aRecordedSnapshotsArtifactsAreTheStoresOwnBytes() throws {
        try StoreFixture.with { fixture in
            var files: [StoredSnapshot.File] = []
            for (path, text) in [("model.safetensors", "weights"), ("config.json", "{}")] {
                let bytes = Array(text.utf8)
                let result = try fixture.store.ingest(file: try fixture.file(UUID().uuidString, bytes))
                files.append(.init(path: path, sha256: result.digest, size: Int64(bytes.count), gitBlobID: nil, lfs: false))
            }
            let repo = try RepoID(parsing: "org/model")
            let digest = try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: Self.commit, endpoint: nil, files: files), revision: "main")
            let attachments = [Attachment(artifactType: Attachment.Kind.scanReport, name: "scan.json", payload: Array("{}".utf8))]
            let artifacts = try #require(try fixture.store.snapshotArtifacts(repo: repo, revision: "main", attachments: attachments))
            #expect(artifacts.manifest.descriptor.digest == digest)
            #expect(artifacts.referenceName == "org/model:\(Self.commit)")
            guard case .memory(let bytes) = artifacts.manifest.bytes else { Issue.record("manifest not in memory"); return }
            #expect(bytes == (try fixture.contents(fixture.store.blobPath(digest))))
            #expect(artifacts.layers.map(\.bytes) == artifacts.snapshot.files.map { .file(fixture.store.blobPath($0.sha256)) })
            #expect(artifacts.referrers.count == 1)
            #expect(try fixture.store.snapshotArtifacts(repo: repo, revision: "other", attachments: []) == nil)
            #expect(try fixture.store.snapshotArtifacts(repo: repo, revision: "main", attachments: attachments) == artifacts)
        }
    }
}
