public import PinModel
import PinDigest

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A model snapshot as the store records it: which repo, which commit, and every file's path
/// and bytes. Written as an OCI image manifest in the CNCF ModelPack form (one raw layer per
/// file, `SnapshotManifest`), listed in `index.json` under reference names (`SnapshotReference`).
public struct StoredSnapshot: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        /// Repo-relative, as the Hub lists it; checked with `PathSafety` wherever it is read.
        public var path: String
        public var sha256: SHA256Digest
        public var size: Int64
        /// The Hub's git blob id, when known (a snapshot imported from elsewhere may lack it).
        public var gitBlobID: GitBlobID?
        public var lfs: Bool

        public init(path: String, sha256: SHA256Digest, size: Int64, gitBlobID: GitBlobID?, lfs: Bool) {
            self.path = path
            self.sha256 = sha256
            self.size = size
            self.gitBlobID = gitBlobID
            self.lfs = lfs
        }
    }

    public var repo: RepoID
    /// The full commit id (40 or 64 lowercase hex digits).
    public var commit: String
    /// Where it was resolved from (provenance only: a default source, never an identity).
    public var endpoint: String?
    /// Sorted by path.
    public var files: [File]
    /// The manifest's digest; set when read from the store or recorded.
    public var manifest: SHA256Digest?

    public init(repo: RepoID, commit: String, endpoint: String?, files: [File]) {
        self.repo = repo
        self.commit = commit
        self.endpoint = endpoint
        self.files = files.sorted { $0.path < $1.path }
    }
}

/// The OCI manifest and ModelPack config of a snapshot: rendering (canonical bytes, so the same
/// snapshot has the same manifest digest on every machine: no timestamps, sorted keys, files in
/// path order) and strict reading of bytes someone may have edited.
///
/// Spec: github.com/modelpack/model-spec `docs/spec.md`, `docs/config.md`, `specs-go/v1`.
public enum SnapshotManifest {
    public static let artifactType = "application/vnd.cncf.model.manifest.v1+json"
    public static let configMediaType = "application/vnd.cncf.model.config.v1+json"

    /// Annotation keys. The path keys are the spec's; the rest are modelpin's own.
    public enum Key {
        public static let filepath = "org.cncf.model.filepath"
        public static let title = "org.opencontainers.image.title"
        public static let revision = "org.opencontainers.image.revision"
        public static let refName = "org.opencontainers.image.ref.name"
        public static let gitBlobID = "dev.modelpin.git-blob-id"
        public static let lfs = "dev.modelpin.lfs"
        public static let repo = "dev.modelpin.repo"
        public static let commit = "dev.modelpin.commit"
        public static let endpoint = "dev.modelpin.endpoint"
        public static let version = "dev.modelpin.snapshot-version"
        /// On an `index.json` entry: `recordKey` of the snapshot recorded there.
        public static let record = "dev.modelpin.record"
    }

    /// The version of this form, recorded in the manifest so a later form can be told apart.
    public static let version = "1"

    /// A manifest larger than this is not one modelpin wrote (a few hundred bytes per file).
    public static let maximumSize = 64 << 20

    /// The rendered blobs of one snapshot.
    public struct Rendered: Sendable {
        public let config: [UInt8]
        public let configDigest: SHA256Digest
        public let manifest: [UInt8]
        public let manifestDigest: SHA256Digest
    }

    /// The config and manifest bytes of `snapshot`. Pure: the same snapshot gives the same bytes.
    public static func render(_ snapshot: StoredSnapshot) -> Rendered {
        let files = snapshot.files.sorted { $0.path < $1.path }
        let config = ModelConfigDocument(
            descriptor: .init(name: snapshot.repo.description, revision: snapshot.commit),
            config: .init(format: LayerKind.format(of: files.map(\.path))),
            modelfs: .init(type: "layers", diffIds: files.map(\.sha256)))
        let configBytes = encode(config)
        let configDigest = digest(configBytes)
        var annotations = [
            Key.repo: snapshot.repo.description, Key.commit: snapshot.commit, Key.revision: snapshot.commit,
            Key.version: version,
        ]
        annotations[Key.endpoint] = snapshot.endpoint
        let manifest = ManifestDocument(
            schemaVersion: 2, mediaType: MediaType.imageManifest, artifactType: artifactType,
            config: Descriptor(mediaType: configMediaType, digest: configDigest, size: Int64(configBytes.count)),
            layers: files.map(layer), annotations: annotations)
        let manifestBytes = encode(manifest)
        return Rendered(config: configBytes, configDigest: configDigest, manifest: manifestBytes, manifestDigest: digest(manifestBytes))
    }

    static func layer(_ file: StoredSnapshot.File) -> Descriptor {
        var annotations = [Key.filepath: file.path, Key.title: file.path, Key.lfs: file.lfs ? "true" : "false"]
        annotations[Key.gitBlobID] = file.gitBlobID?.hex
        return Descriptor(mediaType: LayerKind(path: file.path).mediaType, digest: file.sha256, size: file.size, annotations: annotations)
    }

    /// The store's canonical JSON (sorted keys, no insignificant choices): the same value gives
    /// the same bytes, so documents rendered from the same facts have the same digest.
    public static func encode(_ value: some Encodable) -> [UInt8] {
        // Only strings, integers, arrays and digests: encoding cannot fail.
        try! StoreJSON.encode(value)
    }

    /// What identifies a snapshot as a record asks for it (repo, commit, endpoint, every file's
    /// path, digest, size, git blob id and LFS flag): the SHA-256 of those facts, one per line.
    /// An `index.json` entry that carries the same key already holds all of it, so the next pull
    /// of the same snapshot (every locked pull with nothing to do) needs no manifest rendered or
    /// read. A key someone edited in can only make modelpin skip a record, never trust bytes:
    /// reading a snapshot back checks the manifest itself.
    static func recordKey(_ snapshot: StoredSnapshot) -> String {
        var text = "\(version)\n\(snapshot.repo)\n\(snapshot.commit)\n\(snapshot.endpoint ?? "")\n"
        for file in snapshot.files.sorted(by: { $0.path < $1.path }) {
            text += "\(file.path)\u{0}\(file.sha256.hex)\u{0}\(file.size)\u{0}\(file.gitBlobID?.hex ?? "")\u{0}\(file.lfs)\n"
        }
        return digest(Array(text.utf8)).hex
    }

    static func digest(_ bytes: [UInt8]) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    // MARK: Reading

    /// Why a manifest was refused: the field (a JSON path) and what is wrong with it.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let field: String
        public let reason: String
        public var description: String { field.isEmpty ? reason : "`\(field)`: \(reason)" }
    }

    /// An image manifest's JSON, read strictly: at most `maximumSize` bytes, schemaVersion 2.
    /// Ours (`parse`) and other tools' (`ModelPackReader`) start here.
    static func manifestDocument(_ bytes: [UInt8]) throws(Problem) -> ManifestReading {
        guard bytes.count <= maximumSize else { throw Problem(field: "", reason: "larger than \(maximumSize) bytes") }
        let document: ManifestReading
        do {
            document = try StoreJSON.decode(ManifestReading.self, from: bytes)
        } catch {
            throw Problem(field: "", reason: StoreJSON.explain(error))
        }
        try expect(document.schemaVersion == 2, "schemaVersion", "is \(document.schemaVersion), not 2")
        return document
    }

    /// Reads a snapshot manifest someone may have written by hand: exactly this form (version
    /// 1), every digest well formed, every size one a file can have, and every path one
    /// `PathSafety` accepts (no `..`, no absolute path, no VCS directory, no case clash).
    /// Checking the bytes against their digest is the caller's part.
    public static func parse(_ bytes: [UInt8]) throws(Problem) -> StoredSnapshot {
        let document = try manifestDocument(bytes)
        try expect(document.mediaType == MediaType.imageManifest, "mediaType", "is not `\(MediaType.imageManifest)`")
        try expect(document.artifactType == artifactType, "artifactType", "is not `\(artifactType)`: not a model snapshot")
        try expect(document.config.mediaType == configMediaType, "config.mediaType", "is not `\(configMediaType)`")
        _ = try document.config.digest(field: "config")
        let annotations = document.annotations ?? [:]
        try expect(annotations[Key.version] == version, "annotations.\(Key.version)", "is not `\(version)`: not a snapshot this modelpin records")
        guard let repoText = annotations[Key.repo], let repo = try? RepoID(parsing: repoText) else {
            throw Problem(field: "annotations.\(Key.repo)", reason: "missing or not a repo id")
        }
        guard let commit = annotations[Key.commit], isCommit(commit) else {
            throw Problem(field: "annotations.\(Key.commit)", reason: "missing or not a full commit id (40 or 64 lowercase hex digits)")
        }
        var files: [StoredSnapshot.File] = []
        for (index, layer) in document.layers.enumerated() {
            files.append(try file(layer, field: "layers[\(index)]"))
        }
        let problems = PathSafety.problems(in: files.map(\.path))
        try expect(problems.isEmpty, "layers", "unsafe paths: " + problems.joined(separator: "; "))
        if case .failure(let error) = FileSizeLimit.total(files.map(\.size)) {
            throw Problem(field: "layers", reason: error.description)
        }
        var snapshot = StoredSnapshot(repo: repo, commit: commit, endpoint: annotations[Key.endpoint], files: files)
        snapshot.manifest = digest(bytes)
        return snapshot
    }

    static func file(_ layer: DescriptorReading, field: String) throws(Problem) -> StoredSnapshot.File {
        let annotations = layer.annotations ?? [:]
        guard let path = annotations[Key.filepath] else {
            throw Problem(field: "\(field).annotations.\(Key.filepath)", reason: "missing")
        }
        if let reason = PathSafety.reason(path) {
            throw Problem(field: "\(field).annotations.\(Key.filepath)", reason: "`\(path.escapedForDisplay)`: \(reason)")
        }
        if let title = annotations[Key.title], title != path {
            throw Problem(field: "\(field).annotations.\(Key.title)", reason: "names another path than `\(Key.filepath)`")
        }
        let sha256 = try layer.digest(field: field)
        if let problem = FileSizeLimit.problem(layer.size) { throw Problem(field: "\(field).size", reason: problem) }
        var git: GitBlobID?
        if let text = annotations[Key.gitBlobID] {
            do {
                git = try GitBlobID(parsing: text)
            } catch {
                throw Problem(field: "\(field).annotations.\(Key.gitBlobID)", reason: error.reason)
            }
        }
        let lfs: Bool
        switch annotations[Key.lfs] {
        case "true": lfs = true
        case "false", nil: lfs = false
        default: throw Problem(field: "\(field).annotations.\(Key.lfs)", reason: "is neither `true` nor `false`")
        }
        return StoredSnapshot.File(path: path, sha256: sha256, size: layer.size, gitBlobID: git, lfs: lfs)
    }

    static func expect(_ condition: Bool, _ field: String, _ reason: @autoclosure () -> String) throws(Problem) {
        if !condition { throw Problem(field: field, reason: reason()) }
    }

    /// A full git commit id: 40 lowercase hex digits (SHA-1 repositories, the Hub's), or 64
    /// (git's SHA-256 object format).
    public static func isCommit(_ text: String) -> Bool {
        let utf8 = text.utf8
        return (utf8.count == 40 || utf8.count == 64)
            && utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}

// MARK: On-disk containers

/// The image manifest as written (image-spec `manifest.md`; `artifactType` from image-spec 1.1).
struct ManifestDocument: Codable {
    var schemaVersion: Int
    var mediaType: String
    var artifactType: String
    var config: Descriptor
    var layers: [Descriptor]
    var annotations: [String: String]?
}

/// `application/vnd.cncf.model.config.v1+json`, with only what modelpin knows for certain.
struct ModelConfigDocument: Codable {
    struct Info: Codable {
        /// The repo id.
        var name: String
        /// The commit.
        var revision: String
    }

    struct Config: Codable {
        var format: String?
    }

    struct FileSystem: Codable {
        var type: String
        /// Raw layers: each layer's digest is its content's digest.
        var diffIds: [SHA256Digest]
    }

    var descriptor: Info
    var config: Config
    var modelfs: FileSystem
}

/// A manifest as read: digests as text, so that a bad one is reported with its field.
struct ManifestReading: Decodable {
    var schemaVersion: Int
    var mediaType: String?
    var artifactType: String?
    var config: DescriptorReading
    var layers: [DescriptorReading]
    var annotations: [String: String]?
}

struct DescriptorReading: Decodable {
    var mediaType: String
    var digest: String
    var size: Int64
    var annotations: [String: String]?

    func digest(field: String) throws(SnapshotManifest.Problem) -> SHA256Digest {
        do {
            return try SHA256Digest(parsing: digest)
        } catch {
            throw SnapshotManifest.Problem(field: "\(field).digest", reason: error.reason)
        }
    }
}
