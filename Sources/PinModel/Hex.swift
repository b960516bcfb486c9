/// Lowercase hexadecimal text for digests. Written here because the standard library has no
/// hex codec and these digests are parsed on every lockfile read.
enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `word`'s bytes, most significant first, as `2 * byteCount` lowercase digits.
    static func append(_ word: UInt64, byteCount: Int, to text: inout [UInt8]) {
        var shift = (byteCount - 1) * 8
        while shift >= 0 {
            let byte = UInt8(truncatingIfNeeded: word >> UInt64(shift))
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
            shift -= 8
        }
    }

    /// The value of one lowercase hex digit; nil for anything else (uppercase included).
    static func value(ofLowercase digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Reads `count` lowercase digits starting at `start` as a big-endian word.
    static func word(_ text: ArraySlice<UInt8>, from start: Int, count: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in start..<(start + count) {
            guard let nibble = Self.value(ofLowercase: text[index]) else { return nil }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }

    /// Folds bytes into big-endian words of `wordSize` bytes.
    static func words(from bytes: some Collection<UInt8>, wordSize: Int) -> [UInt64] {
        var words: [UInt64] = []
        var current: UInt64 = 0
        var filled = 0
        for byte in bytes {
            current = current << 8 | UInt64(byte)
            filled += 1
            if filled == wordSize {
                words.append(current)
                current = 0
                filled = 0
            }
        }
        if filled > 0 { words.append(current) }
        return words
    }
}

/// Why a digest's text form was refused.
public struct DigestSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String
    /// The corrected spelling, when the intent is unambiguous (bare hex, uppercase hex).
    public let suggestion: String?

    public var description: String { "`\(text)` is not a valid digest: \(reason)" }
}

extension DigestSyntaxError {
    /// Checks `text` against `<algorithm>:<hexCount lowercase hex digits>`.
    static func check(_ text: String, algorithm: String, hexCount: Int) throws(DigestSyntaxError) -> ArraySlice<UInt8> {
        let utf8 = Array(text.utf8)
        let prefix = Array((algorithm + ":").utf8)
        let isHex: (UInt8) -> Bool = {
            Hex.value(ofLowercase: $0) != nil || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0)
        }

        if utf8.count == hexCount, utf8.allSatisfy(isHex) {
            throw DigestSyntaxError(
                text: text, reason: "the `\(algorithm):` prefix is missing",
                suggestion: algorithm + ":" + text.lowercased())
        }
        let lowercased = text.lowercased()
        if lowercased != text, (try? check(lowercased, algorithm: algorithm, hexCount: hexCount)) != nil {
            throw DigestSyntaxError(text: text, reason: "digests are written in lowercase", suggestion: lowercased)
        }
        guard utf8.starts(with: prefix) else {
            let algorithmPart = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? text
            let reason = text.contains(":")
                ? "unsupported algorithm `\(algorithmPart)`; modelpin digests are `\(algorithm):` followed by \(hexCount) lowercase hex digits"
                : "expected `\(algorithm):` followed by \(hexCount) lowercase hex digits"
            throw DigestSyntaxError(text: text, reason: reason, suggestion: nil)
        }
        let hex = utf8[prefix.count...]
        guard hex.count == hexCount else {
            throw DigestSyntaxError(
                text: text, reason: "expected \(hexCount) hex digits after `\(algorithm):`, found \(hex.count)",
                suggestion: nil)
        }
        if let bad = hex.first(where: { Hex.value(ofLowercase: $0) == nil }) {
            let character = String(decoding: [bad], as: UTF8.self)
            throw DigestSyntaxError(
                text: text, reason: "`\(character)` is not a hex digit", suggestion: nil)
        }
        return hex
    }
}
