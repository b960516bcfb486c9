public import PinTransport

/// Where `HF_TOKEN` may go: only to hosts the environment trusts, never to one a file in the
/// repository names.
///
/// The manifest (`endpoint` in modelpin.toml) and the lock are edited in pull requests, so
/// letting them pick the token's destination would hand CI's token to whoever wrote the
/// pull request. Trusted are: the Hub itself, every endpoint given outside the repository
/// (`--endpoint`, `MODELPIN_ENDPOINT`, `HF_ENDPOINT`), and the hosts listed in
/// `MODELPIN_TOKEN_HOSTS`. A token still goes only to the origin of the endpoint in use
/// (`HubEndpoint.configure`); this decides whether that endpoint may have it at all.
public struct TokenHosts: Sendable, Equatable {
    /// The environment variable listing further hosts.
    public static let variable = "MODELPIN_TOKEN_HOSTS"

    /// Endpoints configured outside the repository: their exact origins.
    public private(set) var origins: Set<Origin>
    /// `MODELPIN_TOKEN_HOSTS` entries: a host (any port over https), `host:port`, or a URL's
    /// origin.
    public private(set) var entries: [Entry]

    public struct Entry: Sendable, Equatable {
        public let host: String
        public let port: Int?
        /// nil: https only (a bare host never sends the token over plain http).
        public let scheme: String?
    }

    /// `endpoints`: endpoint texts the user gave outside the repository (invalid ones are
    /// skipped: they are refused where they are used). `listed`: `MODELPIN_TOKEN_HOSTS`,
    /// entries separated by commas or whitespace.
    public init(endpoints: [String], listed: String?) throws(HubError) {
        origins = Set(([HubEndpoint.defaultURL] + endpoints).compactMap { (try? HubEndpoint($0))?.base.origin })
        entries = []
        for text in (listed ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
            entries.append(try Self.entry(String(text)))
        }
    }

    /// Whether the token may be sent to `endpoint`.
    public func trusts(_ endpoint: HubEndpoint) -> Bool {
        let origin = endpoint.base.origin
        if origins.contains(origin) { return true }
        return entries.contains { entry in
            entry.host == origin.host && (entry.port.map { $0 == origin.port } ?? true)
                && (entry.scheme.map { $0 == origin.scheme } ?? (origin.scheme == "https"))
        }
    }

    /// One entry, parsed strictly: a typo here must not quietly trust another host.
    static func entry(_ text: String) throws(HubError) -> Entry {
        if text.contains("://") {
            guard let url = HTTPURL(text), url.pathAndQuery == "/" else {
                throw .badTokenHost(text, reason: "a URL entry must be an http(s) origin, with no path, query or user")
            }
            return Entry(host: url.host, port: url.port, scheme: url.scheme)
        }
        // `host` or `host:port`: parsed as the origin of an https URL, then widened to any port
        // when none was written.
        guard let url = HTTPURL("https://" + text), url.pathAndQuery == "/",
              url.host.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || ".-[]:".unicodeScalars.contains($0)) })
        else {
            throw .badTokenHost(text, reason: "not a host name, `host:port` or an http(s) origin")
        }
        let hasPort = text.hasPrefix("[") ? text.contains("]:") : text.contains(":")
        return Entry(host: url.host, port: hasPort ? url.port : nil, scheme: nil)
    }
}
