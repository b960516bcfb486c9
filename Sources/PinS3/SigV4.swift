import Crypto
import PinModel
public import PinTransport

/// AWS Signature Version 4 for S3: signed headers for a request, or a presigned URL.
///
/// Written by hand over swift-crypto's HMAC-SHA256 and SHA-256 rather than with libcurl's
/// CURLOPT_AWS_SIGV4 because libcurl cannot presign a URL (query-string authentication, which
/// `serve --blob-redirect` hands to clients), cannot sign a payload it streams from a file with
/// a checksum we choose, and would tie signing to one transport. The algorithm is AWS's
/// "Signature Version 4 signing process" for S3: canonical request → string to sign → a key
/// derived from the secret by date, region and service → HMAC. SigV4Tests checks it against the
/// examples AWS publishes, not only against itself.
public struct SigV4: Sendable {
    public let credentials: S3Credentials
    public let region: String
    public let service: String

    /// `x-amz-content-sha256` value for a payload that is not hashed (its parts carry
    /// `x-amz-checksum-sha256` instead), and the hash of an empty payload.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The header lines to add to a request (`x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token` if any, `Authorization`). `headers` are the other headers to sign
    /// (names any case; `host` is added from `url`); `payloadHash` is the body's SHA-256 in hex,
    /// or `unsignedPayload`. `time` is Unix seconds.
    public func signedHeaders(
        method: String, url: HTTPURL, headers: [(name: String, value: String)] = [], payloadHash: String, time: Int64
    ) -> [String] {
        let stamp = Self.timestamp(time)
        var signed: [(name: String, value: String)] = headers.map { ($0.name.lowercased(), Self.trimHeaderValue($0.value)) }
        signed.append(("host", Self.hostHeader(url)))
        signed.append(("x-amz-date", stamp))
        signed.append(("x-amz-content-sha256", payloadHash))
        if let token = credentials.sessionToken { signed.append(("x-amz-security-token", token)) }
        signed.sort { $0.name < $1.name }
        let (path, query) = Self.split(url)
        let canonicalHeaders = signed.map { "\($0.name):\($0.value)\n" }.joined()
        let names = signed.map(\.name).joined(separator: ";")
        let request = [method, path, Self.canonicalQuery(query), canonicalHeaders, names, payloadHash].joined(separator: "\n")
        let scope = Self.scope(stamp: stamp, region: region, service: service)
        let signature = self.signature(stamp: stamp, scope: scope, canonicalRequest: request)
        var lines = ["x-amz-date: \(stamp)", "x-amz-content-sha256: \(payloadHash)"]
        if let token = credentials.sessionToken { lines.append("x-amz-security-token: \(token)") }
        lines.append("Authorization: AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(names), Signature=\(signature)")
        return lines
    }

    /// `url` with query-string authentication: anyone holding it may `method` it, without any
    /// header, for `expires` seconds (1…604800) from `time`. Only `host` is signed, so the
    /// client needs nothing but the URL.
    public func presign(method: String = "GET", url: HTTPURL, expires: Int, time: Int64) -> HTTPURL {
        let stamp = Self.timestamp(time)
        let scope = Self.scope(stamp: stamp, region: region, service: service)
        var (path, query) = Self.split(url)
        query += [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", stamp),
            ("X-Amz-Expires", String(max(1, min(expires, 604_800)))),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        let canonical = Self.canonicalQuery(query)
        let request = [method, path, canonical, "host:\(Self.hostHeader(url))\n", "host", Self.unsignedPayload].joined(separator: "\n")
        let signature = self.signature(stamp: stamp, scope: scope, canonicalRequest: request)
        let text = url.scheme + "://" + Self.hostHeader(url) + path + "?" + canonical + "&X-Amz-Signature=" + signature
        return HTTPURL(text)!
    }

    // MARK: The algorithm's steps (internal for the tests)

    func signature(stamp: String, scope: String, canonicalRequest: String) -> String {
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))].joined(separator: "\n")
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [String(stamp.prefix(8)), region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    static func scope(stamp: String, region: String, service: String) -> String {
        "\(stamp.prefix(8))/\(region)/\(service)/aws4_request"
    }

    /// `YYYYMMDDTHHMMSSZ` (ISO 8601 basic, UTC).
    static func timestamp(_ time: Int64) -> String {
        let day = time >= 0 ? time / 86_400 : (time - 86_399) / 86_400
        let (year, month, dayOfMonth) = CivilCalendar.civil(days: day)
        let seconds = time - day * 86_400
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)\(two(month))\(two(dayOfMonth))T\(two(seconds / 3600))\(two(seconds / 60 % 60))\(two(seconds % 60))Z"
    }

    /// The Host header curl sends for `url`: the port only when it is not the scheme's default.
    static func hostHeader(_ url: HTTPURL) -> String {
        let defaultPort = (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80)
        return defaultPort ? url.host : "\(url.host):\(url.port)"
    }

    /// The path (already encoded by `encodePath`, as sent) and the query's pairs, decoded.
    static func split(_ url: HTTPURL) -> (String, [(String, String)]) {
        let text = url.pathAndQuery
        guard let mark = text.firstIndex(of: "?") else { return (text, []) }
        let pairs = text[text.index(after: mark)...].split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(parts[0]), parts.count > 1 ? percentDecode(parts[1]) : "")
        }
        return (String(text[..<mark]), pairs)
    }

    /// Pairs encoded and sorted by name then value, joined with `&`: the canonical query string.
    static func canonicalQuery(_ pairs: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = pairs.map { (encode($0.0), encode($0.1)) }
        let sorted = encoded.sorted { (a, b) -> Bool in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { (pair) -> String in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// `pairs` as a query string in canonical form (what `objectURL` is given).
    static func encodeQuery(_ pairs: [(String, String)]) -> String { canonicalQuery(pairs) }

    /// URI-encodes as SigV4 asks: every byte but `A-Z a-z 0-9 - . _ ~` becomes `%XX` (uppercase).
    static func encode(_ text: some StringProtocol, keepingSlash: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
            case 0x2F where keepingSlash: out.append("/")
            default:
                let digits = Array("0123456789ABCDEF")
                out += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)])
            }
        }
        return out
    }

    /// An object key as a URL path (without its leading `/`): each segment encoded, `/` kept.
    /// S3 does not normalise paths, so `.` and `..` segments are kept as they are.
    static func encodePath(_ key: String) -> String { encode(key, keepingSlash: true) }

    static func percentDecode(_ text: some StringProtocol) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == 0x25, iterator.count >= 2, let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Header values are trimmed and their inner runs of spaces folded to one.
    static func trimHeaderValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ").trimmingWhitespace
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return out
    }
}
