/// A Hugging Face Hub repository id, `owner/name`, as the Hub accepts it.
///
/// Each part is 1 to 96 characters from `[A-Za-z0-9_.-]`, with no `--` or `..` and no `-` or
/// `.` at either end (huggingface_hub's `REPO_ID_REGEX` rules, restricted to ASCII: the Hub's
/// own client accepts any Unicode word character, which is exactly what homoglyph attacks use).
/// The Hub matches ids ASCII-case-insensitively; `RepoID` keeps the spelling it was given.
///
/// A dataset is written `datasets/owner/name`, the way the Hub's own URLs and `hf download
/// --repo-type dataset` name it; a bare `owner/name` is a model. The kind is part of the identity:
/// `acme/x` the model and `datasets/acme/x` the dataset are different repos.
public struct RepoID: Hashable, Sendable, Comparable {
    public static let maximumPartLength = 96

    public let kind: RepoKind
    public let owner: String
    public let name: String

    /// Parses `owner/name`, or `datasets/owner/name` for a dataset. Every rule broken is reported
    /// with its position.
    public init(parsing text: String) throws(RepoIDError) {
        var body = Substring(text)
        var kind = RepoKind.model
        // `datasets/x` alone is the model `x` of the owner `datasets`; the prefix needs two parts after it.
        if body.hasPrefix(RepoKind.dataset.prefix), body.dropFirst(RepoKind.dataset.prefix.count).contains("/") {
            kind = .dataset
            body = body.dropFirst(RepoKind.dataset.prefix.count)
        }
        self.kind = kind
        let parts = body.split(separator: "/", omittingEmptySubsequences: false)
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

    public init(owner: String, name: String, kind: RepoKind = .model) throws(RepoIDError) {
        try self.init(parsing: kind.prefix + owner + "/" + name)
        guard self.kind == kind else { throw RepoIDError(text: owner + "/" + name, reason: "the owner is `datasets`") }
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
        // Models first, then datasets.
        (lhs.kind == .dataset ? 1 : 0, lhs.owner, lhs.name) < (rhs.kind == .dataset ? 1 : 0, rhs.owner, rhs.name)
    }

    /// `owner/name` without the kind: what the Hub's `id` field and `repo_id` arguments hold.
    public var ownerAndName: String { owner + "/" + name }
}

extension RepoID: CustomStringConvertible {
    /// `owner/name` for a model, `datasets/owner/name` for a dataset: the spelling the CLI, the
    /// lockfile and the store's reference names use.
    public var description: String { kind.prefix + owner + "/" + name }
}

/// What kind of Hub repository an id names. Spaces are not model sources and are not accepted.
public enum RepoKind: String, Hashable, Sendable, CaseIterable {
    case model
    case dataset

    /// The prefix the id is written with (`datasets/`), empty for models.
    public var prefix: String {
        switch self {
        case .model: ""
        case .dataset: "datasets/"
        }
    }

    /// The plural the Hub's API paths use: `/api/models/…`, `/api/datasets/…`.
    public var apiPlural: String {
        switch self {
        case .model: "models"
        case .dataset: "datasets"
        }
    }

    /// What `huggingface_hub` calls it in `repo_type=` arguments.
    public var hubRepoType: String { rawValue }
}

/// Why a repo id was refused.
public struct RepoIDError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String

    public var description: String { "invalid repo id: \(reason)" }
}
