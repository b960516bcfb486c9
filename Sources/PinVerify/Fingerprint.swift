/// A full OpenPGP v4 key fingerprint (a primary key's or a subkey's): 40 uppercase hex digits.
///
/// Only full fingerprints are pinned or compared. Key ids (the last 16 or 8 hex digits of a
/// fingerprint) are cheap to collide, so parsing refuses them with a message that says so.
public struct Fingerprint: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let hexCount = 40

    /// The 40 uppercase hex digits, without spaces or prefix.
    public let hex: String

    /// Accepts the spellings people copy from gpg and web pages: lowercase, spaces between groups
    /// (`0123 4567 …`), an optional `0x`. A key id (16 or 8 hex digits) and anything else throws.
    public init(parsing text: String) throws(VerifyError) {
        var body = Substring(text.trimmed)
        if body.hasPrefix("0x") || body.hasPrefix("0X") { body = body.dropFirst(2) }
        let digits = body.filter { $0 != " " && $0 != "\t" }
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit), digits.unicodeScalars.allSatisfy(\.isASCII) else {
            throw .invalidFingerprint(text, reason: "not a hex fingerprint")
        }
        switch digits.count {
        case Self.hexCount: hex = digits.uppercased()
        case 16, 8: throw .keyIDNotFingerprint(text)
        default: throw .invalidFingerprint(text, reason: "\(digits.count) hex digits, expected \(Self.hexCount)")
        }
    }

    /// A fingerprint gpg reported (already 40 uppercase hex), or nil for anything else
    /// (a key id, a v5 fingerprint).
    init?(gpg text: String) {
        guard let parsed = try? Fingerprint(parsing: text), parsed.hex == text else { return nil }
        self = parsed
    }

    /// The 16-hex long key id: the fingerprint's last 64 bits (v4 keys).
    public var keyID: String { String(hex.suffix(16)) }

    public var description: String { hex }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.hex < rhs.hex }
}

extension Fingerprint: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Fingerprint(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

extension String {
    /// Without leading and trailing whitespace (PinVerify does not import Foundation).
    var trimmed: Substring {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else {
            return ""
        }
        return self[first...last]
    }
}
