public import PinModel
public import PinTransport

/// Where the Hub API lives: `--endpoint`, `MODELPIN_ENDPOINT`, `HF_ENDPOINT`, else
/// `https://huggingface.co`. A path prefix (a reverse proxy at `/hub`) is kept.
public struct HubEndpoint: Sendable, Equatable, CustomStringConvertible {
    public static let defaultURL = "https://huggingface.co"

    public let base: HTTPURL

    public init(_ text: String) throws(HubError) {
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = HTTPURL(trimmed) else {
            throw .badEndpoint(text, reason: "not an absolute http or https URL with a host")
        }
        guard !url.pathAndQuery.contains("?") else {
            throw .badEndpoint(text, reason: "an endpoint cannot carry a query string")
        }
        base = url
    }

    public var description: String {
        let text = base.description
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// Transport settings the endpoint implies: plain http is allowed for it only if it was
    /// configured as `http://`, and a token goes to its origin and nowhere else.
    public func configure(_ policy: inout TransportPolicy, token: String?) {
        if !base.isSecure { policy.plainHTTPOrigins.insert(base.origin) }
        policy.bearerToken = token
        policy.tokenOrigin = base.origin
    }
}

/// A repository at a resolved commit.
public struct Snapshot: Sendable, Equatable {
    /// The id as the Hub spells it.
    public let repo: RepoID
    public let revision: String
    /// 40 lowercase hex digits.
    public let commit: String

    public init(repo: RepoID, revision: String, commit: String) {
        self.repo = repo
        self.revision = revision
        self.commit = commit
    }
}

/// One file of a snapshot, with everything needed to verify it before it is stored.
public struct HubFile: Sendable, Equatable {
    public let path: String
    public let size: Int64
    /// The git blob id (for LFS files, that of the pointer, not of the content).
    public let gitOID: GitBlobID
    /// The content's SHA-256, for LFS files.
    public let lfsSHA256: SHA256Digest?

    public var isLFS: Bool { lfsSHA256 != nil }

    public init(path: String, size: Int64, gitOID: GitBlobID, lfsSHA256: SHA256Digest?) {
        self.path = path
        self.size = size
        self.gitOID = gitOID
        self.lfsSHA256 = lfsSHA256
    }
}

/// The rules a listed path must follow before modelpin writes anything at it.
public enum PathSafety {
    /// modelpin's own bookkeeping inside a materialized directory.
    public static let reservedDirectory = ".modelpin"

    /// Every unsafe path of a snapshot, each with the reason: absolute, `..`/`.`/empty
    /// components, NUL, backslash or control characters, modelpin's reserved directory, or a
    /// case-insensitive clash with another path (two files, or a file and a directory).
    public static func problems(in paths: [String]) -> [String] {
        var problems: [String] = []
        var seen: [String: String] = [:]
        var directories: [String: String] = [:]
        for path in paths {
            if let reason = reason(path) {
                problems.append("`\(path.escapedForDisplay)`: \(reason)")
                continue
            }
            let folded = path.lowercased()
            if let other = seen[folded] {
                problems.append("`\(path.escapedForDisplay)`: same name as `\(other.escapedForDisplay)` on a case-insensitive filesystem")
                continue
            }
            seen[folded] = path
            let components = folded.split(separator: "/")
            for depth in 1..<max(1, components.count) {
                directories[components[..<depth].joined(separator: "/")] = path
            }
        }
        for (folded, path) in seen.sorted(by: { $0.key < $1.key }) {
            if let child = directories[folded] {
                problems.append("`\(path.escapedForDisplay)`: is a file, but `\(child.escapedForDisplay)` needs it to be a directory")
            }
        }
        return problems
    }

    static func reason(_ path: String) -> String? {
        if path.isEmpty { return "empty path" }
        if path.hasPrefix("/") { return "absolute path" }
        for scalar in path.unicodeScalars {
            if scalar == "\0" { return "contains a NUL character" }
            if scalar == "\\" { return "contains a backslash" }
            if scalar.properties.generalCategory == .control { return "contains a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))" }
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") { return "contains a `..` component" }
        if components.contains(".") { return "contains a `.` component" }
        if components.contains("") { return "contains an empty component" }
        if components.first.map({ $0.lowercased() == reservedDirectory }) == true { return "uses modelpin's reserved `\(reservedDirectory)` directory" }
        return nil
    }
}
