// `.npy` files (and the members of `.npz` archives). The header is a Python dict literal
// (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`) that numpy reads with
// `ast.literal_eval`; it is parsed here with a small literal parser. An array whose dtype holds
// Python objects (`'O'`, `'|O'`, or an `O` field in a structured dtype) stores its payload as a
// pickle (`np.load(allow_pickle=True)` unpickles it): that payload is scanned as a pickle.

enum NumpyScanner {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// numpy itself refuses headers over 10 000 bytes unless told otherwise.
    static let maxHeader = 1 << 20

    static func scan<S: ByteSource>(_ source: S, member: String?, policy: ScanPolicy) -> [Finding] {
        do {
            return try scanThrowing(source, member: member, policy: policy)
        } catch {
            return [Scanner.malformed("invalid .npy file: \(error.detail)", offset: error.offset, member: member)]
        }
    }

    private static func scanThrowing<S: ByteSource>(_ source: S, member: String?, policy: ScanPolicy) throws(FormatError) -> [Finding] {
        var cursor = FormatCursor(source)
        let start = try cursor.bytes(8, ".npy preamble")
        guard Scanner.startsWith(start, magic) else { throw FormatError("missing \\x93NUMPY magic", offset: 0) }
        let major = start[6]
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try cursor.u16())
        case 2, 3: headerLength = Int(try cursor.u32())
        default: throw FormatError("unknown format version \(major).\(start[7])", offset: 6)
        }
        guard headerLength <= maxHeader else { throw FormatError("header of \(headerLength) bytes is too large", offset: 8) }
        let headerOffset = cursor.position
        let header = try cursor.bytes(headerLength, "header")
        var parser = PyLiteralParser(bytes: header, base: headerOffset)
        let value = try parser.parseDocument()
        guard case .dict(let entries) = value else { throw FormatError("header is not a dict", offset: headerOffset) }
        var dict: [String: PyLiteral] = [:]
        for (key, item) in entries {
            guard case .string(let name) = key else { throw FormatError("header key is not a string", offset: headerOffset) }
            guard dict[name] == nil else { throw FormatError("duplicate header key `\(name)`", offset: headerOffset) }
            dict[name] = item
        }
        guard Set(dict.keys) == ["descr", "fortran_order", "shape"] else {
            throw FormatError("header keys are \(dict.keys.sorted()), not descr, fortran_order and shape", offset: headerOffset)
        }
        guard case .bool = dict["fortran_order"]! else { throw FormatError("fortran_order is not a bool", offset: headerOffset) }
        guard case .sequence(let shapeItems, _) = dict["shape"]! else { throw FormatError("shape is not a tuple", offset: headerOffset) }
        var count: Int64 = 1
        for item in shapeItems {
            guard case .int(let dim) = item, dim >= 0 else { throw FormatError("shape holds a non-integer or negative dimension", offset: headerOffset) }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw FormatError("shape overflows", offset: headerOffset) }
            count = product
        }
        let payload = cursor.position
        let descr = dict["descr"]!
        if try hasObject(descr, offset: headerOffset) {
            // The payload is one pickle of the whole array.
            let pickle = SliceSource(source, start: payload, size: source.size - payload)
            return PickleScanner.scan(pickle, member: member, policy: policy).map { finding in
                var f = finding
                f.offset = f.offset.map { $0 + payload }
                return f
            }
        }
        if case .string(let simple) = descr, let itemSize = itemSize(simple) {
            let (needed, overflow) = count.multipliedReportingOverflow(by: itemSize)
            if overflow || needed > source.size - payload {
                throw FormatError("array data is truncated (needs \(needed) bytes, has \(source.size - payload))", offset: payload)
            }
        }
        return []
    }

    /// True when the dtype may hold Python objects. Conservative: a type string that is not a
    /// plain numeric, string, void or datetime code counts as an object.
    static func hasObject(_ descr: PyLiteral, offset: Int64) throws(FormatError) -> Bool {
        switch descr {
        case .string(let code):
            return !isPlainType(code)
        case .sequence(let fields, _):
            // (dtype, shape) subarray tuple or a list of fields (name, dtype[, shape]).
            if case .sequence = descr, fields.count == 2, case .string = fields[0], case .sequence(_, let isTuple) = fields[1], isTuple {
                return try hasObject(fields[0], offset: offset)
            }
            for field in fields {
                guard case .sequence(let parts, _) = field, parts.count == 2 || parts.count == 3 else {
                    throw FormatError("structured dtype field is not a (name, dtype[, shape]) tuple", offset: offset)
                }
                if try hasObject(parts[1], offset: offset) { return true }
            }
            return false
        default:
            throw FormatError("descr is not a dtype", offset: offset)
        }
    }

    private static func isPlainType(_ code: String) -> Bool {
        var chars = Substring(code)
        if let first = chars.first, "<>|=".contains(first) { chars = chars.dropFirst() }
        guard let kind = chars.first, "biufcmMSUVa?".contains(kind) else { return false }
        var rest = chars.dropFirst()
        while let c = rest.first, c.isASCII, c.isNumber { rest = rest.dropFirst() }
        if rest.isEmpty { return true }
        // datetime units: M8[ns], m8[D]
        return (kind == "M" || kind == "m") && rest.first == "[" && rest.last == "]"
            && rest.dropFirst().dropLast().allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    private static func itemSize(_ code: String) -> Int64? {
        var chars = Substring(code)
        if let first = chars.first, "<>|=".contains(first) { chars = chars.dropFirst() }
        guard let kind = chars.first, "biufc?".contains(kind) else { return nil }
        let digits = chars.dropFirst()
        if kind == "?" && digits.isEmpty { return 1 }
        guard let size = Int64(digits), size > 0 else { return nil }
        return kind == "U" ? size * 4 : size
    }
}

/// A Python literal as written in an `.npy` header.
indirect enum PyLiteral {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case none
    case sequence([PyLiteral], isTuple: Bool)
    case dict([(PyLiteral, PyLiteral)])
}

/// Parses the subset of Python literals that `.npy` headers use. Depth-bounded.
struct PyLiteralParser {
    let bytes: [UInt8]
    let base: Int64
    var index = 0

    init(bytes: [UInt8], base: Int64) {
        self.bytes = bytes
        self.base = base
    }

    private func fail(_ detail: String) -> FormatError { FormatError("header: \(detail)", offset: base + Int64(index)) }

    mutating func parseDocument() throws(FormatError) -> PyLiteral {
        let value = try parseValue(depth: 0)
        skipSpace()
        guard index == bytes.count else { throw fail("unexpected text after the dict") }
        return value
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    private mutating func parseValue(depth: Int) throws(FormatError) -> PyLiteral {
        guard depth < 32 else { throw fail("nested too deeply") }
        skipSpace()
        guard index < bytes.count else { throw fail("ends early") }
        let c = bytes[index]
        switch c {
        case 0x7B:  // {
            index += 1
            var items: [(PyLiteral, PyLiteral)] = []
            while true {
                skipSpace()
                if index < bytes.count, bytes[index] == 0x7D { index += 1; return .dict(items) }
                let key = try parseValue(depth: depth + 1)
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x3A else { throw fail("expected `:`") }
                index += 1
                let value = try parseValue(depth: depth + 1)
                items.append((key, value))
                skipSpace()
                guard index < bytes.count else { throw fail("unterminated dict") }
                if bytes[index] == 0x2C { index += 1; continue }
                guard bytes[index] == 0x7D else { throw fail("expected `,` or `}`") }
            }
        case 0x28, 0x5B:  // ( [
            let close: UInt8 = c == 0x28 ? 0x29 : 0x5D
            index += 1
            var items: [PyLiteral] = []
            var sawComma = false
            while true {
                skipSpace()
                if index < bytes.count, bytes[index] == close {
                    index += 1
                    // `(x)` is just x in Python; `(x,)` is a tuple.
                    if c == 0x28, items.count == 1, !sawComma { return items[0] }
                    return .sequence(items, isTuple: c == 0x28)
                }
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw fail("unterminated sequence") }
                if bytes[index] == 0x2C { index += 1; sawComma = true; continue }
                guard bytes[index] == close else { throw fail("expected `,` or a closing bracket") }
            }
        case 0x27, 0x22:  // ' "
            index += 1
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let b = bytes[index]
                index += 1
                if b == c { break }
                if b == 0x0A { throw fail("newline in a string") }
                if b == 0x5C {
                    guard index < bytes.count else { throw fail("unterminated string") }
                    out.append(bytes[index])
                    index += 1
                    continue
                }
                out.append(b)
            }
            return .string(String(decoding: out, as: UTF8.self))
        default:
            let start = index
            while index < bytes.count, bytes[index] == 0x2D || bytes[index] == 0x5F || (bytes[index] >= 0x30 && bytes[index] <= 0x39)
                || (bytes[index] | 0x20 >= 0x61 && bytes[index] | 0x20 <= 0x7A)
            {
                index += 1
            }
            let word = String(decoding: bytes[start..<index], as: UTF8.self)
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                let digits = word.replacingUnderscores()
                if let value = Int64(digits.hasSuffix("L") ? String(digits.dropLast()) : digits) { return .int(value) }
                index = start
                throw fail("unexpected `\(word.isEmpty ? String(UnicodeScalar(c)) : word)`")
            }
        }
    }
}

private extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
