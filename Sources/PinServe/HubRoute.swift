public import PinModel

/// Which Hub endpoint a request target names, with its repo, revision and path decoded and
/// checked. Everything here comes from the network: a revision or a path that does not decode
/// to clean UTF-8, or a path PathSafety refuses, never reaches the catalog.
///
/// Written by hand because the split is the Hub's own and order-sensitive: the target is cut
/// at raw `/` first and each segment percent-decoded after, so `refs%2Fpr%2F1` is one revision
/// and `%2E%2E` is a `..` component that PathSafety refuses. Fuzzed (fuzz/Sources/FuzzServeRequests).
public enum HubRoute: Equatable, Sendable {
    case health
    case metrics
    /// `GET /api/{models|datasets}/{owner}/{name}[/revision/{rev}]` (rev `main` when absent).
    case info(RepoID, revision: String)
    /// `GET /api/{kind}/{repo}/tree/{rev}[/{path}]`; `path` is "" for the root.
    case tree(RepoID, revision: String, path: String)
    /// `POST /api/{kind}/{repo}/paths-info/{rev}`.
    case pathsInfo(RepoID, revision: String)
    /// `HEAD`/`GET /{repo}/resolve/{rev}/{path}`, `/datasets/{repo}/resolve/…`.
    case resolve(RepoID, revision: String, path: String)

    /// The longest request target accepted (longer: 414). The Hub's paths are short; a model's
    /// deepest file is well under this.
    public static let maximumTargetLength = 4096
    /// The revision a request without one means, as on the Hub.
    public static let defaultRevision = "main"

    /// The route's name in metrics and the access log.
    public var name: String {
        switch self {
        case .health: "healthz"
        case .metrics: "metrics"
        case .info: "info"
        case .tree: "tree"
        case .pathsInfo: "paths-info"
        case .resolve: "resolve"
        }
    }

    public var repo: RepoID? {
        switch self {
        case .health, .metrics: nil
        case .info(let repo, _), .tree(let repo, _, _), .pathsInfo(let repo, _), .resolve(let repo, _, _): repo
        }
    }

    public var revision: String? {
        switch self {
        case .health, .metrics: nil
        case .info(_, let revision), .tree(_, let revision, _), .pathsInfo(_, let revision), .resolve(_, let revision, _): revision
        }
    }

    public var path: String? {
        switch self {
        case .tree(_, _, let path), .resolve(_, _, let path): path
        default: nil
        }
    }

    /// Parses the path part of a request target (no query). Throws what the client got wrong.
    public init(path target: String) throws(RouteError) {
        guard target.utf8.count <= Self.maximumTargetLength else { throw .tooLong }
        guard target.hasPrefix("/") else { throw .malformed("the request target does not start with `/`") }
        let raw = target.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if raw == ["healthz"] { self = .health; return }
        if raw == ["metrics"] { self = .metrics; return }
        if raw.first == "api" {
            self = try Self.api(Array(raw.dropFirst()))
        } else {
            self = try Self.resolve(raw[...])
        }
    }

    /// `/api/{models|datasets}/{owner}/{name}/…`.
    private static func api(_ segments: [Substring]) throws(RouteError) -> HubRoute {
        guard segments.count >= 3 else { throw .notFound }
        let kind: RepoKind
        switch segments[0] {
        case "models": kind = .model
        case "datasets": kind = .dataset
        default: throw .notFound
        }
        let repo = try repoID(segments[1], segments[2], kind: kind)
        let rest = segments.dropFirst(3)
        guard let action = rest.first else { return .info(repo, revision: defaultRevision) }
        let arguments = rest.dropFirst()
        guard let revisionSegment = arguments.first else { throw .notFound }
        let revision = try decodeRevision(revisionSegment)
        switch action {
        case "revision":
            guard arguments.count == 1 else { throw .notFound }
            return .info(repo, revision: revision)
        case "paths-info":
            guard arguments.count == 1 else { throw .notFound }
            return .pathsInfo(repo, revision: revision)
        case "tree":
            // huggingface_hub encodes the folder as one segment (`sub%2Fdir`); other clients
            // send its slashes raw. Both decode to the same path. A trailing `/` is the folder.
            var folder = Array(arguments.dropFirst())
            if folder.last == "" { folder.removeLast() }
            let path = folder.isEmpty ? "" : try decodePath(folder[...])
            return .tree(repo, revision: revision, path: path)
        default:
            throw .notFound
        }
    }

    /// `/{owner}/{name}/resolve/{rev}/{path}` or `/datasets/{owner}/{name}/resolve/{rev}/{path}`.
    private static func resolve(_ segments: ArraySlice<Substring>) throws(RouteError) -> HubRoute {
        var segments = segments
        var kind = RepoKind.model
        // `datasets/OWNER/NAME/resolve/…`; otherwise `datasets` is the owner of a model.
        if segments.first == "datasets", segments.count >= 6, segments[segments.startIndex + 3] == "resolve" {
            kind = .dataset
            segments = segments.dropFirst()
        }
        guard segments.count >= 5, segments[segments.startIndex + 2] == "resolve" else { throw .notFound }
        let start = segments.startIndex
        let repo = try repoID(segments[start], segments[start + 1], kind: kind)
        let revision = try decodeRevision(segments[start + 3])
        let path = try decodePath(segments[(start + 4)...])
        return .resolve(repo, revision: revision, path: path)
    }

    private static func repoID(_ owner: Substring, _ name: Substring, kind: RepoKind) throws(RouteError) -> RepoID {
        guard let owner = percentDecoded(owner), let name = percentDecoded(name) else {
            throw .malformed("the repo id is not valid percent-encoded UTF-8")
        }
        do {
            return try RepoID(owner: owner, name: name, kind: kind)
        } catch {
            // Not a name the Hub could hold: answered as a repo that does not exist.
            throw .notFound
        }
    }

    /// One segment, decoded: `refs%2Fpr%2F1` is the revision `refs/pr/1`.
    private static func decodeRevision(_ segment: Substring) throws(RouteError) -> String {
        guard let revision = percentDecoded(segment), !revision.isEmpty else {
            throw .malformed("the revision is empty or not valid percent-encoded UTF-8")
        }
        for scalar in revision.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\\" {
            throw .malformed("the revision contains a control character or a backslash")
        }
        guard !revision.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0.isEmpty }) else {
            throw .malformed("the revision contains an empty or `..` component")
        }
        return revision
    }

    /// Segments decoded one by one and joined with `/`, then held to PathSafety's rules.
    private static func decodePath(_ segments: ArraySlice<Substring>) throws(RouteError) -> String {
        var parts: [String] = []
        for segment in segments {
            guard let part = percentDecoded(segment) else { throw .malformed("the path is not valid percent-encoded UTF-8") }
            parts.append(part)
        }
        let path = parts.joined(separator: "/")
        if let reason = PathSafety.reason(path) { throw .unsafePath(reason) }
        return path
    }

    /// `%XX` decoded; nil for a stray or malformed `%`, or bytes that are not UTF-8. `+` stays
    /// `+` (a path, not a form).
    public static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why a request target names no route.
public enum RouteError: Error, Equatable, Sendable {
    /// Longer than `HubRoute.maximumTargetLength`: 414.
    case tooLong
    /// Not a form this server knows: 404 (as the Hub answers an unknown page).
    case notFound
    /// Bad percent-encoding, a control character, an empty revision: 400.
    case malformed(String)
    /// A file path PathSafety refuses (`..`, NUL, backslash, absolute, a VCS directory): 400.
    case unsafePath(String)
}

/// A query string's parameters (`a=1&b=2`), decoded (`+` as space, as forms encode it).
public struct QueryParameters: Sendable {
    public let pairs: [(String, String)]

    public init(_ query: Substring) {
        var pairs: [(String, String)] = []
        for item in query.split(separator: "&") where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in HubRoute.percentDecoded(Substring(text.replacingPlus)) ?? "" }
            pairs.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
        self.pairs = pairs
    }

    public subscript(_ name: String) -> String? { pairs.last { $0.0 == name }?.1 }
    public func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    /// `true`/`1` (Python's `True` as httpx sends it, case-insensitively) is true; anything else false.
    public func flag(_ name: String) -> Bool {
        guard let value = self[name]?.lowercased() else { return false }
        return value == "true" || value == "1"
    }
}

extension Substring {
    var replacingPlus: String { String(self).split(separator: "+", omittingEmptySubsequences: false).joined(separator: " ") }
}
