public import PinModel

/// `oci://HOST[:PORT]/REPO[:TAG|@sha256:HEX]`: one repository on one registry, and optionally
/// one manifest in it.
///
/// Parsed strictly by the distribution spec's grammar (repository path components lowercase
/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`, tag `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`, digest
/// `sha256:` + 64 lowercase hex), so that what reaches a URL path is never anything the
/// registry would read differently. Written by hand: no regex engine is needed for three
/// small grammars, and each refusal can name the part that is wrong.
public struct RegistryReference: Sendable, Hashable, CustomStringConvertible {
    /// Lowercased host name or IP literal (an IPv6 literal keeps its brackets).
    public var host: String
    public var port: Int?
    /// `ns/name`, slash-separated path components.
    public var repository: String
    public var tag: String?
    public var digest: SHA256Digest?

    public static let scheme = "oci://"
    /// The spec's limit on `<name>` (with the host) is 255 characters.
    static let maxRepositoryLength = 255

    public init(host: String, port: Int? = nil, repository: String, tag: String? = nil, digest: SHA256Digest? = nil) {
        self.host = host
        self.port = port
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    public init(parsing text: String) throws(RegistryError) {
        guard text.hasPrefix(Self.scheme) else {
            throw .badReference(text, reason: "a registry reference starts with `oci://`")
        }
        let rest = text.dropFirst(Self.scheme.count)
        guard let slash = rest.firstIndex(of: "/") else {
            throw .badReference(text, reason: "there is no repository after the host (oci://HOST/REPO)")
        }
        (host, port) = try Self.parseAuthority(rest[..<slash], text: text)
        var path = rest[rest.index(after: slash)...]
        digest = nil
        tag = nil
        if let at = path.firstIndex(of: "@") {
            let digestText = String(path[path.index(after: at)...])
            do {
                digest = try SHA256Digest(parsing: digestText)
            } catch {
                throw .badReference(text, reason: "`\(digestText)` is not a digest: \(error)")
            }
            path = path[..<at]
        }
        // A tag's colon comes after the last slash (a port's colon is in the authority, gone).
        let lastSlash = path.lastIndex(of: "/") ?? path.startIndex
        if let colon = path[lastSlash...].firstIndex(of: ":") {
            let tagText = String(path[path.index(after: colon)...])
            guard Self.isValidTag(tagText) else {
                throw .badReference(text, reason: "`\(tagText)` is not a tag: 1–128 of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`")
            }
            tag = tagText
            path = path[..<colon]
        }
        repository = String(path)
        if let reason = Self.repositoryProblem(repository) { throw .badReference(text, reason: reason) }
    }

    /// `oci://host[:port]/repo[:tag][@digest]`.
    public var description: String {
        var text = Self.scheme + authority + "/" + repository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// `host[:port]`, as credentials are keyed (docker's config.json) and as errors name it.
    public var authority: String {
        port.map { "\(host):\($0)" } ?? host
    }

    /// The manifest reference for `/v2/<name>/manifests/<reference>`: the digest when there is
    /// one (it is what the caller pinned), else the tag; nil when neither is given.
    public var manifestReference: String? {
        digest?.description ?? tag
    }

    /// True for 127.0.0.0/8, ::1 and `localhost`: the only hosts plain http is allowed for
    /// without the loud force flag.
    public var isLoopback: Bool { Self.isLoopback(host: host) }

    public static func isLoopback(host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
        }
    }

    // MARK: Grammar

    static func parseAuthority(_ authority: Substring, text: String) throws(RegistryError) -> (String, Int?) {
        guard !authority.isEmpty else { throw .badReference(text, reason: "the host is empty") }
        var host = authority
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .badReference(text, reason: "the IPv6 host has no `]`") }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badReference(text, reason: "unexpected text after the IPv6 host") }
                port = try parsePort(after.dropFirst(), text: text)
            }
            host = host[...close]
            let inner = host.dropFirst().dropLast()
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw .badReference(text, reason: "`\(host)` is not an IPv6 address")
            }
        } else {
            if let colon = host.firstIndex(of: ":") {
                port = try parsePort(host[host.index(after: colon)...], text: text)
                host = host[..<colon]
            }
            // DNS labels or an IPv4 address: letters, digits, `-`, `.`; nothing that could
            // smuggle a user, a path or a query into the URL.
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            let valid = !host.isEmpty && labels.allSatisfy { label in
                !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
            guard valid else { throw .badReference(text, reason: "`\(host)` is not a host name") }
        }
        return (host.lowercased(), port)
    }

    static func parsePort(_ text: Substring, text whole: String) throws(RegistryError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy(\.isASCIIDigit), let port = Int(text), (1...65535).contains(port) else {
            throw .badReference(whole, reason: "`\(text)` is not a port (1–65535)")
        }
        return port
    }

    /// Why `name` is not a repository name, or nil when it is one.
    static func repositoryProblem(_ name: String) -> String? {
        if name.isEmpty { return "the repository name is empty" }
        if name.utf8.count > maxRepositoryLength { return "the repository name is longer than \(maxRepositoryLength) characters" }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) where !isValidComponent(component) {
            return "`\(component)` is not a repository path component: lowercase letters and digits, separated by `.`, `_`, `__` or dashes"
        }
        return nil
    }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    static func isValidComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        func alnum(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        var index = 0
        while index < bytes.count {
            if alnum(bytes[index]) { index += 1; continue }
            // A separator run: `.`, `_`, `__`, or any number of `-`.
            var end = index
            while end < bytes.count, !alnum(bytes[end]) { end += 1 }
            let run = bytes[index..<end]
            let ok = run.elementsEqual([0x2E]) || run.elementsEqual([0x5F]) || run.elementsEqual([0x5F, 0x5F])
                || run.allSatisfy { $0 == 0x2D }
            guard ok else { return false }
            index = end
        }
        return true
    }

    /// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
    public static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func word(_ byte: UInt8) -> Bool {
            (0x61...0x7A).contains(byte) || (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5F
        }
        return word(first) && bytes.allSatisfy { word($0) || $0 == 0x2E || $0 == 0x2D }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
