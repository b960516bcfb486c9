public import PinTransport

/// How a bucket is named in a URL.
public enum S3Addressing: String, Sendable, CaseIterable {
    /// `https://ENDPOINT/BUCKET/KEY`: any endpoint, including an IP address or localhost.
    case path
    /// `https://BUCKET.ENDPOINT/KEY`: AWS's default; needs DNS (or *.localhost) for the bucket.
    case virtual
}

/// Where the S3 API is and how to address a bucket on it.
///
/// From the environment (`S3Endpoint(environment:)`), as the AWS CLI reads it:
/// - the endpoint from `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, else
///   `https://s3.REGION.amazonaws.com`;
/// - the region from `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`;
/// - the addressing from `MODELPIN_S3_ADDRESSING` (`path`, `virtual` or `auto`), where `auto`
///   (the default) is virtual-hosted for an `amazonaws.com` endpoint and path-style for any other
///   (a custom endpoint such as Ceph RGW, SeaweedFS, MinIO, or an IP address or localhost, where a
///   bucket's host name would not resolve).
/// An `http://` endpoint is allowed because the user configured it (as for a `http://` mirror): the
/// client adds its origin to the transport policy's plain-http origins, and nothing else.
public struct S3Endpoint: Sendable, Hashable {
    /// The endpoint's scheme, host and port (its path is `/`).
    public let url: HTTPURL
    public let region: String
    public let addressing: S3Addressing

    public init(url: HTTPURL, region: String, addressing: S3Addressing? = nil) throws(S3Error) {
        guard url.pathAndQuery == "/" else {
            throw .badSetting(name: "AWS_ENDPOINT_URL", reason: "`\(url)` has a path or query; give only scheme://host[:port]")
        }
        guard !region.isEmpty, region.utf8.count <= 64,
              region.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
            throw .badSetting(name: "AWS_REGION", reason: "`\(region)` is not a region name (lowercase letters, digits, hyphens)")
        }
        let chosen = addressing ?? (Self.isAWS(url.host) ? .virtual : .path)
        if chosen == .virtual && Self.isIPAddress(url.host) {
            throw .badSetting(name: "MODELPIN_S3_ADDRESSING", reason: "virtual-hosted addressing needs a host name, and `\(url.host)` is an IP address: use path, or an endpoint such as http://localhost:PORT")
        }
        self.url = url
        self.region = region
        self.addressing = chosen
    }

    /// The endpoint the environment describes (see the type's documentation).
    public init(environment: [String: String]) throws(S3Error) {
        let region = Self.value("AWS_REGION", environment) ?? Self.value("AWS_DEFAULT_REGION", environment) ?? "us-east-1"
        let (name, text) = Self.value("AWS_ENDPOINT_URL_S3", environment).map { ("AWS_ENDPOINT_URL_S3", $0) }
            ?? Self.value("AWS_ENDPOINT_URL", environment).map { ("AWS_ENDPOINT_URL", $0) }
            ?? ("AWS_REGION", "https://s3.\(region).amazonaws.com")
        // A trailing slash is a common way to write an endpoint; any other path is refused.
        guard let url = HTTPURL(text.hasSuffix("/") ? text : text + "/") else {
            throw .badSetting(name: name, reason: "`\(text)` is not an http(s) URL")
        }
        var addressing: S3Addressing?
        if let style = Self.value("MODELPIN_S3_ADDRESSING", environment), style != "auto" {
            guard let parsed = S3Addressing(rawValue: style) else {
                throw .badSetting(name: "MODELPIN_S3_ADDRESSING", reason: "`\(style)` is not path, virtual or auto")
            }
            addressing = parsed
        }
        try self.init(url: url, region: region, addressing: addressing)
    }

    /// The URL of `key` in `bucket` (`key` empty: the bucket itself), its path encoded as SigV4
    /// expects, with `query` (already encoded by `SigV4.encodeQuery`).
    func objectURL(bucket: String, key: String, query: String = "") -> HTTPURL {
        let path = "/" + SigV4.encodePath(key)
        let host: String
        let fullPath: String
        switch addressing {
        case .path:
            host = url.host
            fullPath = "/" + bucket + (key.isEmpty ? "/" : path)
        case .virtual:
            host = bucket + "." + url.host
            fullPath = path
        }
        let defaultPort = (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80)
        let text = url.scheme + "://" + host + (defaultPort ? "" : ":\(url.port)") + fullPath + (query.isEmpty ? "" : "?" + query)
        // Every part was checked (bucket name rules, encoded key), so the URL always parses.
        return HTTPURL(text)!
    }

    /// The origin plain http is allowed for, when the endpoint is `http://` (the user's choice).
    func plainHTTPOrigin(bucket: String) -> Origin? {
        let url = objectURL(bucket: bucket, key: "")
        return url.isSecure ? nil : url.origin
    }

    private static func value(_ name: String, _ environment: [String: String]) -> String? {
        guard let value = environment[name]?.trimmingWhitespace, !value.isEmpty else { return nil }
        return value
    }

    static func isAWS(_ host: String) -> Bool {
        host == "amazonaws.com" || host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn")
    }

    static func isIPAddress(_ host: String) -> Bool {
        if host.hasPrefix("[") { return true }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count == 4 && labels.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}
