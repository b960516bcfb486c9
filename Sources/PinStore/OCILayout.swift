import PinModel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The OCI image layout the store is laid out as (image-spec `image-layout.md`), so that a
// store, an export bundle and a static mirror are one format that oras and skopeo also read.

/// `oci-layout`: marks a directory as an OCI image layout.
struct OCILayoutMarker: Codable, Equatable {
    static let supportedVersion = "1.0.0"
    var imageLayoutVersion: String
}

public enum MediaType {
    public static let octetStream = "application/octet-stream"
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"

    /// Media types whose blobs reference further blobs (and so are followed by GC).
    static let containers: Set<String> = [imageIndex, imageManifest]
}

/// `index.json`, and any image index blob: a list of manifests.
struct ImageIndex: Codable {
    var schemaVersion: Int = 2
    var mediaType: String? = MediaType.imageIndex
    var manifests: [Descriptor] = []
}

/// An image manifest blob: one config and a list of layers.
struct ImageManifest: Codable {
    var schemaVersion: Int
    var mediaType: String?
    var config: Descriptor
    var layers: [Descriptor]
    var subject: Descriptor?
}

/// Canonical JSON for the store's own files: sorted keys, two-space indent, trailing newline.
enum StoreJSON {
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(value)) + [UInt8(ascii: "\n")]
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// A decoding error as one short line (which key, what was wrong).
    static func explain(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at `\(keys.joined(separator: "."))`"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field `\(key.stringValue)`\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return context.debugDescription + underlying + path(context)
        @unknown default:
            return String(describing: error)
        }
    }
}
