// A small strict JSON parser (RFC 8259) for the safetensors header and Keras `config.json`:
// depth- and size-bounded, UTF-8 checked, lone surrogates and duplicate object keys rejected
// (duplicate keys are a parser-differential risk: two loaders may keep different values).
// Numbers are kept as integers when they are integers and as their text otherwise.

indirect enum ScanJSON {
    case object([(key: String, value: ScanJSON)])
    case array([ScanJSON])
    case string(String)
    case integer(Int64)
    /// An integer too large for Int64, or a number with a fraction or exponent, as written.
    case number(String)
    case bool(Bool)
    case null

    subscript(key: String) -> ScanJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

struct ScanJSONParser {
    private let bytes: [UInt8]
    private let base: Int64
    private let maxDepth: Int
    private var index = 0

    /// `base`: the offset of `bytes` in the scanned source, for error offsets.
    init(_ bytes: [UInt8], base: Int64 = 0, maxDepth: Int = 128) {
        self.bytes = bytes
        self.base = base
        self.maxDepth = maxDepth
    }

    static func parse(_ bytes: [UInt8], base: Int64 = 0, maxDepth: Int = 128) throws(FormatError) -> ScanJSON {
        var parser = ScanJSONParser(bytes, base: base, maxDepth: maxDepth)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw parser.fail("unexpected data after the JSON value") }
        return value
    }

    private func fail(_ detail: String) -> FormatError { FormatError("JSON: \(detail)", offset: base + Int64(index)) }

    private mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    private mutating func expect(_ literal: String, _ value: ScanJSON) throws(FormatError) -> ScanJSON {
        let utf8 = Array(literal.utf8)
        guard index + utf8.count <= bytes.count, bytes[index..<index + utf8.count].elementsEqual(utf8) else {
            throw fail("invalid literal")
        }
        index += utf8.count
        return value
    }

    private mutating func value(depth: Int) throws(FormatError) -> ScanJSON {
        guard depth <= maxDepth else { throw fail("nested more than \(maxDepth) levels deep") }
        guard index < bytes.count else { throw fail("unexpected end") }
        switch bytes[index] {
        case 0x7B:  // {
            index += 1
            var members: [(key: String, value: ScanJSON)] = []
            var keys = Set<String>()
            skipSpace()
            if index < bytes.count, bytes[index] == 0x7D { index += 1; return .object(members) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x22 else { throw fail("expected a string key") }
                let keyOffset = index
                let key = try string()
                guard keys.insert(key).inserted else {
                    index = keyOffset
                    throw fail("duplicate key `\(key)`")
                }
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x3A else { throw fail("expected `:`") }
                index += 1
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard index < bytes.count else { throw fail("unterminated object") }
                if bytes[index] == 0x2C { index += 1; continue }
                guard bytes[index] == 0x7D else { throw fail("expected `,` or `}`") }
                index += 1
                return .object(members)
            }
        case 0x5B:  // [
            index += 1
            var items: [ScanJSON] = []
            skipSpace()
            if index < bytes.count, bytes[index] == 0x5D { index += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw fail("unterminated array") }
                if bytes[index] == 0x2C { index += 1; continue }
                guard bytes[index] == 0x5D else { throw fail("expected `,` or `]`") }
                index += 1
                return .array(items)
            }
        case 0x22: return .string(try string())
        case 0x74: return try expect("true", .bool(true))
        case 0x66: return try expect("false", .bool(false))
        case 0x6E: return try expect("null", .null)
        case 0x2D, 0x30...0x39: return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func number() throws(FormatError) -> ScanJSON {
        let start = index
        var isInteger = true
        if bytes[index] == 0x2D { index += 1 }
        func digits(_ index: inout Int) -> Int {
            let s = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - s
        }
        guard index < bytes.count else { throw fail("invalid number") }
        if bytes[index] == 0x30 {
            index += 1
        } else if digits(&index) == 0 {
            throw fail("invalid number")
        }
        if index < bytes.count, bytes[index] == 0x2E {
            isInteger = false
            index += 1
            guard digits(&index) > 0 else { throw fail("invalid number") }
        }
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
            guard digits(&index) > 0 else { throw fail("invalid number") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        return .number(text)
    }

    private mutating func hex4() throws(FormatError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func string() throws(FormatError) -> String {
        index += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let b = bytes[index]
            index += 1
            switch b {
            case 0x22:
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                return s
            case 0x00..<0x20:
                throw fail("control character in a string")
            case 0x5C:
                guard index < bytes.count else { throw fail("unterminated string") }
                let e = bytes[index]
                index += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 2 <= bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else {
                            throw fail("lone surrogate in \\u escape")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw fail("lone surrogate in \\u escape")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    out += Array(String(Character(u)).utf8)
                default:
                    throw fail("invalid escape")
                }
            default:
                out.append(b)
            }
        }
    }
}
