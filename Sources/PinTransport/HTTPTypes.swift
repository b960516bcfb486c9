import PinModel

/// An absolute http(s) URL, checked and split once.
///
/// Written by hand rather than with Foundation's URL so that the transport decides, in one
/// place, which URLs it will ever request: only `http` and `https`, with a host, and no user
/// info (credentials in a URL would be sent to whoever the URL names).
public struct HTTPURL: Hashable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int
    /// Path and query, starting with `/`.
    public let pathAndQuery: String

    public var origin: Origin { Origin(scheme: scheme, host: host, port: port) }
    public var isSecure: Bool { scheme == "https" }

    public init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { return nil }
        let scheme = text[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = text[text.index(colon, offsetBy: 3)...]
        let delimiters: Set<Character> = ["/", "?", "#"]
        let authorityEnd = rest.firstIndex(where: delimiters.contains) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = Substring(authority)
        var port = scheme == "https" ? 443 : 80
        if host.hasPrefix("[") {
            // IPv6 literal: [::1]:8080
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()), (1...65535).contains(value) else { return nil }
                port = value
            } else if !after.isEmpty {
                return nil
            }
            host = host[...close]
        } else if let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]), (1...65535).contains(value) else { return nil }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty, host.allSatisfy({ !$0.isWhitespace }) else { return nil }
        var path = String(rest[authorityEnd...])
        if let fragment = path.firstIndex(of: "#") { path = String(path[..<fragment]) }
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.pathAndQuery = path
    }

    public var description: String {
        let defaultPort = (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
        return scheme + "://" + host + (defaultPort ? "" : ":\(port)") + pathAndQuery
    }

    /// The URL with `path` appended to its path (which then must not carry a query).
    public func appending(path: String) -> HTTPURL {
        var base = pathAndQuery
        if base.hasSuffix("/") { base.removeLast() }
        let suffix = path.hasPrefix("/") ? path : "/" + path
        return HTTPURL(scheme: scheme, host: host, port: port, pathAndQuery: base + suffix)
    }

    private init(scheme: String, host: String, port: Int, pathAndQuery: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathAndQuery = pathAndQuery
    }

    /// Percent-encodes one path segment (RFC 3986 unreserved characters stay).
    public static func encodeSegment(_ segment: some StringProtocol) -> String {
        var result = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }

    /// Percent-encodes a `/`-separated path, keeping the separators.
    public static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { encodeSegment($0) }.joined(separator: "/")
    }
}

/// Scheme, host and port: what "the same server" means for credentials.
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int

    public var description: String { "\(scheme)://\(host):\(port)" }
}

/// A response's status line and headers (names lowercased).
public struct HTTPResponseHead: Sendable, Equatable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    /// The URL that answered (after redirects).
    public let url: HTTPURL

    /// `headers`' names must be lowercased, as `header(_:)` looks them up.
    public init(status: Int, headers: [(name: String, value: String)], url: HTTPURL) {
        self.status = status
        self.headers = headers
        self.url = url
    }

    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.last { $0.name == lowered }?.value
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.status == rhs.status && lhs.url == rhs.url
            && lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" }
    }

    /// `Content-Range: bytes START-END/TOTAL`, parsed; nil unless it describes a range a file
    /// can have (0 ≤ START ≤ END < TOTAL ≤ `FileSizeLimit.maximum`): a server's numbers are
    /// never used for arithmetic before they are known to be sane.
    public var contentRange: (start: Int64, end: Int64, total: Int64?)? {
        header("content-range").flatMap(Self.contentRange(parsing:))
    }

    /// `Content-Length`, if present and a size a file can have; nil otherwise.
    public var contentLength: Int64? {
        header("content-length").flatMap(Self.contentLength(parsing:))
    }

    /// A `Content-Range` value, as `contentRange` reads it (an SPI for the fuzz target).
    /// TOTAL is a number or `*` (unknown, RFC 9110); anything else refuses the whole header.
    @_spi(Fuzzing) public static func contentRange(parsing value: String) -> (start: Int64, end: Int64, total: Int64?)? {
        guard value.hasPrefix("bytes ") else { return nil }
        let spec = value.dropFirst(6)
        let parts = spec.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let bounds = parts[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = Int64(bounds[0]), let end = Int64(bounds[1]),
              start >= 0, start <= end, end < FileSizeLimit.maximum
        else { return nil }
        if parts[1] == "*" { return (start, end, nil) }
        guard let total = Int64(parts[1]), total > end, FileSizeLimit.problem(total) == nil else { return nil }
        return (start, end, total)
    }

    /// A `Content-Length` value, as `contentLength` reads it (an SPI for the fuzz target).
    @_spi(Fuzzing) public static func contentLength(parsing value: String) -> Int64? {
        guard let length = Int64(value), FileSizeLimit.problem(length) == nil else { return nil }
        return length
    }
}
