public import PinModel

/// A blob's file name in a Hugging Face cache: the etag the Hub answered with, which names the
/// bytes. huggingface_hub (file_download.py) keeps a regular git file under its git blob id
/// (40 hex) and an LFS file under its SHA-256 (64 hex), both lowercase.
public enum HFCacheEtag: Hashable, Sendable, CustomStringConvertible {
    case gitBlob(GitBlobID)
    case sha256(SHA256Digest)

    /// Exactly 40 or 64 lowercase hex digits; anything else (an `.incomplete` download, a
    /// name someone made up) is not a blob name.
    public init?(name: String) {
        switch name.utf8.count {
        case 40:
            guard let id = try? GitBlobID(parsing: name) else { return nil }
            self = .gitBlob(id)
        case 64:
            guard SHA256Digest.isHexName(name), let digest = try? SHA256Digest(parsing: SHA256Digest.algorithm + ":" + name) else { return nil }
            self = .sha256(digest)
        default:
            return nil
        }
    }

    /// The file name under `blobs/`.
    public var name: String {
        switch self {
        case .gitBlob(let id): id.hex
        case .sha256(let digest): digest.hex
        }
    }

    /// Whether the Hub keeps these bytes in LFS (their etag is their SHA-256).
    public var isLFS: Bool {
        if case .sha256 = self { return true }
        return false
    }

    public var description: String { name }
}

/// The parts of a Hugging Face cache that are text someone could have written: a `refs/` file,
/// a ref's name, a snapshot entry's link target. Every function here is pure and total (fuzzed
/// by fuzz/FuzzHFCache): it returns the value or the reason it refuses, never traps.
///
/// Written by hand because huggingface_hub has no reader that refuses anything: it follows
/// whatever a link says (`Path.resolve()`), and modelpin must not.
public enum HFCacheText {
    /// A `refs/` file is a 40-hex commit; more than this is not one, whatever it holds.
    public static let maximumRefBytes = 256
    /// How deep a ref name (`refs/pr/1`) or a snapshot path may nest.
    public static let maximumDepth = 32

    /// The commit a `refs/…` file holds: exactly 40 lowercase hex digits, with nothing around
    /// them (huggingface_hub writes no newline, and compares the text as it is: a ref with one
    /// would name no snapshot for it either).
    public static func commit(inRef bytes: [UInt8]) -> Result<CommitID, HFCacheTextError> {
        guard bytes.count <= maximumRefBytes else {
            return .failure(HFCacheTextError("holds \(bytes.count) bytes; a ref holds a 40-hex commit id"))
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if bytes.last == 0x0A || bytes.last == 0x0D {
            return .failure(HFCacheTextError("ends with a line break; huggingface_hub writes the commit id alone and would not match it either"))
        }
        do {
            return .success(try CommitID(parsing: text))
        } catch {
            return .failure(HFCacheTextError("`\(text.escapedForDisplay)` is not a commit id: \(error.description)"))
        }
    }

    /// Why `name` (a path below `refs/`, `/`-separated: `main`, `v1.0`, `refs/pr/1`) cannot be
    /// a revision name, or nil. Git's own ref rules, narrowed to what a file name may safely be
    /// and a store reference may hold: ASCII letters, digits, `-`, `_`, `.`; no component that
    /// is empty, starts with `.` or ends with `.lock`.
    public static func refNameProblem(_ name: String) -> String? {
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 255 else { return "a ref name is 1 to 255 characters" }
        guard components.count <= maximumDepth else { return "nested more than \(maximumDepth) levels" }
        for component in components {
            if component.isEmpty { return "has an empty component" }
            if component.hasPrefix(".") { return "has a component starting with `.`" }
            if component.hasSuffix(".lock") { return "has a component ending in `.lock`" }
            if let bad = component.unicodeScalars.first(where: { !isRefScalar($0) }) {
                return "\(bad.displayDescription) is not allowed in a ref name (ASCII letters, digits, `-`, `_`, `.`)"
            }
        }
        return nil
    }

    /// The blob a snapshot entry's link target names. huggingface_hub links
    /// `snapshots/{commit}/{path}` to `os.path.relpath(blob, dirname(entry))`: for an entry
    /// `depth` directories below its snapshot folder, exactly `../` × (depth + 2) then
    /// `blobs/{etag}`. Anything else is refused with what it is: an absolute target, one that
    /// leaves the repo folder, one that stays inside `snapshots/` (a link to another entry: a
    /// chain), one into another folder of the repo, or a name that is no etag.
    public static func blob(linkTarget target: String, depth: Int) -> Result<HFCacheEtag, HFCacheTextError> {
        let shown = "`\(target.escapedForDisplay)`"
        if target.isEmpty { return .failure(HFCacheTextError("the link target is empty")) }
        if target.hasPrefix("/") {
            return .failure(HFCacheTextError("links to the absolute path \(shown); huggingface_hub links into the repo's own blobs/ with a relative path"))
        }
        var components = target.split(separator: "/", omittingEmptySubsequences: false)[...]
        var up = 0
        while components.first == ".." {
            up += 1
            components = components.dropFirst()
        }
        let expected = depth + 2
        if up > expected || components.contains("..") {
            return .failure(HFCacheTextError("links to \(shown), which leaves the repo folder"))
        }
        if up < expected {
            return .failure(HFCacheTextError("links to \(shown), inside snapshots/ (a link to another link); it must name a blob: \(String(repeating: "../", count: expected))blobs/ETAG"))
        }
        guard components.count == 2, components.first == "blobs" else {
            return .failure(HFCacheTextError("links to \(shown), not to a file in the repo's blobs/"))
        }
        let name = String(components.last!)
        guard let etag = HFCacheEtag(name: name) else {
            return .failure(HFCacheTextError("links to the blob `\(name.escapedForDisplay)`, which is not an etag (40 or 64 lowercase hex digits)"))
        }
        return .success(etag)
    }

    /// The target huggingface_hub writes for an entry `depth` directories below its snapshot.
    public static func linkTarget(for etag: HFCacheEtag, depth: Int) -> String {
        String(repeating: "../", count: depth + 2) + "blobs/" + etag.name
    }

    /// The repo a cache folder is named for (`models--owner--name`, `datasets--owner--name`),
    /// or nil. A repo id's parts never contain `--`, so the split is unambiguous; each part
    /// must pass `RepoID`'s rules.
    public static func repo(folder name: String) -> RepoID? {
        let parts = name.split(separator: "--", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return nil }
        let kind: RepoKind
        switch parts[0] {
        case "models": kind = .model
        case "datasets": kind = .dataset
        default: return nil
        }
        guard let repo = try? RepoID(owner: parts[1], name: parts[2], kind: kind), repo.owner == parts[1], repo.name == parts[2] else { return nil }
        return repo
    }

    static func isRefScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": true
        default: false
        }
    }
}

/// Why a piece of cache text was refused: one phrase, for a report line after the path.
public struct HFCacheTextError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}
