public import PinModel

extension HFCacheETag {
    /// Whether the Hub keeps these bytes in LFS (their etag is their SHA-256).
    public var isLFS: Bool {
        if case .sha256 = self { return true }
        return false
    }

    /// The git blob id, when the etag is one.
    public var gitBlobID: GitBlobID? {
        if case .gitBlob(let id) = self { return id }
        return nil
    }
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
    /// and a store reference may hold: ASCII letters, digits, `-`, `_`, `.`, `+`; no component that
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
                return "\(bad.displayDescription) is not allowed in a ref name (ASCII letters, digits, `-`, `_`, `.`, `+`)"
            }
        }
        return nil
    }

    /// The blob a snapshot entry's link target names. huggingface_hub links
    /// `snapshots/{commit}/{path}` to `os.path.relpath(blob, dirname(entry))`: for an entry
    /// `depth` directories below its snapshot folder, exactly `../` × (depth + 2) then
    /// `blobs/{etag}`. Anything else is refused with what it is: an absolute target, one that
    /// leaves the repo folder, one that stays inside `snapshots/` (a link to another entry: a
    /// chain), one into another folder of the repo, or a name that is no etag. What it accepts is
    /// exactly `HFCacheLayout.snapshotLinkTarget`, the writer's form (fuzz/FuzzHFCache checks it).
    public static func blob(linkTarget target: String, depth: Int) -> Result<HFCacheETag, HFCacheTextError> {
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
        guard let etag = try? HFCacheETag(name: name) else {
            return .failure(HFCacheTextError("links to the blob `\(name.escapedForDisplay)`, which is not an etag (40 or 64 lowercase hex digits)"))
        }
        return .success(etag)
    }

    static func isRefScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "+": true
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
