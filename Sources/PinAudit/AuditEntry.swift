/// One audit entry, as audit-wire writes it and `audit show` reads it back: a JSON object with
/// `"v":1`, `"time"` (RFC 3339 UTC, seconds: `2026-12-02T16:40:05Z`), `"user"`, `"command"`,
/// `"kind"`, `"outcome"`, and optional `"repo"`, `"commit"`, `"digests"` (path → "sha256:hex")
/// and `"reasons"`. Members beyond these are kept as they are (`extra`), so a newer writer's
/// fields survive a reader that does not know them.
public struct AuditEntry: Sendable, Equatable {
    public static let version: Int64 = 1

    public var time: String
    public var user: String
    /// pull, lock, import, export, verify, mirror, sign, serve…
    public var command: String
    /// What the entry records (a refusal, a verdict, a decision, a pull's result…).
    public var kind: String
    public var outcome: String
    public var repo: String?
    public var commit: String?
    /// File path → `sha256:<hex>`.
    public var digests: [String: String]
    public var reasons: [String]
    /// Members outside the schema above.
    public var extra: [String: CanonicalJSON]

    public init(
        time: String, user: String, command: String, kind: String, outcome: String,
        repo: String? = nil, commit: String? = nil, digests: [String: String] = [:], reasons: [String] = [],
        extra: [String: CanonicalJSON] = [:]
    ) {
        self.time = time
        self.user = user
        self.command = command
        self.kind = kind
        self.outcome = outcome
        self.repo = repo
        self.commit = commit
        self.digests = digests
        self.reasons = reasons
        self.extra = extra
    }

    static let known: Set<String> = ["v", "time", "user", "command", "kind", "outcome", "repo", "commit", "digests", "reasons"]

    /// The entry as the JSON value the log stores.
    public var json: CanonicalJSON {
        var members = extra.filter { !Self.known.contains($0.key) }
        members["v"] = .integer(Self.version)
        members["time"] = .string(time)
        members["user"] = .string(user)
        members["command"] = .string(command)
        members["kind"] = .string(kind)
        members["outcome"] = .string(outcome)
        if let repo { members["repo"] = .string(repo) }
        if let commit { members["commit"] = .string(commit) }
        if !digests.isEmpty { members["digests"] = .object(digests.mapValues { .string($0) }) }
        if !reasons.isEmpty { members["reasons"] = .array(reasons.map { .string($0) }) }
        return .object(members)
    }

    /// Reads an entry back; the error says which field is wrong.
    public init(json: CanonicalJSON) throws(EntrySchemaError) {
        guard case .object(let members) = json else { throw EntrySchemaError("an entry is a JSON object") }
        guard members["v"] == .integer(Self.version) else { throw EntrySchemaError("`v` must be \(Self.version)") }
        func required(_ key: String) throws(EntrySchemaError) -> String {
            guard let value = members[key]?.stringValue else { throw EntrySchemaError("`\(key)` must be a string") }
            return value
        }
        func optional(_ key: String) throws(EntrySchemaError) -> String? {
            guard let value = members[key] else { return nil }
            guard let text = value.stringValue else { throw EntrySchemaError("`\(key)` must be a string") }
            return text
        }
        time = try required("time")
        guard AuditTime(rfc3339: time) != nil else { throw EntrySchemaError("`time` must be RFC 3339 UTC, like 2026-12-02T16:40:05Z") }
        user = try required("user")
        command = try required("command")
        kind = try required("kind")
        outcome = try required("outcome")
        repo = try optional("repo")
        commit = try optional("commit")
        digests = [:]
        if let value = members["digests"] {
            guard case .object(let paths) = value else { throw EntrySchemaError("`digests` must be an object") }
            for (path, digest) in paths {
                guard let text = digest.stringValue else { throw EntrySchemaError("`digests` values must be strings") }
                digests[path] = text
            }
        }
        reasons = []
        if let value = members["reasons"] {
            guard case .array(let items) = value else { throw EntrySchemaError("`reasons` must be an array") }
            for item in items {
                guard let text = item.stringValue else { throw EntrySchemaError("`reasons` must hold strings") }
                reasons.append(text)
            }
        }
        extra = members.filter { !Self.known.contains($0.key) }
    }
}

/// Why an entry does not follow the schema.
public struct EntrySchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
