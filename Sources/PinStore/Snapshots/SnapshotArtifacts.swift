public import PinModel
import PinDigest
public import SystemPackage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Something attached to a model's manifest: a lock, a signature, a scan report. Becomes a
/// referrer manifest (image-spec 1.1: `subject` = the model manifest) with one layer, the
/// payload, titled `name`.
public struct Attachment: Sendable, Equatable {
    public let artifactType: String
    /// The file name the payload goes by (`modelpin.lock`, `model.safetensors.asc`…).
    public let name: String
    public let payload: [UInt8]

    public init(artifactType: String, name: String, payload: [UInt8]) {
        self.artifactType = artifactType
        self.name = name
        self.payload = payload
    }

    /// modelpin's artifact types (README, "OCI artifacts").
    public enum Kind {
        public static let lock = "application/vnd.modelpin.lock.v1+toml"
        public static let pgpSignature = "application/vnd.modelpin.signature.v1+pgp"
        public static let sigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
        public static let scanReport = "application/vnd.modelpin.scan-report.v1+json"
    }
}

/// A blob of an artifact and where its bytes are: in the store (a model's file), or in memory
/// (a manifest, a config, a payload: small).
public struct ArtifactBlob: Sendable, Equatable {
    public enum Bytes: Sendable, Equatable {
        case file(FilePath)
        case memory([UInt8])
    }

    public let descriptor: Descriptor
    public let bytes: Bytes
}

/// A referrer manifest and its blobs (the empty config, the payload).
public struct ReferrerArtifact: Sendable, Equatable {
    public let attachment: Attachment
    public let manifest: ArtifactBlob
    public let blobs: [ArtifactBlob]
}

/// Everything a recorded snapshot is as OCI content: the store's own manifest bytes (not
/// rendered again: the store proved these when it recorded them), its config, its layers (the
/// store's blob files), and the referrers of its attachments. What `export --oci-archive`,
/// `mirror DIR` and `push` write.
public struct SnapshotArtifacts: Sendable, Equatable {
    public let snapshot: StoredSnapshot
    /// `OWNER/NAME:COMMIT`, for `org.opencontainers.image.ref.name`.
    public let referenceName: String
    public let manifest: ArtifactBlob
    public let config: ArtifactBlob
    /// One per file, in the manifest's order.
    public let layers: [ArtifactBlob]
    public let referrers: [ReferrerArtifact]

    /// Every blob, manifests last (a registry or layout is written bottom-up).
    public var blobsBottomUp: [ArtifactBlob] {
        [config] + layers + referrers.flatMap(\.blobs) + [manifest] + referrers.map(\.manifest)
    }
}

/// Referrer manifests in the form image-spec 1.1 gives artifacts: `artifactType`, the empty
/// config, the payload as one layer, `subject`. Pure and canonical (sorted keys, no time), so
/// the same attachment of the same manifest has the same digest everywhere.
public enum ReferrerManifest {
    public static let emptyConfigMediaType = "application/vnd.oci.empty.v1+json"
    public static let emptyConfig: [UInt8] = Array("{}".utf8)

    public static func render(_ attachment: Attachment, subject: Descriptor) -> ReferrerArtifact {
        let payloadDigest = SnapshotManifest.digest(attachment.payload)
        let payload = Descriptor(
            mediaType: attachment.artifactType, digest: payloadDigest, size: Int64(attachment.payload.count),
            annotations: [SnapshotManifest.Key.title: attachment.name])
        let config = Descriptor(mediaType: emptyConfigMediaType, digest: SnapshotManifest.digest(emptyConfig), size: Int64(emptyConfig.count))
        let document = ReferrerDocument(
            schemaVersion: 2, mediaType: MediaType.imageManifest, artifactType: attachment.artifactType, config: config,
            layers: [payload], subject: Descriptor(mediaType: subject.mediaType, digest: subject.digest, size: subject.size),
            annotations: [SnapshotManifest.Key.title: attachment.name])
        let bytes = SnapshotManifest.encode(document)
        let descriptor = Descriptor(
            mediaType: MediaType.imageManifest, digest: SnapshotManifest.digest(bytes), size: Int64(bytes.count),
            annotations: [SnapshotManifest.Key.title: attachment.name, artifactTypeKey: attachment.artifactType])
        return ReferrerArtifact(
            attachment: attachment, manifest: ArtifactBlob(descriptor: descriptor, bytes: .memory(bytes)),
            blobs: [ArtifactBlob(descriptor: config, bytes: .memory(emptyConfig)), ArtifactBlob(descriptor: payload, bytes: .memory(attachment.payload))])
    }

    /// Annotation on an `index.json` entry of a referrer: its artifactType (so a reader of the
    /// layout can tell attachments from models without opening them).
    public static let artifactTypeKey = "dev.modelpin.artifact-type"
}

struct ReferrerDocument: Codable {
    var schemaVersion: Int
    var mediaType: String
    var artifactType: String
    var config: Descriptor
    var layers: [Descriptor]
    var subject: Descriptor
    var annotations: [String: String]?
}

extension Store {
    /// The OCI content of the snapshot recorded for `revision` of `repo`, with `attachments` as
    /// referrers. Reads the manifest as `snapshot(repo:revision:)` does (digest-checked, strict)
    /// and checks every layer's blob is in the store at its size; nil when nothing is recorded.
    public func snapshotArtifacts(repo: RepoID, revision: String, attachments: [Attachment]) throws(StoreError) -> SnapshotArtifacts? {
        guard let snapshot = try self.snapshot(repo: repo, revision: revision), let digest = snapshot.manifest,
              let name = SnapshotReference.name(repo: snapshot.repo, revision: snapshot.commit)
        else { return nil }
        try checkRecordable(snapshot)
        guard let manifestBytes = try readIfPresent(try path(of: digest), limit: SnapshotManifest.maximumSize),
              SnapshotManifest.digest(manifestBytes) == digest
        else { throw .malformedMetadata(file: blobPath(digest), reason: "the manifest of `\(name)` changed since it was read") }
        // The config as rendered from the snapshot: the manifest names it, so its digest is
        // checked against what the store proved.
        let rendered = SnapshotManifest.render(snapshot)
        let configPath = try path(of: rendered.configDigest)
        let manifestDescriptor = Descriptor(
            mediaType: MediaType.imageManifest, digest: digest, size: Int64(manifestBytes.count),
            annotations: [SnapshotManifest.Key.refName: name])
        let layers = snapshot.files.map { file in
            ArtifactBlob(descriptor: SnapshotManifest.layer(file), bytes: .file(blobPath(file.sha256)))
        }
        let subject = Descriptor(mediaType: MediaType.imageManifest, digest: digest, size: Int64(manifestBytes.count))
        return SnapshotArtifacts(
            snapshot: snapshot, referenceName: name,
            manifest: ArtifactBlob(descriptor: manifestDescriptor, bytes: .memory(manifestBytes)),
            config: ArtifactBlob(
                descriptor: Descriptor(mediaType: SnapshotManifest.configMediaType, digest: rendered.configDigest, size: Int64(rendered.config.count)),
                bytes: .file(configPath)),
            layers: layers,
            referrers: attachments.sorted { ($0.artifactType, $0.name) < ($1.artifactType, $1.name) }.map { ReferrerManifest.render($0, subject: subject) })
    }
}
