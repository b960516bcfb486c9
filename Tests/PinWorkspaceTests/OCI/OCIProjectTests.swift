import Foundation
import PinDigest
import PinLock
import PinModel
import PinStore
import PinTestSupport
import PinTransport
@testable import PinWorkspace
import SystemPackage
import Testing

/// A project model with `source = "oci://…"`: locked by manifest digest, every file by its
/// layer's digest, and pulled from the lock by digest into a fresh store.
@Suite("A project model from an OCI registry")
struct OCIProjectTests {
    func puller(_ test: TestWorkspace, _ registry: FakeRegistry, store: Store) -> Puller {
        var settings = test.settings
        settings.registry = registry.access
        return Puller(store: store, settings: settings, events: test.reporter, cancellation: test.cancellation)
    }

    @Test func theLockRecordsTheManifestAndLayerDigestsAndALockedPullReproducesThem() throws {
        try TestWorkspace.with { test in
            let registry = FakeRegistry(http: test.http)
            let (manifest, files) = try OCIPullTests.publish(registry, tag: "v1")
            let text = "version = 1\n[models.tiny]\nsource = \"oci://registry.test/models/tiny:v1\"\n"
            let request = try #require(try ManifestFormat.parse(text, file: "modelpin.toml").model("tiny"))

            let locked = try Locker(puller: puller(test, registry, store: test.store)).resolve(request, previous: nil, endpoint: TestWorkspace.hubBase)
            #expect(locked.isOCI)
            #expect(locked.repo == "oci://registry.test/models/tiny")
            #expect(locked.endpoint == "oci://registry.test/models/tiny")
            #expect(locked.commit.ociManifest == manifest)
            #expect(locked.requestedRevision == "v1")
            #expect(Set(locked.files.map(\.sha256)) == Set(files.map(\.sha256)))
            let lockText = LockfileFormat.render(Lockfile(models: [locked]))
            #expect(lockText.contains("manifest = \"\(manifest)\""))
            #expect(try LockfileFormat.parse(lockText, file: "modelpin.lock").models == [locked])

            // The tag moves on the registry; the lock still pulls exactly the locked digests.
            registry.put(manifest: Array("{}".utf8), tag: "v1")
            let fresh = try Store.open(at: test.directory.appending("fresh"), access: .readWrite)
            let lockedPuller = LockedPuller(puller: puller(test, registry, store: fresh))
            let outcome = try lockedPuller.fetch([locked])
            #expect(outcome.fetched.map(\.source) == ["oci://registry.test/models/tiny"])
            #expect(outcome.fetched.first?.count == files.count)
            try lockedPuller.record([locked])
            try lockedPuller.materialize(locked, at: ModelDirectory.chosen(test.directory.appending("locked")), mode: .copy)
            let weights = try Data(contentsOf: URL(fileURLWithPath: test.directory.appending("locked/model.safetensors").string))
            #expect(Array(weights) == TestWorkspace.weights)
            #expect(workspaceAskedTheHub(test) == false)
        }
    }

    @Test func aRegistryIsAMirrorForAHubModelsLockedBlobs() throws {
        try TestWorkspace.with { test in
            let registry = FakeRegistry(http: test.http)
            _ = try OCIPullTests.publish(registry)  // the registry holds the tiny model's blobs
            test.hub.configure {
                $0.failStatus = 503
                $0.failCount = 1000
            }
            var locked = LockedPuller(puller: puller(test, registry, store: test.store))
            locked.mirrors = [try OCISource(repository: "oci://registry.test/models/tiny", settings: puller(test, registry, store: test.store).settings, cancellation: test.cancellation).blobs()]
            let outcome = try locked.fetch([try MirrorFallbackTests.lockedTinyModel(test.hub)])
            #expect(outcome.fetched.map(\.source) == ["oci://registry.test/models/tiny"])
            #expect(try test.storedBlobsMatchTheirNames())
        }
    }

    @Test func aRegistryMirrorThatLiesFallsThroughToTheHubWithAWarning() throws {
        try TestWorkspace.with { test in
            let registry = FakeRegistry(http: test.http)
            _ = try OCIPullTests.publish(registry)
            var flipped = TestWorkspace.weights
            flipped[7] ^= 1
            registry.put(blob: flipped, as: SHA256.hash(TestWorkspace.weights).hex)
            var locked = LockedPuller(puller: puller(test, registry, store: test.store))
            locked.mirrors = [try OCISource(repository: "oci://registry.test/models/tiny", settings: puller(test, registry, store: test.store).settings, cancellation: test.cancellation).blobs()]
            let outcome = try locked.fetch([try MirrorFallbackTests.lockedTinyModel(test.hub)])
            #expect(outcome.servedBy[SHA256.hash(TestWorkspace.weights)] == TestWorkspace.hubBase)
            #expect(test.reporter.fallbacks.contains { $0.path == "model.safetensors" && $0.refused })
            #expect(!test.stores(flipped))
        }
    }

    func workspaceAskedTheHub(_ test: TestWorkspace) -> Bool {
        !test.requests(containing: "hub.test").isEmpty || !test.requests(containing: "cdn.test").isEmpty
    }
}
