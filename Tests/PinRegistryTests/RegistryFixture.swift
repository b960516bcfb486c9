import Foundation
import PinDigest
import PinModel
import PinRegistry
import PinTestSupport
import PinTransport

/// What the registry tests share: clients for a test registry, blobs as files, manifests.
enum Fixture {
    /// Plain http (loopback), quick retries, small chunks so a few MiB make several PATCHes.
    static func options(journal: URL? = nil, chunked: Bool = false) -> RegistryOptions {
        var options = RegistryOptions()
        options.plainHTTP = true
        options.policy.retry.baseDelay = 0.01
        options.policy.retry.maxDelay = 0.05
        options.journalDirectory = journal?.path
        if chunked {
            options.chunkedThreshold = 1 << 20
            options.chunkSize = 1 << 20
        }
        return options
    }

    static func client(
        _ text: String, options: RegistryOptions = Fixture.options(), credentials: RegistryCredentials? = nil,
        cancellation: CancellationFlag = CancellationFlag()
    ) throws -> RegistryClient {
        try RegistryClient(reference: RegistryReference(parsing: text), options: options, credentials: credentials, cancellation: cancellation)
    }

    static func credentials(_ user: String, _ password: String) -> RegistryCredentials {
        RegistryCredentials(username: user, password: password, source: "the test")
    }

    struct Blob {
        let file: URL
        let bytes: [UInt8]
        let digest: SHA256Digest
        var size: Int64 { Int64(bytes.count) }
        var descriptor: Descriptor { Descriptor(mediaType: "application/octet-stream", digest: digest, size: size) }
    }

    static func blob(_ directory: URL, _ name: String, count: Int, seed: UInt64) throws -> Blob {
        let bytes = pseudoRandomBytes(count: count, seed: seed)
        let file = try writeFile(directory.appendingPathComponent(name), bytes)
        return Blob(file: file, bytes: bytes, digest: SHA256.hash(bytes))
    }

    static func blob(_ directory: URL, _ name: String, text: String) throws -> Blob {
        let bytes = Array(text.utf8)
        return Blob(file: try writeFile(directory.appendingPathComponent(name), bytes), bytes: bytes, digest: SHA256.hash(bytes))
    }

    /// An OCI image manifest (JSON, keys sorted) for `config` and `layers`, with `subject`
    /// and `artifactType` for a referrer.
    static func manifest(config: Blob, configType: String = "application/vnd.oci.image.config.v1+json", layers: [Blob],
                         subject: (SHA256Digest, Int64)? = nil, artifactType: String? = nil) -> [UInt8] {
        func descriptor(_ mediaType: String, _ digest: SHA256Digest, _ size: Int64) -> [String: Any] {
            ["mediaType": mediaType, "digest": digest.description, "size": size]
        }
        var object: [String: Any] = [
            "schemaVersion": 2, "mediaType": RegistryMediaType.ociManifest,
            "config": descriptor(configType, config.digest, config.size),
            "layers": layers.map { descriptor("application/vnd.oci.image.layer.v1.tar", $0.digest, $0.size) },
        ]
        if let subject { object["subject"] = descriptor(RegistryMediaType.ociManifest, subject.0, subject.1) }
        if let artifactType { object["artifactType"] = artifactType }
        return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// Pushes `blobs` and a manifest naming them under `tag`; returns the manifest's bytes.
    @discardableResult
    static func pushImage(_ client: RegistryClient, config: Blob, layers: [Blob], tag: String) throws -> [UInt8] {
        for blob in [config] + layers { _ = try client.pushBlob(blob.digest, size: blob.size, file: blob.file.path) }
        let bytes = manifest(config: config, layers: layers)
        _ = try client.putManifest(bytes, mediaType: RegistryMediaType.ociManifest, reference: tag)
        return bytes
    }

    /// The whole blob through the client.
    static func read(_ client: RegistryClient, _ digest: SHA256Digest) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try client.getBlob(digest) { bytes.append(contentsOf: $0) }
        return bytes
    }
}

/// Everything a person could read about an error: message, causes, hint.
func rendered(_ error: any Error) -> String {
    guard let error = error as? any ModelpinError else { return "\(error)" }
    return ([error.description] + error.causes + [error.hint ?? ""]).joined(separator: "\n")
}
