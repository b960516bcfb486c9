/// A small, strict reader for the XML documents S3 answers with (ListPartsResult, Error…).
///
/// Hand-written rather than FoundationXML because FoundationXML is libxml2 behind a separate
/// module that is not otherwise linked, and its defaults (DTDs, entity expansion) are exactly
/// what a reader of a hostile bucket's answers must refuse. S3 documents use a tiny subset of
/// XML: one optional `<?xml …?>` declaration, elements, attributes (ignored), text with the
/// five predefined entities and character references, comments. Anything else — a DOCTYPE (so
/// no entity can be declared), CDATA, processing instructions, unknown entities, mismatched
/// tags, more than `maxDepth` levels or `maxElements` elements, text after the root — is an
/// error. Namespace prefixes are dropped from names. Fuzzed by fuzz/'s FuzzS3XML.
public struct S3XMLElement: Sendable, Equatable {
    public let name: String
    public var children: [S3XMLElement]
    /// The element's own text (concatenated, entities resolved; whitespace kept).
    public var text: String

    /// The first child named `name`.
    public func child(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }
    public func children(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child named `name`.
    public func value(_ name: String) -> String? { child(name)?.text }
}

public struct S3XMLError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}

public enum S3XML {
    public static let maxDepth = 32
    public static let maxElements = 200_000
    public static let maxSize = 16 << 20

    public static func parse(_ bytes: [UInt8]) throws(S3XMLError) -> S3XMLElement {
        guard bytes.count <= maxSize else { throw S3XMLError(offset: 0, reason: "the document is larger than \(maxSize) bytes") }
        var reader = Reader(bytes: bytes)
        return try reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var at = 0
        var elements = 0

        init(bytes: [UInt8]) {
            // A UTF-8 byte order mark is allowed before the declaration.
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { at = 3 }
        }

        func fail(_ reason: String) -> S3XMLError { S3XMLError(offset: at, reason: reason) }

        mutating func document() throws(S3XMLError) -> S3XMLElement {
            if starts("<?xml") {
                guard let end = find("?>") else { throw fail("an unterminated XML declaration") }
                at = end + 2
            }
            try misc()
            guard at < bytes.count, bytes[at] == 0x3C else { throw fail("expected the root element") }
            let root = try element(depth: 1)
            try misc()
            guard at == bytes.count else { throw fail("content after the root element") }
            return root
        }

        /// Whitespace and comments between top-level items.
        mutating func misc() throws(S3XMLError) {
            while at < bytes.count {
                if isSpace(bytes[at]) { at += 1 } else if starts("<!--") { try comment() } else { return }
            }
        }

        mutating func comment() throws(S3XMLError) {
            guard let end = find("-->", from: at + 4) else { throw fail("an unterminated comment") }
            at = end + 3
        }

        mutating func element(depth: Int) throws(S3XMLError) -> S3XMLElement {
            guard depth <= S3XML.maxDepth else { throw fail("elements nested deeper than \(S3XML.maxDepth)") }
            elements += 1
            guard elements <= S3XML.maxElements else { throw fail("more than \(S3XML.maxElements) elements") }
            at += 1  // <
            let name = try self.name()
            let selfClosing = try attributes()
            var node = S3XMLElement(name: localName(name), children: [], text: "")
            if selfClosing { return node }
            var text: [UInt8] = []
            while true {
                guard at < bytes.count else { throw fail("<\(name)> is not closed") }
                if bytes[at] != 0x3C {
                    try characterData(into: &text)
                } else if starts("</") {
                    at += 2
                    let closing = try self.name()
                    guard closing == name else { throw fail("</\(closing)> closes <\(name)>") }
                    skipSpace()
                    guard at < bytes.count, bytes[at] == 0x3E else { throw fail("expected `>` after </\(name)") }
                    at += 1
                    guard let string = String(validating: text, as: UTF8.self) else { throw fail("text that is not UTF-8") }
                    node.text = string
                    return node
                } else if starts("<!--") {
                    try comment()
                } else if starts("<!") || starts("<?") {
                    throw fail("DOCTYPE, CDATA and processing instructions are not accepted")
                } else {
                    node.children.append(try element(depth: depth + 1))
                }
            }
        }

        /// Reads attributes up to `>` or `/>`; returns whether the element closed itself.
        mutating func attributes() throws(S3XMLError) -> Bool {
            while true {
                skipSpace()
                guard at < bytes.count else { throw fail("an unterminated start tag") }
                if bytes[at] == 0x3E { at += 1; return false }
                if starts("/>") { at += 2; return true }
                _ = try name()
                skipSpace()
                guard at < bytes.count, bytes[at] == 0x3D else { throw fail("expected `=` in an attribute") }
                at += 1
                skipSpace()
                guard at < bytes.count, bytes[at] == 0x22 || bytes[at] == 0x27 else { throw fail("expected a quoted attribute value") }
                let quote = bytes[at]
                at += 1
                var ignored: [UInt8] = []
                while at < bytes.count, bytes[at] != quote {
                    if bytes[at] == 0x3C { throw fail("`<` in an attribute value") }
                    if bytes[at] == 0x26 { try reference(into: &ignored) } else { at += 1 }
                }
                guard at < bytes.count else { throw fail("an unterminated attribute value") }
                at += 1
            }
        }

        mutating func characterData(into text: inout [UInt8]) throws(S3XMLError) {
            while at < bytes.count, bytes[at] != 0x3C {
                if bytes[at] == 0x26 { try reference(into: &text) } else { text.append(bytes[at]); at += 1 }
            }
        }

        /// `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` `&#N;` `&#xH;`; any other entity is refused.
        mutating func reference(into text: inout [UInt8]) throws(S3XMLError) {
            guard let semicolon = bytes[at...].prefix(12).firstIndex(of: 0x3B) else { throw fail("an unterminated `&` reference") }
            let body = String(decoding: bytes[(at + 1)..<semicolon], as: UTF8.self)
            let scalar: Unicode.Scalar?
            switch body {
            case "amp": scalar = "&"
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if body.hasPrefix("#x") { scalar = UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
                else if body.hasPrefix("#") { scalar = UInt32(body.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init) }
                else { throw fail("the entity &\(body); is not one of XML's five") }
            }
            guard let scalar, scalar.value != 0 else { throw fail("an invalid character reference &\(body);") }
            text.append(contentsOf: Array(String(Character(scalar)).utf8))
            at = semicolon + 1
        }

        mutating func name() throws(S3XMLError) -> String {
            let start = at
            while at < bytes.count, isNameByte(bytes[at]) { at += 1 }
            guard at > start, at - start <= 256 else { throw fail("expected a name") }
            return String(decoding: bytes[start..<at], as: UTF8.self)
        }

        func localName(_ name: String) -> String {
            name.firstIndex(of: ":").map { String(name[name.index(after: $0)...]) } ?? name
        }

        mutating func skipSpace() { while at < bytes.count, isSpace(bytes[at]) { at += 1 } }

        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

        func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x3A || byte >= 0x80
        }

        func starts(_ text: String) -> Bool { bytes[at...].starts(with: text.utf8) }

        func find(_ text: String, from: Int? = nil) -> Int? {
            let needle = Array(text.utf8)
            var index = from ?? at
            while index + needle.count <= bytes.count {
                if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
                index += 1
            }
            return nil
        }
    }
}
