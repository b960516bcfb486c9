import Foundation
import PinDigest
import PinLock
import PinModel
import PinStore
import PinTestSupport
import PinTransport
@testable import PinWorkspace
import Synchronization
import SystemPackage
import Testing

/// `push oci://…` of a recorded snapshot, then `pull oci://…` of what was pushed into a fresh
/// store, against a registry played in process.
@Suite("Pushing a recorded snapshot to an OCI registry")
struct OCIPushTests {
    static func workspace(_ test: TestWorkspace, _ registry: FakeRegistry, store: Store) -> Workspace {
        var configuration = WorkspaceConfiguration(environment: ["MODELPIN_AUDIT": "off"], userAgent: "modelpin/test")
        configuration.registryConnect = registry.access.connect
        let keyring = test.directory.appending("keyring").string
        return Workspace(
            openStore: { _ in store }, keyringDirectory: { keyring }, configuration: configuration,
            events: test.reporter)
    }

    @Test func pushSendsTheStoresManifestAndBlobsOnceAndAFreshStorePullsTheSameFiles() throws {
        try TestWorkspace.with { test in
            let registry = FakeRegistry(http: test.http)
            let pulled = try test.pull("acme/tiny-model")
            let workspace = Self.workspace(test, registry, store: test.store)
            let request = OCIPushRequest(target: "oci://registry.test/models/tiny", model: "acme/tiny-model@main", project: nil)

            let first = try workspace.pushOCI(request)
            let recorded = try #require(try test.store.snapshot(repo: RepoID(parsing: "acme/tiny-model"), revision: TestWorkspace.commit))
            #expect(first.manifest == recorded.manifest?.description, "the store's own manifest, not a new rendering")
            #expect(first.tag == TestWorkspace.commit, "the tag defaults to the commit")
            #expect(first.blobs.count == TestWorkspace.tinyFiles.count + 1)  // the layers and the config
            #expect(first.blobs.allSatisfy { $0.outcome == "uploaded" })
            #expect(first.uploadedBytes == first.blobs.reduce(0) { $0 + $1.size })

            // The snapshot's blobs, and its scan report's two (the payload, the empty config).
            #expect(first.attachments == ["scan-report.json"])
            let uploads = first.blobs.count + 2
            #expect(registry.state.withLock { $0.uploads } == uploads)
            let again = try workspace.pushOCI(request)
            #expect(again.blobs.allSatisfy { $0.outcome == "present" })
            #expect(again.uploadedBytes == 0)
            #expect(registry.state.withLock { $0.uploads } == uploads)

            // Another repository of the same registry: every blob mounted, nothing uploaded.
            let copy = try workspace.pushOCI(OCIPushRequest(target: "oci://registry.test/team/tiny:v1", model: "acme/tiny-model@main", project: nil))
            #expect(copy.blobs.allSatisfy { $0.outcome == "mounted from models/tiny" })
            #expect(copy.uploadedBytes == 0)
            #expect(registry.state.withLock { $0.uploads } == uploads)

            // A fresh store pulls it back by tag: the same files, the Hub's git blob ids kept.
            let fresh = try Store.open(at: test.directory.appending("fresh-store"), access: .readWrite)
            var settings = test.settings
            settings.registry = registry.access
            let puller = Puller(store: fresh, settings: settings, events: test.reporter, cancellation: test.cancellation)
            var pull = PullRequest(name: "oci://registry.test/models/tiny", revision: TestWorkspace.commit, workingDirectory: test.directory)
            pull.destination = test.directory.appending("from-registry")
            let summary = try puller.pull(pull)
            #expect(summary.manifest == first.manifest)
            #expect(summary.files.map(\.sha256) == pulled.files.map(\.sha256))
            #expect(summary.files.map(\.gitBlobID) == pulled.files.map(\.gitBlobID))
            for file in TestWorkspace.tinyFiles {
                guard case .bytes(let bytes) = file.content else { continue }
                let copy = try Data(contentsOf: URL(fileURLWithPath: test.directory.appending("from-registry").appending(file.path).string))
                #expect(Array(copy) == bytes)
            }
        }
    }

    @Test func aPushTargetWithADigestIsRefused() throws {
        try TestWorkspace.with { test in
            let registry = FakeRegistry(http: test.http)
            _ = try test.pull("acme/tiny-model")
            let target = "oci://registry.test/models/tiny@sha256:" + String(repeating: "0", count: 64)
            let error = #expect(throws: OCIError.self) {
                try Self.workspace(test, registry, store: test.store).pushOCI(OCIPushRequest(target: target, model: "acme/tiny-model", project: nil))
            }
            #expect(error?.kind == .usage)
        }
    }

    @Test func aSnapshotTheStoreNeverRecordedIsNotPushed() throws {
        try TestWorkspace.with { test in
            let registry = FakeRegistry(http: test.http)
            #expect(throws: PullError.self) {
                try Self.workspace(test, registry, store: test.store).pushOCI(OCIPushRequest(target: "oci://registry.test/m:v1", model: "acme/other@main", project: nil))
            }
            #expect(registry.state.withLock { $0.connections } == 0)
        }
    }
}
