import Foundation
import PinDigest
import PinModel
import enum PinRegistry.BlobPushOutcome
import struct PinRegistry.FetchedManifest
import PinStore
import PinTestSupport
import PinTransport
import PinWorkspace
import Synchronization
import SystemPackage

/// A registry played in process for the workflows' unit tests: manifests by tag and digest,
/// blobs served over `InProcessHTTP` at https://registry.test/v2/PATH/blobs/sha256:HEX, and
/// only with the session's token (checked by the route). It lies only when a test makes it.
final class FakeRegistry: Sendable {
    static let base = "https://registry.test"
    static let token = "Authorization: Bearer fake-registry-token"

    struct State {
        var manifests: [String: (bytes: [UInt8], mediaType: String)] = [:]
        var tags: [String: String] = [:]
        var blobs: [String: [UInt8]] = [:]
        var referrers: [String: [Descriptor]] = [:]
        var uploads = 0
        /// Which blobs each repository holds (pushes check and mount per repository).
        var repositoryBlobs: [String: Set<String>] = [:]
        var connections = 0
    }

    let state = Mutex(State())

    init(http: InProcessHTTP) {
        http.route(Self.base) { [self] request in
            guard request.headers["authorization"] == "Bearer fake-registry-token" else { return .text(401, "no token") }
            guard let hex = request.path.split(separator: ":").last.map(String.init),
                  let bytes = self.state.withLock({ $0.blobs[hex] })
            else { return .text(404, "blob unknown") }
            return .init(status: 200, body: .bytes(bytes))
        }
    }

    /// Stores `bytes` as a blob (under `hex`, to make the registry lie).
    func put(blob bytes: [UInt8], as hex: String? = nil) {
        state.withLock { $0.blobs[hex ?? SHA256.hash(bytes).hex] = bytes }
    }

    /// Stores a manifest under its digest and `tag`.
    @discardableResult
    func put(manifest bytes: [UInt8], tag: String?, mediaType: String = MediaType.imageManifest) -> SHA256Digest {
        let digest = SHA256.hash(bytes)
        state.withLock {
            $0.manifests[digest.description] = (bytes, mediaType)
            if let tag { $0.tags[tag] = digest.description }
        }
        return digest
    }

    var access: RegistryAccess {
        var policy = TransportPolicy()
        policy.retry.baseDelay = 0.01
        policy.retry.maxDelay = 0.05
        return RegistryAccess(policy: policy) { [self] repository, _, _ in
            state.withLock { $0.connections += 1 }
            return Session(registry: self, repository: repository)
        }
    }

    final class Session: RegistrySession {
        let registry: FakeRegistry
        let path: String

        init(registry: FakeRegistry, repository: String) {
            self.registry = registry
            path = String(repository.dropFirst("oci://registry.test/".count))
        }

        func manifest(_ reference: String) throws -> FetchedManifest {
            let found = registry.state.withLock { state in
                state.manifests[state.tags[reference] ?? reference]
            }
            guard let found else { throw FakeRegistryError.notFound(reference) }
            return FetchedManifest(mediaType: found.mediaType, digest: SHA256.hash(found.bytes), bytes: found.bytes)
        }

        func blobLocation(_ digest: SHA256Digest) throws -> (url: HTTPURL, credential: String?) {
            (HTTPURL("\(FakeRegistry.base)/v2/\(path)/blobs/\(digest)")!, FakeRegistry.token)
        }

        func smallBlob(_ digest: SHA256Digest, limit: Int) throws -> [UInt8] {
            guard let bytes = registry.state.withLock({ $0.blobs[digest.hex] }), bytes.count <= limit, SHA256.hash(bytes) == digest else {
                throw FakeRegistryError.notFound(digest.description)
            }
            return bytes
        }

        func referrers(of digest: SHA256Digest) throws -> [Descriptor] {
            registry.state.withLock { $0.referrers[digest.description] ?? [] }
        }

        func pushBlob(_ digest: SHA256Digest, size: Int64, file: FilePath, mountFrom: [String]) throws -> PushedBlob {
            let held: PushedBlob? = registry.state.withLock { state in
                if state.repositoryBlobs[path, default: []].contains(digest.hex) { return .present }
                if let source = mountFrom.first(where: { state.repositoryBlobs[$0, default: []].contains(digest.hex) }) {
                    state.repositoryBlobs[path, default: []].insert(digest.hex)
                    return .mounted(from: source)
                }
                return nil
            }
            if let held { return held }
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file.string)))
            guard SHA256.hash(bytes) == digest, Int64(bytes.count) == size else { throw FakeRegistryError.digestInvalid(digest.description) }
            registry.state.withLock {
                $0.blobs[digest.hex] = bytes
                $0.repositoryBlobs[path, default: []].insert(digest.hex)
                $0.uploads += 1
            }
            return .uploaded(resumedFrom: 0)
        }

        func putManifest(_ bytes: [UInt8], mediaType: String, reference: String) throws -> SHA256Digest {
            registry.put(manifest: bytes, tag: reference.hasPrefix("sha256:") ? nil : reference, mediaType: mediaType)
        }
    }
}

enum FakeRegistryError: Error {
    case notFound(String)
    case digestInvalid(String)
}
