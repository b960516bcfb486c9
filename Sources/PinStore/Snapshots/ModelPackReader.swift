public import PinModel
import PinDigest

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One file of a model artifact another tool wrote (a ModelPack manifest from modctl or KitOps,
/// an older `vnd.cnai` one, Docker Model Runner's), as modelpin can admit it: a safe path and the
/// digest and size its layer pins. The bytes are the layer's blob, stored as they are.
public struct ForeignModelFile: Sendable, Equatable {
    /// Checked with `PathSafety`.
    public let path: String
    public let sha256: SHA256Digest
    public let size: Int64
    /// The layer's media type, as written.
    public let mediaType: String
    /// True for a `.tar` layer: the blob is an uncompressed tar of files, stored and verified
    /// as one file named `path` and NOT unpacked (modelpin has no safe unpacker for a model
    /// directory's tar yet); its members are not scanned one by one.
    public let archived: Bool

    public init(path: String, sha256: SHA256Digest, size: Int64, mediaType: String, archived: Bool) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.mediaType = mediaType
        self.archived = archived
    }
}

/// What a foreign model manifest says: its files (sorted by path), which dialect it is in,
/// and its config descriptor (fetched and stored like a layer, never interpreted).
public struct ForeignModel: Sendable, Equatable {
    public enum Dialect: String, Sendable {
        /// `application/vnd.cncf.model.*` (CNCF ModelPack, model-spec v1).
        case modelPack
        /// `application/vnd.cnai.model.*`: the same spec before it moved to the CNCF.
        case cnai
        /// Docker Model Runner: `application/vnd.docker.ai.*` layers.
        case dockerModel
    }

    public let dialect: Dialect
    public let config: Descriptor
    public let files: [ForeignModelFile]
    public let annotations: [String: String]
}

/// Reads a model manifest another tool wrote, strictly: size-bounded JSON, an OCI image
/// manifest (or the Docker v2 manifest Docker Model Runner pushes), every layer of a media type
/// listed here, every path one `PathSafety` accepts, no path twice. What it does not understand
/// (a compressed layer, an unknown media type or artifactType, a layer with no path) is an error
/// naming the field and the media type, never skipped: a model with a file left out is not the
/// model that was asked for.
///
/// Spec: github.com/modelpack/model-spec `specs-go/v1/mediatype.go`, `annotations.go`
/// (formerly CloudNativeAI/model-spec with `vnd.cnai`); docker/model-runner
/// `pkg/distribution/types`.
public enum ModelPackReader {
    public typealias Problem = SnapshotManifest.Problem

    /// A manifest larger than this is not a model manifest (a few hundred bytes per file).
    public static let maximumSize = SnapshotManifest.maximumSize
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"

    static let artifactTypes: [String: ForeignModel.Dialect] = [
        "application/vnd.cncf.model.manifest.v1+json": .modelPack,
        "application/vnd.cnai.model.manifest.v1+json": .cnai,
    ]
    static let configTypes: [String: ForeignModel.Dialect] = [
        "application/vnd.cncf.model.config.v1+json": .modelPack,
        "application/vnd.cnai.model.config.v1+json": .cnai,
        "application/vnd.docker.ai.model.config.v0.1+json": .dockerModel,
    ]
    /// ModelPack's layer kinds; `vnd.cncf.model.<kind>.v1.raw|tar` and the same under `vnd.cnai`.
    static let modelPackKinds = ["weight", "weight.config", "doc", "code", "dataset"]
    /// Docker Model Runner's layers, with the name a file gets when its layer has no title.
    static let dockerLayers: [String: String] = [
        "application/vnd.docker.ai.gguf.v3": "model.gguf",
        "application/vnd.docker.ai.safetensors": "model.safetensors",
        "application/vnd.docker.ai.license": "LICENSE",
        "application/vnd.docker.ai.mmproj": "model.mmproj",
        "application/vnd.docker.ai.chat.template.jinja": "template.jinja",
    ]

    /// The files of `bytes`, a manifest. Checking the bytes against the digest they were asked
    /// for is the caller's part (it knows the digest); the layers' blobs are checked against
    /// the digests returned here when they are admitted.
    public static func read(_ bytes: [UInt8]) throws(Problem) -> ForeignModel {
        let document = try SnapshotManifest.manifestDocument(bytes)
        let mediaType = document.mediaType ?? MediaType.imageManifest
        try SnapshotManifest.expect(
            mediaType == MediaType.imageManifest || mediaType == dockerManifest, "mediaType",
            "is `\(mediaType.escapedForDisplay)`: neither an OCI image manifest nor a Docker v2 manifest")
        let dialect = try Self.dialect(of: document)
        let config = Descriptor(
            mediaType: document.config.mediaType, digest: try document.config.digest(field: "config"), size: document.config.size)
        if let problem = FileSizeLimit.problem(config.size) { throw Problem(field: "config.size", reason: problem) }
        var files: [ForeignModelFile] = []
        var seen = Set<String>()
        for (index, layer) in document.layers.enumerated() {
            let file = try Self.file(layer, dialect: dialect, field: "layers[\(index)]", taken: seen)
            seen.insert(file.path)
            files.append(file)
        }
        try SnapshotManifest.expect(!files.isEmpty, "layers", "is empty: a model manifest names at least one file")
        let problems = PathSafety.problems(in: files.map(\.path))
        try SnapshotManifest.expect(problems.isEmpty, "layers", "unsafe paths: " + problems.joined(separator: "; "))
        if case .failure(let error) = FileSizeLimit.total(files.map(\.size)) {
            throw Problem(field: "layers", reason: error.description)
        }
        return ForeignModel(dialect: dialect, config: config, files: files.sorted { $0.path < $1.path }, annotations: document.annotations ?? [:])
    }

    /// The dialect: from `artifactType` when there is one (it must be a model's), else from the
    /// config's media type (image-spec 1.0 artifacts, Docker Model Runner).
    static func dialect(of document: ManifestReading) throws(Problem) -> ForeignModel.Dialect {
        if let artifactType = document.artifactType {
            guard let dialect = artifactTypes[artifactType] else {
                throw Problem(field: "artifactType", reason: "is `\(artifactType.escapedForDisplay)`: not a model artifact modelpin reads (\(artifactTypes.keys.sorted().joined(separator: ", ")))")
            }
            return dialect
        }
        guard let dialect = configTypes[document.config.mediaType] else {
            throw Problem(field: "config.mediaType", reason: "is `\(document.config.mediaType.escapedForDisplay)`: not a model config modelpin reads (\(configTypes.keys.sorted().joined(separator: ", ")))")
        }
        return dialect
    }

    static func file(_ layer: DescriptorReading, dialect: ForeignModel.Dialect, field: String, taken: Set<String>) throws(Problem) -> ForeignModelFile {
        let archived = try kind(of: layer.mediaType, field: field)
        let annotations = layer.annotations ?? [:]
        let path: String
        if let filepath = annotations[SnapshotManifest.Key.filepath] {
            path = filepath
        } else if let title = annotations[SnapshotManifest.Key.title] {
            path = title
        } else if let name = dockerLayers[layer.mediaType], dialect == .dockerModel {
            path = uniqueName(name, taken: taken)
        } else {
            throw Problem(field: "\(field).annotations", reason: "names no path (`\(SnapshotManifest.Key.filepath)` or `\(SnapshotManifest.Key.title)`)")
        }
        if let reason = PathSafety.reason(path) {
            throw Problem(field: "\(field).annotations", reason: "the path `\(path.escapedForDisplay)`: \(reason)")
        }
        try SnapshotManifest.expect(!taken.contains(path), "\(field).annotations", "names `\(path.escapedForDisplay)`, which an earlier layer names too")
        let sha256 = try layer.digest(field: field)
        if let problem = FileSizeLimit.problem(layer.size) { throw Problem(field: "\(field).size", reason: problem) }
        return ForeignModelFile(path: path, sha256: sha256, size: layer.size, mediaType: layer.mediaType, archived: archived)
    }

    /// Whether a layer of `mediaType` is a tar (true) or one raw file (false); an error for a
    /// compressed or unknown one.
    static func kind(of mediaType: String, field: String) throws(Problem) -> Bool {
        if dockerLayers[mediaType] != nil { return false }
        for vendor in ["cncf", "cnai"] {
            for kind in modelPackKinds {
                let stem = "application/vnd.\(vendor).model.\(kind).v1"
                if mediaType == stem + ".raw" { return false }
                if mediaType == stem + ".tar" { return true }
                if mediaType.hasPrefix(stem + ".tar+") {
                    throw Problem(field: "\(field).mediaType", reason: "is `\(mediaType.escapedForDisplay)`: a compressed layer, which modelpin does not unpack (ask for a `.raw` layer)")
                }
            }
        }
        throw Problem(field: "\(field).mediaType", reason: "is `\(mediaType.escapedForDisplay)`: not a model layer modelpin understands")
    }

    /// `name`, or `name-2`, `name-3`… (before the extension) when an earlier layer took it: a
    /// Docker model may carry several licenses, none with a title.
    static func uniqueName(_ name: String, taken: Set<String>) -> String {
        guard taken.contains(name) else { return name }
        let dot = name.lastIndex(of: ".")
        let stem = dot.map { String(name[..<$0]) } ?? name
        let ext = dot.map { String(name[$0...]) } ?? ""
        var counter = 2
        while taken.contains("\(stem)-\(counter)\(ext)") { counter += 1 }
        return "\(stem)-\(counter)\(ext)"
    }
}
