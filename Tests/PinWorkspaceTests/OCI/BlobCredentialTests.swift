import Foundation
import PinDigest
import PinModel
import PinTestSupport
import PinTransport
@testable import PinWorkspace
import Synchronization
import Testing

/// A blob source's credential (a registry's bearer token) goes with the first request to the
/// source's own origin and never along a redirect to another host (the registry's storage).
@Suite("A blob source's credential stays with its origin")
struct BlobCredentialTests {
    static let secret = "Authorization: Bearer registry-token-do-not-forward"

    /// A registry-like source: `https://registry.test/v2/r/blobs/sha256:<hex>`, with a token.
    struct TokenSource: BlobSource {
        var description: String { "oci://registry.test/r" }
        func location(of file: SnapshotFile, repo: String, commit: CommitID) -> BlobLocation? {
            guard let digest = file.sha256, let url = HTTPURL("https://registry.test/v2/r/blobs/sha256:" + digest.hex) else { return nil }
            return .remote(url, check: nil, credential: BlobCredentialTests.secret)
        }
        func configure(_ policy: inout TransportPolicy) {}
    }

    @Test func theTokenReachesTheRegistryAndNotTheStorageItRedirectsTo() throws {
        try TestWorkspace.with { workspace in
            let bytes = TestWorkspace.weights
            let digest = SHA256.hash(bytes)
            let seen = Mutex<[(host: String, authorization: String?)]>([])
            workspace.http.route("https://registry.test") { request in
                seen.withLock { $0.append(("registry", request.headers["authorization"])) }
                // Registries answer a blob GET with a redirect to their storage.
                return .init(status: 307, headers: [("Location", "https://storage.test/blob/\(digest.hex)")])
            }
            workspace.http.route("https://storage.test") { request in
                seen.withLock { $0.append(("storage", request.headers["authorization"])) }
                return .init(status: 200, body: .bytes(bytes))
            }
            let file = SnapshotFile(
                path: "model.safetensors", size: Int64(bytes.count), gitBlobID: try GitBlobID(parsing: String(repeating: "0", count: 40)),
                sha256: digest, isLFS: true)
            let item = FetchItem(file: file, repo: "r", commit: try CommitID(parsing: TestWorkspace.commit), label: "r/model.safetensors")
            let outcome = try workspace.puller.fetcher(admission: nil).fetch([item], from: [TokenSource()], stopOnFailure: true)

            #expect(outcome.digests[file.contentKey] == digest)
            #expect(workspace.stores(bytes))
            let requests = seen.withLock { $0 }
            #expect(requests.map(\.host) == ["registry", "storage"])
            #expect(requests.first?.authorization == "Bearer registry-token-do-not-forward")
            #expect(requests.last?.authorization == nil, "the storage host must not receive the registry's token")
        }
    }
}
