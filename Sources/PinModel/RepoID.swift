/// A Hugging Face Hub repository id, `owner/name`, as the Hub accepts it.
///
/// Each part is 1 to 96 characters from `[A-Za-z0-9_.-]`, with no `--` or `..` and no `-` or
/// `.` at either end (huggingface_hub's `REPO_ID_REGEX` rules, restricted to ASCII: the Hub's
/// own client accepts any Unicode word character, which is exactly what homoglyph attacks use).
/// The Hub matches ids ASCII-case-insensitively; `RepoID` keeps the spelling it was given.
public struct RepoID: Hashable, Sendable, Comparable {
    public static let maximumPartLength = 96

    public let owner: String
    public let name: String

    /// Parses `owner/name`. Every rule broken is reported with its position.
    public init(parsing text: String) throws(RepoIDError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            if text.isEmpty { throw RepoIDError(text: text, reason: "the id is empty") }
            throw RepoIDError(
                text: text,
                reason: parts.count == 1
                    ? "expected `owner/name`, found no `/`"
                    : "expected exactly one `/` between owner and name, found \(parts.count - 1)")
        }
        try Self.checkPart(parts[0], of: text, label: "owner")
        try Self.checkPart(parts[1], of: text, label: "name")
        owner = String(parts[0])
        name = String(parts[1])
    }

    public init(owner: String, name: String) throws(RepoIDError) {
        try self.init(parsing: owner + "/" + name)
    }

    /// Checks one part (`owner` or `name`) against the Hub's rules.
    public static func checkPart(_ part: Substring, of text: String, label: String) throws(RepoIDError) {
        guard !part.isEmpty else { throw RepoIDError(text: text, reason: "the \(label) is empty") }
        let scalars = Array(part.unicodeScalars)
        guard scalars.count <= maximumPartLength else {
            throw RepoIDError(text: text, reason: "the \(label) is \(scalars.count) characters long; the Hub allows at most \(maximumPartLength)")
        }
        for (offset, scalar) in scalars.enumerated() where !isAllowed(scalar) {
            let what = scalar == " " ? "a space" : scalar.properties.generalCategory == .control
                ? "a control character (U+\(hex(scalar)))" : "`\(scalar)` (U+\(hex(scalar)))"
            throw RepoIDError(
                text: text,
                reason: "\(what) at position \(offset + 1) of the \(label); Hub ids use only ASCII letters, digits, `-`, `_` and `.`")
        }
        if let first = scalars.first, first == "-" || first == "." {
            throw RepoIDError(text: text, reason: "the \(label) starts with `\(first)`")
        }
        if let last = scalars.last, last == "-" || last == "." {
            throw RepoIDError(text: text, reason: "the \(label) ends with `\(last)`")
        }
        for double in ["--", ".."] where part.contains(double) {
            throw RepoIDError(text: text, reason: "the \(label) contains `\(double)`")
        }
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": true
        default: false
        }
    }

    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.owner, lhs.name) < (rhs.owner, rhs.name)
    }
}

extension RepoID: CustomStringConvertible {
    public var description: String { owner + "/" + name }
}

/// Why a repo id was refused.
public struct RepoIDError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String

    public var description: String { "invalid repo id: \(reason)" }
}
