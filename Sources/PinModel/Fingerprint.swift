/// A full OpenPGP v4 key fingerprint (a primary key's or a subkey's): 40 uppercase hex digits.
///
/// The one parser of fingerprint text in modelpin: modelpin.toml's `signers`, modelpin.lock's
/// `signers` and `signed-by`, config.toml's and `MODELPIN_LOCK_SIGNERS`' lock signers, `add
/// --signer`, `keys remove`, and what gpg reports. Its rules:
///
/// - Accepted: the spellings people copy from `gpg --fingerprint` and web pages: lowercase or
///   uppercase, spaces or tabs between groups (`0123 4567 …`), an optional `0x`, whitespace
///   around it. The value is always the 40 digits in uppercase, so two spellings of one key
///   are equal and a lock is written the same whoever pinned the key.
/// - Refused: a key id (the last 16 or 8 hex digits of a fingerprint) with its own message;
///   key ids are cheap to collide on purpose, so nothing is ever pinned or compared by one.
/// - Refused: a 64-hex fingerprint (v5 keys of LibrePGP, v6 keys of RFC 9580). The gpg that
///   modelpin drives (GnuPG 2.2 in Debian) neither makes nor verifies such keys, so a pin of
///   one could never be met: every pull would then fail as "signed by an unknown key", far
///   from the mistake. Refusing it where it is written says why at once. Accepting them is one
///   more `case` here the day the engine verifies them (the lock format would then hold both
///   lengths; a v4 pin stays the same text).
/// - Refused: anything else (other lengths, other characters, non-ASCII digits).
public struct Fingerprint: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let hexCount = 40

    /// The 40 uppercase hex digits, without spaces or prefix.
    public let hex: String

    public init(parsing text: String) throws(FingerprintError) {
        var body = Substring(text).drop(while: \.isWhitespace)
        while let last = body.last, last.isWhitespace { body = body.dropLast() }
        if body.hasPrefix("0x") || body.hasPrefix("0X") { body = body.dropFirst(2) }
        let digits = body.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard !digits.isEmpty, digits.allSatisfy(Self.isHexDigit) else { throw FingerprintError(text: text, problem: .notHex) }
        switch digits.count {
        case Self.hexCount: hex = String(decoding: digits, as: UTF8.self).uppercased()
        case 16, 8: throw FingerprintError(text: text, problem: .keyID)
        case 64: throw FingerprintError(text: text, problem: .longFingerprint)
        default: throw FingerprintError(text: text, problem: .length(digits.count))
        }
    }

    /// The 16-hex long key id: the fingerprint's last 64 bits (v4 keys).
    public var keyID: String { String(hex.suffix(16)) }

    public var description: String { hex }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.hex < rhs.hex }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
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

/// Text that is not a full v4 fingerprint. Readers of files put `description` in their own
/// error, which names the file, line and field.
public struct FingerprintError: ModelpinError, Equatable {
    public enum Problem: Sendable, Equatable {
        /// 16 or 8 hex digits: a key id.
        case keyID
        /// 64 hex digits: a v5 or v6 key's fingerprint.
        case longFingerprint
        /// A character other than a hex digit (after spaces and a `0x` are dropped), or nothing.
        case notHex
        /// Hex digits, but neither 40 nor one of the lengths above.
        case length(Int)
    }

    /// The text as given.
    public let text: String
    public let problem: Problem

    public init(text: String, problem: Problem) {
        self.text = text
        self.problem = problem
    }

    public var kind: FailureKind { .usage }

    public var description: String {
        let shown = "`\(text.escapedForDisplay)`"
        return switch problem {
        case .keyID: "\(shown) is a key id, not a fingerprint; pin the full 40-hex fingerprint"
        case .longFingerprint:
            "\(shown) is a 64-hex (v5 or v6) OpenPGP fingerprint; modelpin pins v4 keys, whose fingerprints are 40 hex digits"
        case .notHex: "\(shown) is not an OpenPGP fingerprint (40 hex digits)"
        case .length(let count): "\(shown) is not an OpenPGP fingerprint (40 hex digits): it has \(count)"
        }
    }

    public var hint: String? {
        problem == .keyID ? "`gpg --fingerprint KEYID` shows the full fingerprint" : "`gpg --fingerprint` shows a key's full fingerprint"
    }
}
