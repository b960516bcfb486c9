public import PinModel

/// A SHA256SUMS file, parsed strictly: GNU coreutils lines (`<64 hex>  path`, `<64 hex> *path`,
/// and the `\`-prefixed form with escaped names) and BSD lines (`SHA256 (path) = <64 hex>`).
///
/// Blank lines and lines starting with `#` are skipped; a leading `./` is dropped from paths; a
/// path listed twice with the same digest is listed once, with different digests it is an error.
public struct ChecksumList: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let path: String
        public let digest: SHA256Digest

        public init(path: String, digest: SHA256Digest) {
            self.path = path
            self.digest = digest
        }
    }

    /// Largest checksum list accepted.
    public static let sizeLimit = 16 << 20

    /// In file order.
    public let entries: [Entry]
    private let index: [String: SHA256Digest]

    public init(entries: [Entry]) {
        self.entries = entries
        self.index = Dictionary(entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { first, _ in first })
    }

    /// Errors name `source:line` and what is wrong with the line.
    public static func parse(_ bytes: [UInt8], source: String) throws(VerifyError) -> ChecksumList {
        guard bytes.count <= sizeLimit else { throw .tooLarge(source: source, limit: sizeLimit) }
        var entries: [Entry] = []
        var seen: [String: (digest: SHA256Digest, line: Int)] = [:]
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            func fail(_ detail: String) -> VerifyError {
                .malformedChecksumList(source: source, line: lineNumber, detail: detail)
            }
            guard let text = String(validating: line, as: UTF8.self) else { throw fail("not valid UTF-8") }
            if text.allSatisfy({ $0 == " " || $0 == "\t" }) || text.hasPrefix("#") { continue }
            let (path, hex) = try text.hasPrefix("SHA256 (") ? parseBSD(text, fail) : parseGNU(text, fail)
            guard let digest = try? SHA256Digest(parsing: SHA256Digest.algorithm + ":" + hex.lowercased()) else {
                throw fail("`\(hex.escapedForDisplay)` is not a SHA-256 checksum")
            }
            var name = Substring(path)
            while name.hasPrefix("./") { name = name.dropFirst(2) }
            guard !name.isEmpty else { throw fail("the line has a checksum but no path") }
            let entryPath = String(name)
            if let previous = seen[entryPath] {
                guard previous.digest == digest else {
                    throw fail("`\(entryPath.escapedForDisplay)` is listed again with a different checksum (line \(previous.line))")
                }
                continue
            }
            seen[entryPath] = (digest, lineNumber)
            entries.append(Entry(path: entryPath, digest: digest))
        }
        return ChecksumList(entries: entries)
    }

    /// The digest listed for `path` (a leading `./` is ignored), nil when it is not listed.
    public func digest(of path: String) -> SHA256Digest? {
        var name = Substring(path)
        while name.hasPrefix("./") { name = name.dropFirst(2) }
        return index[String(name)]
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.entries == rhs.entries }

    // MARK: Line formats

    /// `<hex>  path` (text mode), `<hex> *path` (binary mode); a leading `\` means the path has
    /// `\\`, `\n` and `\r` escapes.
    private static func parseGNU(_ line: String, _ fail: (String) -> VerifyError) throws(VerifyError)
        -> (path: String, hex: String)
    {
        var rest = Substring(line)
        let escaped = rest.hasPrefix("\\")
        if escaped { rest = rest.dropFirst() }
        let hex = rest.prefix(while: { $0 != " " && $0 != "\t" })
        try checkHex(hex, fail)
        rest = rest.dropFirst(hex.count)
        guard rest.hasPrefix(" ") else {
            throw fail(rest.isEmpty ? "the line has a checksum but no path" : "expected `<checksum>  <path>` or `<checksum> *<path>`")
        }
        rest = rest.dropFirst()
        guard let mode = rest.first, mode == " " || mode == "*" else {
            throw fail(rest.isEmpty ? "the line has a checksum but no path" : "expected two spaces, or ` *`, between the checksum and the path")
        }
        rest = rest.dropFirst()
        guard !rest.isEmpty else { throw fail("the line has a checksum but no path") }
        return (escaped ? try unescape(rest, fail) : String(rest), String(hex))
    }

    /// `SHA256 (path) = <hex>`, as `sha256sum --tag` and BSD `sha256` write it.
    private static func parseBSD(_ line: String, _ fail: (String) -> VerifyError) throws(VerifyError)
        -> (path: String, hex: String)
    {
        let body = line.dropFirst("SHA256 (".count)
        guard let separator = body.lastRange(of: ") = ") else {
            throw fail("expected `SHA256 (<path>) = <checksum>`")
        }
        let hex = body[separator.upperBound...]
        try checkHex(hex, fail)
        let path = body[..<separator.lowerBound]
        guard !path.isEmpty else { throw fail("the line has a checksum but no path") }
        return (String(path), String(hex))
    }

    private static func checkHex(_ hex: Substring, _ fail: (String) -> VerifyError) throws(VerifyError) {
        guard !hex.isEmpty, hex.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
            let shown = String(hex.prefix(70))
            throw fail(hex.isEmpty ? "the line does not start with a checksum" : "`\(shown.escapedForDisplay)` is not hex")
        }
        guard hex.count == 64 else {
            throw fail("the checksum has \(hex.count) hex digits; SHA-256 has 64")
        }
    }

    private static func unescape(_ text: Substring, _ fail: (String) -> VerifyError) throws(VerifyError) -> String {
        var result = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "\\" else { result.append(character); continue }
            switch iterator.next() {
            case "\\": result.append("\\")
            case "n": result.append("\n")
            case "r": result.append("\r")
            default: throw fail("unknown escape in the path")
            }
        }
        return result
    }
}

extension Substring {
    /// The last occurrence of `needle` (PinVerify does not import Foundation).
    fileprivate func lastRange(of needle: String) -> Range<Index>? {
        let target = Array(needle)
        var end = endIndex
        while let start = index(end, offsetBy: -target.count, limitedBy: startIndex) {
            if self[start..<end].elementsEqual(target) { return start..<end }
            end = index(before: end)
        }
        return nil
    }
}
