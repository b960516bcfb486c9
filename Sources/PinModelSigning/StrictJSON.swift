import FoundationEssentials

/// JSON decoding of hostile bytes with errors a person can act on: the dotted path of the field
/// that is wrong, and "truncated" told apart from "malformed".
enum StrictJSON {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], file: String, prefix: String) throws(ModelSigningError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw explain(error, bytes: bytes, file: file, prefix: prefix)
        } catch {
            throw ModelSigningError(file: file, reason: .malformed(field: prefix.isEmpty ? "(document)" : prefix, problem: "\(error)"))
        }
    }

    private static func explain(_ error: DecodingError, bytes: [UInt8], file: String, prefix: String) -> ModelSigningError {
        let (path, problem): ([any CodingKey], String)
        switch error {
        case .typeMismatch(let type, let context): (path, problem) = (context.codingPath, "expected \(describe(type))")
        case .valueNotFound(let type, let context): (path, problem) = (context.codingPath, "expected \(describe(type)), found null")
        case .keyNotFound(let key, let context): (path, problem) = (context.codingPath + [key], "missing")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty, endsEarly(bytes) {
                return ModelSigningError(file: file, reason: .truncatedBundle)
            }
            (path, problem) = (context.codingPath, context.debugDescription)
        @unknown default: (path, problem) = ([], "\(error)")
        }
        return ModelSigningError(file: file, reason: .malformed(field: fieldPath(prefix, path), problem: problem))
    }

    /// `a.b[2].c` from a coding path.
    static func fieldPath(_ prefix: String, _ path: [any CodingKey]) -> String {
        var text = prefix
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text.isEmpty ? "(document)" : text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Double.Type, is Int.Type, is Int64.Type: "a number"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }

    /// Whether the text stops inside a string or with an object or array still open: the mark
    /// of a cut-off file rather than of bad JSON. A scan of nesting only (the decoder has already
    /// said the document is not JSON); brackets inside strings are skipped.
    static func endsEarly(_ bytes: [UInt8]) -> Bool {
        var depth = 0, inString = false, escaped = false, sawValue = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true; sawValue = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; sawValue = true
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): break
            default: sawValue = true
            }
            if depth < 0 { return false }
        }
        return inString || depth > 0 || !sawValue
    }
}

/// Hexadecimal digests, as the statement writes them.
enum Hex {
    static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(of: digits[index]), let low = value(of: digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
