import Foundation
import PinAudit
import PinDigest
import PinModel
import PinNames
import PinStore
import PinTestSupport
@testable import PinWorkspace
import SystemPackage
import Testing

/// `serve --upstream` records each pull-through run as an operation of its own, and each blob
/// it refuses to serve, in the store's log (in process, with the fake Hub).
@Suite("Audit log: serve's pull-through")
struct AuditServeTests {
    static let repo = try! RepoID(parsing: "acme/tiny-model")

    /// The store's own log, as `Workspace.auditTrail` opens it for `serve`.
    static func trail(_ workspace: TestWorkspace) throws -> (AuditTrail, AuditLog) {
        let store = workspace.store
        let configured = Workspace(
            openStore: { _ in store }, keyringDirectory: { "/nonexistent" },
            configuration: WorkspaceConfiguration(environment: [:], userAgent: "test"))
        let trail = try #require(try configured.auditTrail("serve"))
        return (trail, try configured.auditLog())
    }

    static func entries(_ log: AuditLog) throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        try log.forEachEntry { _, json in entries.append(try! AuditEntry(json: json)) }
        return entries
    }

    @Test func eachPullThroughRunIsAnOperationWithTheDigestsItAdmitted() async throws {
        let allow: (inout PullSettings) -> Void = { $0.names = NameChecker(allowlist: try! Allowlist.parse("acme/*\n", source: "test")) }
        try await TestWorkspace.withAsync(configure: allow) { workspace in
            let (trail, log) = try Self.trail(workspace)
            let catalog = try StoreServeCatalog(store: workspace.store, upstream: workspace.puller, events: workspace.reporter, audit: trail)
            let snapshot = try await catalog.snapshot(Self.repo, revision: "main")
            _ = try await catalog.open("model.safetensors", in: snapshot)

            let entries = try Self.entries(log)
            #expect(entries.allSatisfy { $0.command == "serve" })
            #expect(entries.map(\.kind) == ["decision", "model", "operation", "model", "operation"], "\(entries.map(\.kind))")
            #expect(entries[0].extra["gate"] == .string("names") && entries[0].outcome == "allowed")
            // The listing's run admitted the plain files; the request's run the weights.
            #expect(entries[1].repo == "acme/tiny-model" && entries[1].commit == TestWorkspace.commit)
            #expect(entries[1].digests.keys.sorted() == ["config.json", "tokenizer/tokenizer.json"])
            #expect(entries[3].digests["model.safetensors"] == SHA256.hash(TestWorkspace.weights).description)
            #expect(entries[2].extra["upstream"] == .string(TestWorkspace.hubBase) && entries[4].outcome == "ok")
            #expect(try log.verify().size == entries.count)
        }
    }

    @Test func aRefusedUpstreamRunAndABlobChangedInTheStoreAreOnRecord() async throws {
        let allow: (inout PullSettings) -> Void = { $0.names = NameChecker(allowlist: try! Allowlist.parse("acme/*\n", source: "test")) }
        try await TestWorkspace.withAsync(configure: allow) { workspace in
            workspace.hub.configure { $0.corruptLFS = true }
            let (trail, log) = try Self.trail(workspace)
            let catalog = try StoreServeCatalog(store: workspace.store, upstream: workspace.puller, events: workspace.reporter, audit: trail)
            let snapshot = try await catalog.snapshot(Self.repo, revision: "main")
            await #expect(throws: ServeError.self) { try await catalog.open("model.safetensors", in: snapshot) }
            var entries = try Self.entries(log)
            #expect(entries.last?.reasons.contains { $0.contains("model.safetensors") } == true, "\(entries.last?.reasons ?? [])")
            #expect(entries.last?.kind == "operation" && entries.last?.outcome == "refused", "\(entries.map(\.outcome))")

            // A stored blob rewritten behind the server's back: refused when served, and logged.
            let stored = try #require(try workspace.store.snapshot(repo: Self.repo, revision: TestWorkspace.commit))
            let config = try #require(stored.files.first { $0.path == "config.json" })
            let path = try workspace.store.path(of: config.sha256)
            chmod(path.string, 0o644)
            try Data(repeating: 0x20, count: Int(config.size)).write(to: URL(fileURLWithPath: path.string))
            await #expect(throws: ServeError.self) { try await catalog.open("config.json", in: snapshot) }
            entries = try Self.entries(log)
            let refused = try #require(entries.last)
            #expect(refused.kind == "served-blob-refused" && refused.repo == "acme/tiny-model" && refused.extra["path"] == .string("config.json"))
        }
    }
}
