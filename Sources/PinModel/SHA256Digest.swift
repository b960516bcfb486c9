/// A SHA-256 digest: the name of every blob in the store and of every file in a lockfile.
///
/// Its text form is `sha256:<64 lowercase hex digits>`, the OCI descriptor spelling, which is
/// also the Hub's LFS oid with a prefix. Parsing is strict: one spelling per digest, so two
/// digests are equal exactly when their texts are.
public struct SHA256Digest: Hashable, Comparable, Sendable {
    public static let algorithm = "sha256"
    public static let byteCount = 32

    // Four big-endian words: no allocation, and comparison orders like the hex text.
    private let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// Exactly 32 bytes, or nil.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        let words = Hex.words(from: bytes, wordSize: 8)
        (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3])
    }

    /// Parses `sha256:<64 lowercase hex>`; anything else throws, with a suggested spelling
    /// when the intent is clear (bare hex, uppercase hex).
    public init(parsing text: String) throws(DigestSyntaxError) {
        let hex = try DigestSyntaxError.check(text, algorithm: Self.algorithm, hexCount: 64)
        let start = hex.startIndex
        // check() guarantees 64 lowercase hex digits, so every word parses.
        w0 = Hex.word(hex, from: start, count: 16)!
        w1 = Hex.word(hex, from: start + 16, count: 16)!
        w2 = Hex.word(hex, from: start + 32, count: 16)!
        w3 = Hex.word(hex, from: start + 48, count: 16)!
    }

    /// The 64 lowercase hex digits, without the algorithm prefix (a blob's file name).
    public var hex: String {
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for word in [w0, w1, w2, w3] { Hex.append(word, byteCount: 8, to: &text) }
        return String(decoding: text, as: UTF8.self)
    }

    /// True when `name` is a valid blob file name: exactly 64 lowercase hex digits.
    public static func isHexName(_ name: String) -> Bool {
        (try? SHA256Digest(parsing: algorithm + ":" + name)) != nil
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }
}

extension SHA256Digest: CustomStringConvertible {
    public var description: String { Self.algorithm + ":" + hex }
}

extension SHA256Digest: DigestText {}

/// A digest stored as its text form (`description`) wherever it is encoded, and strictly
/// parsed back: a lockfile or root with a misspelt digest fails to decode, naming it.
public protocol DigestText: Codable, CustomStringConvertible {
    init(parsing text: String) throws(DigestSyntaxError)
}

extension DigestText {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Self(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
