/// Why bytes are not canonical JSON (RFC 8785 as `CanonicalJSON` writes it), and where.
public struct CanonicalJSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset of the problem in the input.
    public let offset: Int
    public let reason: String

    public var description: String { "at byte \(offset): \(reason)" }
}

extension CanonicalJSON {
    /// Reads a value that must be exactly in canonical form: the bytes `canonicalBytes` would
    /// write for it, nothing else (no whitespace, sorted unique keys, minimal escapes, integers
    /// only, valid UTF-8). So a stored entry has one spelling, and an edit that keeps its meaning
    /// (a reordered key, an added space) still fails to read back.
    public init(canonical bytes: [UInt8]) throws(CanonicalJSONError) {
        let result: Result<CanonicalJSON, CanonicalJSONError> = bytes.withUnsafeBytes { buffer in
            var reader = CanonicalReader(buffer, build: true)
            do throws(CanonicalJSONError) {
                return .success(try reader.document())
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Checks that `bytes` are canonical JSON without building the value: what `audit verify`
    /// runs over every entry (no allocation for the usual ASCII keys).
    public static func checkCanonical(_ bytes: UnsafeRawBufferPointer) throws(CanonicalJSONError) {
        var reader = CanonicalReader(bytes, build: false)
        _ = try reader.document()
    }
}

/// One strict pass over the bytes. With `build` false it only validates, returning `.null`
/// placeholders, so checking and reading share every rule.
///
/// Written by hand: no JSON library checks *canonical* form (Foundation's JSONSerialization
/// and JSONDecoder accept whitespace, any key order, duplicate keys, `\/` and `1.0`).
struct CanonicalReader {
    private let bytes: UnsafeRawBufferPointer
    private let build: Bool
    private var position = 0
    private var depth = 0
    static let maximumDepth = 64

    init(_ bytes: UnsafeRawBufferPointer, build: Bool) {
        self.bytes = bytes
        self.build = build
    }

    mutating func document() throws(CanonicalJSONError) -> CanonicalJSON {
        let value = try self.value()
        guard position == bytes.count else { throw fail("unexpected bytes after the value") }
        return value
    }

    private func fail(_ reason: String, at offset: Int? = nil) -> CanonicalJSONError {
        CanonicalJSONError(offset: offset ?? position, reason: reason)
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func expect(_ literal: StaticString) throws(CanonicalJSONError) {
        let count = literal.utf8CodeUnitCount
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: count)
        guard position + count <= bytes.count, bytes[position..<position + count].elementsEqual(expected) else {
            throw fail("expected `\(literal)`")
        }
        position += count
    }

    private mutating func value() throws(CanonicalJSONError) -> CanonicalJSON {
        guard let byte = current else { throw fail("the input ends where a value should be") }
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""):
            let string = try self.string()
            return build ? .string(decode(string)) : .null
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
        case 0x20, 0x09, 0x0A, 0x0D:
            throw fail("whitespace outside a string (canonical JSON has none)")
        default: throw fail("not a JSON value")
        }
    }

    private mutating func nest() throws(CanonicalJSONError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw fail("nested deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func array() throws(CanonicalJSONError) -> CanonicalJSON {
        try nest()
        position += 1
        var values: [CanonicalJSON] = []
        if current == UInt8(ascii: "]") {
            position += 1
        } else {
            while true {
                let value = try self.value()
                if build { values.append(value) }
                if try endOfList(closing: UInt8(ascii: "]")) { break }
            }
        }
        depth -= 1
        return build ? .array(values) : .null
    }

    /// After a member: `,` continues, `closing` ends.
    private mutating func endOfList(closing: UInt8) throws(CanonicalJSONError) -> Bool {
        switch current {
        case UInt8(ascii: ","):
            position += 1
            return false
        case closing:
            position += 1
            return true
        default: throw fail("expected `,` or `\(Character(Unicode.Scalar(closing)))`")
        }
    }

    private mutating func object() throws(CanonicalJSONError) -> CanonicalJSON {
        try nest()
        position += 1
        var members: [String: CanonicalJSON] = [:]
        if current == UInt8(ascii: "}") {
            position += 1
        } else {
            var previous: StringToken?
            while true {
                guard current == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let start = position
                let key = try string()
                if let previous, !precedes(previous, key) {
                    throw fail("member names are not in canonical order (sorted by UTF-16 code units, no duplicates)", at: start)
                }
                previous = key
                guard current == UInt8(ascii: ":") else { throw fail("expected `:`") }
                position += 1
                let value = try self.value()
                if build { members[decode(key)] = value }
                if try endOfList(closing: UInt8(ascii: "}")) { break }
            }
        }
        depth -= 1
        return build ? .object(members) : .null
    }

    /// A string's bytes between the quotes; `simple`: ASCII without escapes (compares bytewise).
    struct StringToken {
        let range: Range<Int>
        let simple: Bool
    }

    private func precedes(_ first: StringToken, _ second: StringToken) -> Bool {
        if first.simple && second.simple {
            let a = UnsafeRawBufferPointer(rebasing: bytes[first.range])
            let b = UnsafeRawBufferPointer(rebasing: bytes[second.range])
            return a.lexicographicallyPrecedes(b)
        }
        return decode(first).utf16.lexicographicallyPrecedes(decode(second).utf16)
    }

    private func decode(_ token: StringToken) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[token.range])
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        var output: [UInt8] = []
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                index += 1
                continue
            }
            // string() let only canonical escapes through.
            switch raw[index + 1] {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "u"):
                output.append(Self.hexValue(raw[index + 4]) << 4 | Self.hexValue(raw[index + 5]))
                index += 4
            default: output.append(raw[index + 1])
            }
            index += 2
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8 {
        byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10
    }

    private mutating func string() throws(CanonicalJSONError) -> StringToken {
        position += 1
        let start = position
        var simple = true
        while true {
            guard let byte = current else { throw fail("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return StringToken(range: start..<position - 1, simple: simple)
            case UInt8(ascii: "\\"):
                simple = false
                try escape()
            case 0x00..<0x20: throw fail("a control character in a string must be escaped")
            case 0x80...:
                simple = false
                try utf8Scalar()
            default: position += 1
            }
        }
    }

    /// RFC 8785 escapes: `\"`, `\\`, `\b \t \n \f \r`, and `\u00xx` (lower-case hex) for the
    /// other control characters only.
    private mutating func escape() throws(CanonicalJSONError) {
        guard position + 1 < bytes.count else { throw fail("unterminated escape") }
        switch bytes[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "b"), UInt8(ascii: "t"), UInt8(ascii: "n"), UInt8(ascii: "f"), UInt8(ascii: "r"):
            position += 2
        case UInt8(ascii: "u"):
            guard position + 6 <= bytes.count, bytes[position + 2] == UInt8(ascii: "0"), bytes[position + 3] == UInt8(ascii: "0"),
                  let high = Self.lowerHex(bytes[position + 4]), let low = Self.lowerHex(bytes[position + 5]), high < 2
            else { throw fail("a \\u escape is canonical only as \\u00xx (lower-case hex) for a control character") }
            let value = high << 4 | low
            guard ![0x08, 0x09, 0x0A, 0x0C, 0x0D].contains(value) else {
                throw fail("this control character has a short escape (\\b \\t \\n \\f \\r) in canonical form")
            }
            position += 6
        default: throw fail("an escape canonical form does not use")
        }
    }

    private static func lowerHex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// One well-formed UTF-8 sequence of two to four bytes (no overlong forms, no surrogates,
    /// nothing above U+10FFFF), per RFC 3629's table.
    private mutating func utf8Scalar() throws(CanonicalJSONError) {
        let lead = bytes[position]
        let (count, low, high): (Int, UInt8, UInt8) = switch lead {
        case 0xC2...0xDF: (2, 0x80, 0xBF)
        case 0xE0: (3, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
        case 0xED: (3, 0x80, 0x9F)
        case 0xF0: (4, 0x90, 0xBF)
        case 0xF1...0xF3: (4, 0x80, 0xBF)
        case 0xF4: (4, 0x80, 0x8F)
        default: (0, 0, 0)
        }
        guard count > 0, position + count <= bytes.count, (low...high).contains(bytes[position + 1]),
              (2..<count).allSatisfy({ (0x80...0xBF).contains(bytes[position + $0]) })
        else { throw fail("invalid UTF-8") }
        position += count
    }

    /// `-?(0|[1-9][0-9]*)` within ±2^53; a fraction or exponent is refused (entries hold integers).
    private mutating func integer() throws(CanonicalJSONError) -> Int64 {
        let start = position
        let negative = current == UInt8(ascii: "-")
        if negative { position += 1 }
        var magnitude: Int64 = 0
        var digits = 0
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            if digits == 1 && magnitude == 0 { throw fail("a leading zero is not canonical", at: start) }
            magnitude = magnitude * 10 + Int64(byte - UInt8(ascii: "0"))
            guard magnitude <= CanonicalJSON.integerLimit else { throw fail("an integer beyond ±2^53", at: start) }
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw fail("a number needs digits", at: start) }
        if let byte = current, byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw fail("only integers are allowed (no fraction or exponent)", at: start)
        }
        if negative && magnitude == 0 { throw fail("-0 is not canonical", at: start) }
        return negative ? -magnitude : magnitude
    }
}
