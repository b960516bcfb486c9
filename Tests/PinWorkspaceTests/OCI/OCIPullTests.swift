import Foundation
import PinDigest
import PinLock
import PinModel
import PinStore
import PinTestSupport
import PinTransport
import SystemPackage
@testable import PinWorkspace
import Testing

/// `pull oci://…` through the whole pipeline, against a registry played in process: the
/// manifest is the snapshot, its layers the files, each checked and scanned like a Hub's.
@Suite("Pulling a model from an OCI registry")
struct OCIPullTests {
    static let repository = "oci://registry.test/models/tiny"

    /// The tiny model as modelpin pushes it: the store's own ModelPack manifest, and its blobs.
    static func publish(_ registry: FakeRegistry, tag: String = "v1") throws -> (manifest: SHA256Digest, files: [StoredSnapshot.File]) {
        let files = try TestWorkspace.tinyFiles.map { file in
            guard case .bytes(let bytes) = file.content else { throw CocoaError(.fileReadUnknown) }
            registry.put(blob: bytes)
            return StoredSnapshot.File(
                path: file.path, sha256: SHA256.hash(bytes), size: Int64(bytes.count), gitBlobID: GitBlobHasher.id(of: bytes), lfs: file.lfs)
        }
        let rendered = SnapshotManifest.render(StoredSnapshot(
            repo: try RepoID(parsing: "acme/tiny-model"), commit: TestWorkspace.commit, endpoint: TestWorkspace.hubBase, files: files))
        registry.put(blob: rendered.config)
        return (registry.put(manifest: rendered.manifest, tag: tag), files)
    }

    static func with(_ body: (TestWorkspace, FakeRegistry) throws -> Void) throws {
        var registry: FakeRegistry?
        try TestWorkspace.with(configure: { _ in }) { workspace in
            let fake = FakeRegistry(http: workspace.http)
            registry = fake
            _ = registry
            try body(workspace, fake)
        }
    }

    func puller(_ workspace: TestWorkspace, _ registry: FakeRegistry) -> Puller {
        var settings = workspace.settings
        settings.registry = registry.access
        return Puller(store: workspace.store, settings: settings, events: workspace.reporter, cancellation: workspace.cancellation)
    }

    func request(_ workspace: TestWorkspace, revision: String) -> PullRequest {
        var request = PullRequest(name: Self.repository, revision: revision, workingDirectory: workspace.directory)
        request.destination = workspace.destination
        return request
    }

    @Test func aTagResolvesToTheManifestAndEveryLayerIsFetchedCheckedAndLaidOut() throws {
        try Self.with { workspace, registry in
            let (manifest, files) = try Self.publish(registry)
            let summary = try puller(workspace, registry).pull(request(workspace, revision: "v1"))

            #expect(summary.repo == Self.repository)
            #expect(summary.manifest == manifest.description)
            #expect(summary.commit == manifest.hex)
            #expect(Set(summary.files.map(\.path)) == Set(files.map(\.path)))
            #expect(try workspace.pulled("model.safetensors") == TestWorkspace.weights)
            #expect(try workspace.pulled("tokenizer/tokenizer.json") == TestWorkspace.tokenizer)
            #expect(try workspace.storedBlobsMatchTheirNames())
            // Every file came from the registry, with its token, and none from the Hub.
            #expect(workspace.requests(containing: "hub.test").isEmpty && workspace.requests(containing: "cdn.test").isEmpty)
            #expect(workspace.requests(containing: "registry.test/v2/models/tiny/blobs/").count == files.count)
            // The store recorded it under the registry's name, at the manifest's digest.
            let recorded = try #require(try workspace.store.snapshot(repo: OCIIdentity.storeRepo(for: Self.repository), revision: manifest.hex))
            #expect(recorded.files.map(\.sha256) == files.sorted { $0.path < $1.path }.map(\.sha256))
        }
    }

    @Test func aDigestReferenceMustNameTheManifestServed() throws {
        try Self.with { workspace, registry in
            let (manifest, _) = try Self.publish(registry)
            let summary = try puller(workspace, registry).pull(request(workspace, revision: manifest.description))
            #expect(summary.manifest == manifest.description)
        }
    }

    @Test func aLayerWhoseBytesLieIsRefusedAndNothingIsKept() throws {
        try Self.with { workspace, registry in
            _ = try Self.publish(registry)
            // The registry serves other bytes (same size) under the weights' digest.
            var flipped = TestWorkspace.weights
            flipped[flipped.count / 3] ^= 0x40
            registry.put(blob: flipped, as: SHA256.hash(TestWorkspace.weights).hex)

            let error = #expect(throws: (any Error).self) { try puller(workspace, registry).pull(request(workspace, revision: "v1")) }
            #expect((error as? any ModelpinError)?.kind == .refused)
            #expect(!workspace.stores(flipped) && !workspace.stores(TestWorkspace.weights))
            #expect(try workspace.storedBlobsMatchTheirNames())
            #expect(!FileManager.default.fileExists(atPath: workspace.destination.appending("model.safetensors").string))
            #expect(try workspace.store.snapshots().isEmpty)
        }
    }

    @Test(arguments: [
        ("../escape.bin", "`..`"),
        ("/etc/passwd", "absolute"),
        (".git/config", ".git"),
    ])
    func aManifestWithAnUnsafePathIsRefusedBeforeAnyFetch(path: String, mentions: String) throws {
        try Self.with { workspace, registry in
            let bytes = Array("payload".utf8)
            registry.put(blob: bytes)
            let manifest = Self.manifestText(layers: [(path, SHA256.hash(bytes), bytes.count)])
            registry.put(manifest: Array(manifest.utf8), tag: "evil")
            let error = #expect(throws: OCIError.self) { try puller(workspace, registry).pull(request(workspace, revision: "evil")) }
            #expect(error?.kind == .refused)
            #expect(workspace.requests(containing: "/blobs/").isEmpty)
        }
    }

    @Test func aManifestThatIsNoModelIsRefusedNamingTheField() throws {
        try Self.with { workspace, registry in
            let image = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "0", count: 64))","size":2},"layers":[]}"#
            registry.put(manifest: Array(image.utf8), tag: "image")
            let error = #expect(throws: OCIError.self) { try puller(workspace, registry).pull(request(workspace, revision: "image")) }
            // The reader of other tools' manifests names the field that makes it no model.
            let cause = error?.causes.first ?? ""
            #expect(cause.contains("artifactType") || cause.contains("mediaType"), "\(cause)")
        }
    }

    /// Another tool's ModelPack manifest (the older vnd.cnai media types, no modelpin
    /// annotations): its layers are the files, each checked against its digest.
    @Test func anotherToolsModelPackManifestIsPulledFileByFile() throws {
        try Self.with { workspace, registry in
            registry.put(blob: TestWorkspace.weights)
            registry.put(blob: TestWorkspace.config)
            let layers = [("model.safetensors", TestWorkspace.weights), ("config.json", TestWorkspace.config)].map { path, bytes in
                #"{"mediaType":"application/vnd.cnai.model.weight.v1.raw","digest":"\#(SHA256.hash(bytes))","size":\#(bytes.count),"annotations":{"org.cnai.model.filepath":"\#(path)","org.opencontainers.image.title":"\#(path)"}}"#
            }
            let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cnai.model.manifest.v1+json","config":{"mediaType":"application/vnd.cnai.model.config.v1+json","digest":"sha256:\#(String(repeating: "0", count: 64))","size":2},"layers":[\#(layers.joined(separator: ","))]}"#
            registry.put(manifest: Array(manifest.utf8), tag: "cnai")
            let summary = try puller(workspace, registry).pull(request(workspace, revision: "cnai"))
            #expect(Set(summary.files.map(\.path)) == ["model.safetensors", "config.json"])
            #expect(try workspace.pulled("model.safetensors") == TestWorkspace.weights)
        }
    }

    @Test func offlineThePullUsesTheStoresRecordOfTheManifest() throws {
        try Self.with { workspace, registry in
            let (manifest, _) = try Self.publish(registry)
            _ = try puller(workspace, registry).pull(request(workspace, revision: "v1"))
            workspace.http.clearLog()
            var offline = request(workspace, revision: manifest.hex)
            offline.offline = true
            offline.destination = workspace.directory.appending("again")
            let summary = try puller(workspace, registry).pull(offline)
            #expect(summary.files.allSatisfy { $0.source == .store })
            #expect(workspace.http.log.isEmpty)
        }
    }

    /// A ModelPack-shaped manifest with modelpin's annotations, layers as given.
    static func manifestText(layers: [(String, SHA256Digest, Int)]) -> String {
        let described = layers.map { path, digest, size in
            #"{"mediaType":"application/vnd.cncf.model.weight.v1.raw","digest":"\#(digest)","size":\#(size),"annotations":{"org.cncf.model.filepath":"\#(path)","dev.modelpin.lfs":"true"}}"#
        }
        return #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cncf.model.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.model.config.v1+json","digest":"sha256:\#(String(repeating: "0", count: 64))","size":2},"layers":[\#(described.joined(separator: ","))],"annotations":{"dev.modelpin.repo":"acme/evil","dev.modelpin.commit":"\#(TestWorkspace.commit)","dev.modelpin.snapshot-version":"1"}}"#
    }
}
