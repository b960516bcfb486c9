/// A place in a bucket: `s3://BUCKET/PREFIX`, checked once.
///
/// The bucket follows S3's naming rules (3–63 characters of `a-z 0-9 . -`, starting and ending
/// with a letter or digit, no `..`, not an IPv4 address, none of the reserved prefixes and
/// suffixes), so it is safe both in a path and as a host name label. The prefix is a `/`-joined
/// list of segments with no empty, `.` or `..` segment and no control character: a prefix that
/// would mean something else to a tool that reads keys as paths is refused, not rewritten.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public let bucket: String
    /// Segments joined by `/`, without a leading or trailing `/`; empty for the bucket's root.
    public let prefix: String

    public init(parsing text: String) throws(S3Error) {
        guard text.hasPrefix("s3://") else { throw .badLocation(text, reason: "it must start with s3://") }
        let rest = text.dropFirst(5)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let bucket = String(rest[..<slash])
        if let reason = Self.bucketProblem(bucket) { throw .badLocation(text, reason: reason) }
        var path = rest[slash...].drop { $0 == "/" }
        // One trailing slash is how people write a folder: s3://b/models/ means s3://b/models.
        if path.hasSuffix("/") { path = path.dropLast() }
        if let reason = Self.prefixProblem(path) { throw .badLocation(text, reason: reason) }
        self.bucket = bucket
        self.prefix = String(path)
    }

    public init(bucket: String, prefix: String) throws(S3Error) {
        try self.init(parsing: "s3://" + bucket + (prefix.isEmpty ? "" : "/" + prefix))
    }

    /// The object key of `relative` (a `/`-joined path such as `blobs/sha256/<hex>`) under the prefix.
    public func key(_ relative: String) -> String {
        prefix.isEmpty ? relative : prefix + "/" + relative
    }

    public var description: String { "s3://" + bucket + (prefix.isEmpty ? "" : "/" + prefix) }

    /// Why `name` is not a valid bucket name, or nil.
    static func bucketProblem(_ name: String) -> String? {
        guard !name.isEmpty else { return "the bucket name is missing" }
        guard (3...63).contains(name.utf8.count) else { return "a bucket name has 3 to 63 characters" }
        let allowed = name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }
        guard allowed else { return "a bucket name has only lowercase letters, digits, dots and hyphens" }
        let alnum: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
        guard alnum(name.utf8.first!), alnum(name.utf8.last!) else { return "a bucket name starts and ends with a letter or digit" }
        guard !name.contains(".."), !name.contains(".-"), !name.contains("-.") else {
            return "a bucket name has no empty label (`..`, `.-`, `-.`)"
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count == 4, labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            return "a bucket name is not an IP address"
        }
        for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(reserved) {
            return "a bucket name does not start with `\(reserved)`"
        }
        for reserved in ["-s3alias", "--ol-s3", ".mrap", "--x-s3"] where name.hasSuffix(reserved) {
            return "a bucket name does not end with `\(reserved)`"
        }
        return nil
    }

    /// Why `prefix` is not a safe key prefix, or nil.
    static func prefixProblem(_ prefix: Substring) -> String? {
        guard !prefix.isEmpty else { return nil }
        guard prefix.utf8.count <= 512 else { return "the prefix is longer than 512 bytes" }
        for segment in prefix.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "the prefix has an empty segment (`//`)" }
            if segment == "." || segment == ".." { return "the prefix has a `\(segment)` segment" }
            if segment.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) {
                return "the prefix has a control character or a backslash"
            }
        }
        return nil
    }
}
