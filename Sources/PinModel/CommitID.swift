/// A git commit id, as the Hub answers a revision with and modelpin.lock records: 40 lowercase
/// hex digits (the SHA-1 object name).
///
/// Parsed once where it enters (the Hub's revision answer, a lock's `commit`) and carried typed
/// from there, so a commit that reaches a URL path or a snapshot record has been checked.
///
/// Strict, like the digests: one spelling per commit (uppercase is refused, not folded), since a
/// lock is written by modelpin and the Hub spells commits in lowercase.
///
/// 64-hex ids of SHA-256 git repositories are refused, by name: the Hub's repositories are
/// SHA-1 repositories and no source modelpin reads produces one, so accepting the length would
/// only widen what an edited lock may hold. If the Hub ever serves such repositories, this is
/// the one place that learns the second length.
public struct CommitID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let hexCount = 40

    /// The 40 lowercase hex digits.
    public let hex: String

    public init(parsing text: String) throws(CommitIDError) {
        let utf8 = text.utf8
        let lowercaseHex = utf8.allSatisfy { Hex.value(ofLowercase: $0) != nil }
        guard utf8.count == Self.hexCount, lowercaseHex else {
            if utf8.count == 64, lowercaseHex { throw CommitIDError(text: text, problem: .sha256) }
            let lower = text.lowercased()
            if lower != text, lower.utf8.count == Self.hexCount, lower.utf8.allSatisfy({ Hex.value(ofLowercase: $0) != nil }) {
                throw CommitIDError(text: text, problem: .uppercase)
            }
            throw CommitIDError(text: text, problem: .notCommit)
        }
        hex = text
    }

    /// A model from an OCI registry has no git commit: what pins its snapshot is its manifest's
    /// digest, the one immutable name a registry gives it. Such a commit holds the digest's 64
    /// hex digits; it comes only from a typed digest (never from text, so a lock's `commit`
    /// still cannot hold 64 digits), and a lock writes it as `manifest = "sha256:…"`.
    public init(ociManifest digest: SHA256Digest) {
        hex = digest.hex
    }

    /// The manifest digest, for a commit made by `init(ociManifest:)`; nil for a git commit.
    public var ociManifest: SHA256Digest? {
        hex.utf8.count == 64 ? try? SHA256Digest(parsing: "sha256:" + hex) : nil
    }

    /// The first 12 digits: how modelpin shows a commit in a one-line summary.
    public var short: String { String(hex.prefix(12)) }

    public var description: String { hex }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.hex < rhs.hex }
}

extension CommitID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try CommitID(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// Text that is not a commit id. Its readers wrap `description` in an error that says where the
/// text came from (the Hub's URL, the lock's file, line and field).
public struct CommitIDError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        /// 64 hex digits: a SHA-256 repository's commit.
        case sha256
        /// 40 hex digits with uppercase letters.
        case uppercase
        /// Anything else.
        case notCommit
    }

    public let text: String
    public let problem: Problem

    public init(text: String, problem: Problem) {
        self.text = text
        self.problem = problem
    }

    public var description: String {
        let shown = "`\(text.escapedForDisplay)`"
        return switch problem {
        case .sha256: "\(shown) is a SHA-256 git commit id; the Hub's repositories, and modelpin, use 40-hex SHA-1 commit ids"
        case .uppercase: "\(shown) is not a commit id: commit ids are written in lowercase"
        case .notCommit: "\(shown) is not a commit id (40 lowercase hex digits)"
        }
    }
}
