/// One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1): a scheme and its
/// parameters, e.g. `Bearer realm="https://auth.example/token",service="registry",scope="…"`.
///
/// Parsed by hand, strictly: `auth-scheme 1*SP auth-param *( OWS "," OWS auth-param )`, a
/// param's value a token or a quoted-string (with `\` escapes); several challenges separated
/// by commas. Duplicate parameters, unterminated quotes, control characters and stray text
/// are refused rather than guessed at, since what the parser returns decides where
/// credentials are sent.
public struct AuthChallenge: Sendable, Equatable {
    /// Lowercased (`bearer`, `basic`).
    public var scheme: String
    /// Parameter names lowercased; values as sent (unquoted, unescaped).
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Header values longer than this are refused (a challenge is a few hundred bytes).
    static let maxLength = 8192

    /// All challenges in `header`, in order; throws with the reason when it does not parse.
    public static func parse(_ header: String) throws(ChallengeSyntaxError) -> [AuthChallenge] {
        guard header.utf8.count <= maxLength else { throw ChallengeSyntaxError("the header is longer than \(maxLength) bytes") }
        var scanner = Scanner(bytes: Array(header.utf8))
        var challenges: [AuthChallenge] = []
        scanner.skipSpaces()
        while !scanner.atEnd {
            challenges.append(try parseChallenge(&scanner))
            scanner.skipSpaces()
            if scanner.atEnd { break }
            // The param list consumed every comma that led to a param; what is left starts the
            // next challenge after one comma.
            guard scanner.take(UInt8(ascii: ",")) else { throw ChallengeSyntaxError("unexpected text at byte \(scanner.index)") }
            scanner.skipSpaces()
        }
        guard !challenges.isEmpty else { throw ChallengeSyntaxError("the header is empty") }
        return challenges
    }

    private static func parseChallenge(_ scanner: inout Scanner) throws(ChallengeSyntaxError) -> AuthChallenge {
        guard let scheme = scanner.token() else { throw ChallengeSyntaxError("expected an auth scheme at byte \(scanner.index)") }
        var parameters: [String: String] = [:]
        guard scanner.skipSpaces() > 0 || scanner.atEnd || scanner.peek == UInt8(ascii: ",") else {
            throw ChallengeSyntaxError("expected a space after `\(scheme)`")
        }
        // Parameters: name=value, comma-separated. A token followed by anything but `=` is the
        // next challenge's scheme, so look ahead before consuming.
        while !scanner.atEnd {
            let mark = scanner.index
            if !parameters.isEmpty {
                scanner.skipSpaces()
                guard scanner.take(UInt8(ascii: ",")) else { scanner.index = mark; break }
                scanner.skipSpaces()
            }
            guard let name = scanner.token() else { scanner.index = mark; break }
            scanner.skipSpaces()
            guard scanner.take(UInt8(ascii: "=")) else { scanner.index = mark; break }
            scanner.skipSpaces()
            let value: String
            if scanner.peek == UInt8(ascii: "\"") {
                value = try scanner.quotedString()
            } else if let token = scanner.token68() {
                value = token
            } else {
                throw ChallengeSyntaxError("the parameter `\(name)` has no value")
            }
            let key = name.lowercased()
            guard parameters[key] == nil else { throw ChallengeSyntaxError("the parameter `\(key)` appears twice") }
            parameters[key] = value
        }
        return AuthChallenge(scheme: scheme.lowercased(), parameters: parameters)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        @discardableResult
        mutating func skipSpaces() -> Int {
            let start = index
            while let byte = peek, byte == 0x20 || byte == 0x09 { index += 1 }
            return index - start
        }

        /// RFC 9110 tchar: ALPHA DIGIT and !#$%&'*+-.^_`|~
        static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
        }

        mutating func token() -> String? {
            let start = index
            while let byte = peek, Self.isTokenByte(byte) { index += 1 }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }

        /// A bare parameter value: a token, or token68's `/` and trailing `=` (seen in the wild).
        mutating func token68() -> String? {
            let start = index
            while let byte = peek, Self.isTokenByte(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=") { index += 1 }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }

        mutating func quotedString() throws(ChallengeSyntaxError) -> String {
            index += 1  // the opening quote
            var value: [UInt8] = []
            while let byte = peek {
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let escaped = peek, escaped >= 0x20 || escaped == 0x09, escaped != 0x7F else {
                        throw ChallengeSyntaxError("a `\\` at the end of a quoted value")
                    }
                    value.append(escaped)
                    index += 1
                case 0x09, 0x20...0x7E, 0x80...0xFF:
                    value.append(byte)
                default:
                    throw ChallengeSyntaxError("a control character in a quoted value")
                }
            }
            throw ChallengeSyntaxError("a quoted value is not terminated")
        }
    }
}

/// Why a `WWW-Authenticate` header does not parse.
public struct ChallengeSyntaxError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
