import Foundation
import PinDigest
public import PinModel
import PinTransport

/// The few fields of a manifest the client itself needs: its media type, and for a referrer
/// its subject and artifact type (image-spec manifest.md). The full readers of manifests are
/// PinWorkspace's concern; this reads only what the registry protocol depends on.
struct ManifestSummary: Decodable {
    struct Config: Decodable { var mediaType: String? }
    struct Subject: Decodable { var digest: String }

    var mediaType: String?
    var artifactType: String?
    var config: Config?
    var subject: Subject?
    var annotations: [String: String]?

    static func parse(_ bytes: [UInt8]) -> (mediaType: String?, subject: SHA256Digest?, artifactType: String?, annotations: [String: String]?)? {
        guard let summary = try? JSONDecoder().decode(ManifestSummary.self, from: Data(bytes)) else { return nil }
        // The referrers API reports a manifest's artifactType, else its config's media type.
        let artifactType = summary.artifactType ?? summary.config?.mediaType
        return (summary.mediaType, summary.subject.flatMap { try? SHA256Digest(parsing: $0.digest) }, artifactType, summary.annotations)
    }
}

/// An image index as the referrers API and the fallback tag hold it.
struct ReferrersIndex: Codable {
    var schemaVersion = 2
    var mediaType: String? = RegistryMediaType.ociIndex
    var manifests: [Descriptor]
}

extension RegistryClient {
    /// The fallback tag for `digest`'s referrers (distribution-spec "Referrers Tag Schema").
    public static func fallbackTag(for digest: SHA256Digest) -> String {
        "sha256-" + digest.hex
    }

    /// The manifests whose `subject` is `digest`: the referrers API when the registry has it,
    /// else the `sha256-<hex>` fallback tag's index (empty when neither lists any). Filtered by
    /// `artifactType` here too when the registry did not (no `OCI-Filters-Applied`).
    public func referrers(of digest: SHA256Digest, artifactType: String? = nil) throws(RegistryError) -> [Descriptor] {
        var target = url("referrers/" + digest.description)
        if let artifactType, let filtered = HTTPURL(target.description + "?artifactType=" + Self.percentEncode(artifactType)) { target = filtered }
        let what = "the referrers of \(digest)"
        let index: ReferrersIndex
        var filtered = false
        do {
            let (head, body) = try retrying { () throws(RegistryError) in
                try authorized(pullScopes, what: "pull") { credential throws(TransportError) in
                    try http.send(.get, target, headers: ["Accept: " + RegistryMediaType.ociIndex], credential: credential, limit: options.manifestLimit)
                }
            }
            index = try decodeIndex(body, what: what)
            filtered = head.header("oci-filters-applied")?.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "artifactType" } == true
        } catch {
            guard Self.status(of: error) == 404 else { throw error }
            guard let fallback = try fallbackIndex(for: digest) else { return [] }
            index = fallback
        }
        guard let artifactType, !filtered else { return index.manifests }
        return index.manifests.filter { $0.artifactType == artifactType }
    }

    /// The index at the fallback tag, nil when there is none.
    func fallbackIndex(for digest: SHA256Digest) throws(RegistryError) -> ReferrersIndex? {
        let fetched: FetchedManifest
        do {
            fetched = try manifest(Self.fallbackTag(for: digest), accept: [RegistryMediaType.ociIndex])
        } catch {
            if case .notFound = error { return nil }
            throw error
        }
        return try decodeIndex(fetched.bytes, what: "the referrers tag \(Self.fallbackTag(for: digest))")
    }

    func decodeIndex(_ bytes: [UInt8], what: String) throws(RegistryError) -> ReferrersIndex {
        do {
            return try JSONDecoder().decode(ReferrersIndex.self, from: Data(bytes))
        } catch {
            throw .badResponse(registry: registry, repository: repository, what: what, reason: "it is not an image index of sha256 descriptors: \(error)")
        }
    }

    /// Read-modify-write of the fallback tag: the index there, with `descriptor` added (or
    /// replacing an entry of the same digest). Two pushers racing on one subject can lose an
    /// entry; the spec accepts that for registries without the API, and a re-push restores it.
    func addToFallbackIndex(subject: SHA256Digest, _ descriptor: Descriptor) throws(RegistryError) {
        var index = try fallbackIndex(for: subject) ?? ReferrersIndex(manifests: [])
        index.manifests.removeAll { $0.digest == descriptor.digest }
        index.manifests.append(descriptor)
        index.mediaType = RegistryMediaType.ociIndex
        let bytes: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            bytes = Array(try encoder.encode(index))
        } catch {
            throw .badResponse(registry: registry, repository: repository, what: "the referrers tag", reason: "cannot encode it: \(error)")
        }
        let tag = Self.fallbackTag(for: subject)
        let head = try retrying { () throws(RegistryError) in
            try authorized(pushScopes, what: "push") { credential throws(TransportError) in
                try http.send(.put, url("manifests/" + tag), headers: ["Content-Type: " + RegistryMediaType.ociIndex], credential: credential,
                              body: .bytes(bytes), limit: 64 << 10).0
            }
        }
        try checkContentDigest(head, SHA256.hash(bytes), what: "the referrers tag \(tag)")
    }
}
