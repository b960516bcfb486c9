/// An OCI content descriptor (image-spec `descriptor.md`): what a manifest, an index or a
/// referrers answer records about a blob. One type for the store's layouts (PinStore) and the
/// registry client (PinRegistry), which must not import each other; it lives with the other
/// values both read, like `SHA256Digest`.
///
/// Codable with the spec's field names; an absent `artifactType` or `annotations` is left out
/// when encoding, so documents written before `artifactType` was carried keep their bytes.
public struct Descriptor: Sendable, Hashable, Codable {
    public var mediaType: String
    public var digest: SHA256Digest
    public var size: Int64
    /// A referrer's artifact type, as an index or the referrers API lists it.
    public var artifactType: String?
    public var annotations: [String: String]?

    public init(mediaType: String, digest: SHA256Digest, size: Int64, artifactType: String? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.artifactType = artifactType
        self.annotations = annotations
    }
}
