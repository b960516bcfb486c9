import FoundationEssentials

/// Refuses a JSON document with a key twice in one object.
///
/// JSONDecoder keeps one of the two silently; in a trust root that would let two readers of one
/// file trust different keys, so the document is refused. A scan of the text, run after the
/// decoder has accepted it as JSON (so only the nesting and strings need tracking here): no JSON
/// library on the machine reports duplicates.
enum DuplicateKeys {
    static func check(_ bytes: [UInt8], file: String) throws(ModelSigningError) {
        // One frame per open object or array: an object's keys so far, and whether the next
        // string is a key (after `{` or `,`) rather than a value.
        struct Frame { var keys: Set<String>?; var expectingKey = false }
        var stack: [Frame] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"): stack.append(Frame(keys: [], expectingKey: true))
            case UInt8(ascii: "["): stack.append(Frame(keys: nil))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
            case UInt8(ascii: ","): if stack.last?.keys != nil { stack[stack.count - 1].expectingKey = true }
            case UInt8(ascii: "\""):
                let end = stringEnd(bytes, from: index)
                if stack.last?.expectingKey == true {
                    let key = decodeKey(Array(bytes[index...min(end, bytes.count - 1)]))
                    guard stack[stack.count - 1].keys!.insert(key).inserted else {
                        throw ModelSigningError(file: file, reason: .malformed(field: key, problem: "appears twice in one object"))
                    }
                    stack[stack.count - 1].expectingKey = false
                }
                index = end
            default: break
            }
            index += 1
        }
    }

    /// The index of the quote closing the string that opens at `start`.
    private static func stringEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
            if bytes[index] == UInt8(ascii: "\"") { return index }
            index += 1
        }
        return bytes.count
    }

    /// The key's text with escapes resolved (`"a"` and `"\u0061"` are one key).
    private static func decodeKey(_ quoted: [UInt8]) -> String {
        guard quoted.contains(UInt8(ascii: "\\")) else { return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self) }
        return (try? JSONDecoder().decode(String.self, from: Data(quoted))) ?? String(decoding: quoted, as: UTF8.self)
    }
}
