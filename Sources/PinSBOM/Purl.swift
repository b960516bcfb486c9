public import PinModel

/// Package URLs (github.com/package-url/purl-spec) for Hugging Face models.
///
/// The `huggingface` type: `pkg:huggingface/{namespace}/{name}@{version}`; namespace (the owner)
/// and name are case-sensitive and kept as the Hub spells them; the version is the commit id in
/// lower case; `repository_url` names a Hub other than https://huggingface.co. Each component is
/// percent-encoded outside the spec's unreserved characters (Hub ids are letters, digits, `-`,
/// `_` and `.`, so in practice nothing is encoded).
public enum Purl {
    public static func huggingface(_ repo: RepoID, commit: String, endpoint: String) -> String {
        var purl = "pkg:huggingface/\(encode(repo.owner))/\(encode(repo.name))@\(encode(commit.lowercased()))"
        if endpoint != CycloneDX.defaultEndpoint {
            purl += "?repository_url=" + encode(endpoint, keeping: ":/")
        }
        return purl
    }

    /// Percent-encodes every byte but `A-Z a-z 0-9 - . _ ~` (and `keeping`).
    public static func encode(_ text: String, keeping: String = "") -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar)
                || keeping.unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0x0F, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// A repo path for a URL: each segment encoded, `/` kept.
    public static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }.joined(separator: "/")
    }
}
