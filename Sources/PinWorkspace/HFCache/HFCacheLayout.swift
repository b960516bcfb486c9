public import PinModel

/// The Hugging Face cache's naming, exactly as huggingface_hub 2.x writes and reads it
/// (`constants.py`, `file_download.py`, `_tree_cache.py`, `utils/_cache_manager.py`). Values
/// only, no I/O: the writer (export) and the reader (import, verify) both name every path here,
/// so neither can drift from the other or from the client.
///
/// ```
/// <cache root>/
///   .locks/models--org--name/<etag>.lock      filelock's flock, one per blob
///   models--org--name/                        datasets--org--name for a dataset
///     blobs/<etag>                            the bytes; etag = sha256 (LFS) or git blob id
///     snapshots/<commit>/<path>               relative symlink ../../blobs/<etag> (deeper: more ../)
///     refs/<revision>                         the commit, no trailing newline (branches, tags, refs/pr/N)
///     trees/<commit>.json                     {"format_version": 1, "files": {...}}: the full listing
/// ```
public enum HFCacheLayout {
    /// Between the kind and each part of the id in a repo folder's name (`REPO_ID_SEPARATOR`).
    public static let separator = "--"
    /// The cache-wide lock directory (`<cache>/.locks`), skipped by `scan_cache_dir`.
    public static let locksFolder = ".locks"
    public static let blobsFolder = "blobs"
    public static let snapshotsFolder = "snapshots"
    public static let refsFolder = "refs"
    public static let treesFolder = "trees"
    /// `TREE_CACHE_FORMAT_VERSION`: a tree file of another version is ignored by the client.
    public static let treeFormatVersion = 1

    // MARK: The root

    /// The cache root as huggingface_hub 2.x computes it: `--cache-dir` when given, else
    /// `$HF_HUB_CACHE`, else the legacy `$HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, else
    /// `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`. Like the client,
    /// `~` and `$NAME`/`${NAME}` are expanded in the variables (os.path.expanduser/expandvars);
    /// an option is taken as the shell left it. Nil when no home is known and one is needed.
    public static func root(option: String?, environment: [String: String]) -> String? {
        if let option, !option.isEmpty { return option }
        func variable(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return expand(value, environment: environment)
        }
        if let hub = variable("HF_HUB_CACHE") ?? variable("HUGGINGFACE_HUB_CACHE") { return hub }
        if let home = variable("HF_HOME") { return join(home, "hub") }
        let cache: String
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cache = xdg
        } else if let home = environment["HOME"], !home.isEmpty {
            cache = join(home, ".cache")
        } else {
            return nil
        }
        // HF_HOME's default goes through the same expansion as a set HF_HOME.
        return join(expand(join(cache, "huggingface"), environment: environment), "hub")
    }

    /// `os.path.expanduser` then `os.path.expandvars`, as the client applies them: a leading
    /// `~` is `$HOME`, `$NAME` and `${NAME}` are replaced when set and left as written when not.
    static func expand(_ text: String, environment: [String: String]) -> String {
        var text = text
        if let home = environment["HOME"], text == "~" || text.hasPrefix("~/") {
            text = home + text.dropFirst()
        }
        guard text.contains("$") else { return text }
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            let braced = after.first == "{"
            let nameStart = braced ? after.index(after: after.startIndex) : after.startIndex
            let name = after[nameStart...].prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            let end = name.endIndex
            let closed = braced && end < after.endIndex && after[end] == "}"
            if !name.isEmpty, !braced || closed, let value = environment[String(name)] {
                result += value
                rest = after[(closed ? after.index(after: end) : end)...]
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }

    static func join(_ base: String, _ name: String) -> String {
        base.hasSuffix("/") ? base + name : base + "/" + name
    }

    // MARK: Repo folders

    /// `models--org--name`, `datasets--org--name` (`repo_folder_name`).
    public static func folderName(of repo: RepoID) -> String {
        [repo.kind.apiPlural, repo.owner, repo.name].joined(separator: separator)
    }

    /// The repo a folder's name stands for. The name comes from a directory anyone could have
    /// written, so it must be exactly what `folderName(of:)` makes: a known kind and two parts
    /// that each pass the Hub's id rules (which forbid `--` in a part, so the split is unique).
    /// A canonical id without an owner (`models--gpt2`), a space's folder or anything else is
    /// refused with the reason.
    public static func repo(folderName name: String) throws(HFCacheLayoutError) -> RepoID {
        let parts = split(name)
        guard parts.count == 3 else {
            let reason = parts.count == 2
                ? "names a repo without an owner; modelpin works only with `owner/name` repos"
                : "is not `KIND--OWNER--NAME`"
            throw HFCacheLayoutError(name: name, reason: reason)
        }
        guard let kind = RepoKind.allCases.first(where: { $0.apiPlural == parts[0] }) else {
            throw HFCacheLayoutError(name: name, reason: "`\(parts[0].escapedForDisplay)` is not a repo kind modelpin reads (models, datasets)")
        }
        do {
            let repo = try RepoID(owner: parts[1], name: parts[2], kind: kind)
            guard folderName(of: repo) == name else { throw HFCacheLayoutError(name: name, reason: "does not name a repo") }
            return repo
        } catch let error as RepoIDError {
            throw HFCacheLayoutError(name: name, reason: "is not a repo folder: " + error.reason)
        } catch {
            throw HFCacheLayoutError(name: name, reason: "does not name a repo")
        }
    }

    /// `name` cut at every `--` (no Foundation in this file: values only).
    static func split(_ name: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(name)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        return parts + [String(rest)]
    }

    // MARK: Paths below a repo folder

    /// `blobs/<etag>`.
    public static func blob(_ etag: HFCacheETag) -> String { blobsFolder + "/" + etag.name }

    /// `snapshots/<commit>/<path>`; `path` must pass `PathSafety` (checked here: it becomes a
    /// file name).
    public static func snapshotFile(commit: CommitID, path: String) throws(HFCacheLayoutError) -> String {
        if let reason = PathSafety.reason(path) { throw HFCacheLayoutError(name: path, reason: reason) }
        return snapshotsFolder + "/" + commit.hex + "/" + path
    }

    /// The target of the symlink at `snapshots/<commit>/<path>`: relative, as the client makes
    /// it (`os.path.relpath`), so a moved cache keeps working: `../../blobs/<etag>` for a file
    /// at the snapshot's top, one more `../` per directory below it.
    public static func snapshotLinkTarget(path: String, etag: HFCacheETag) -> String {
        let depth = path.split(separator: "/", omittingEmptySubsequences: false).count
        return String(repeating: "../", count: depth + 1) + blob(etag)
    }

    /// `refs/<revision>`: a branch, a tag or `refs/pr/N` (which lands at `refs/refs/pr/N`, as
    /// the client writes it: the revision is used as a relative path). A full commit gets no
    /// ref. The revision must be a safe relative path (`PathSafety`) and not a commit.
    public static func ref(_ revision: String) throws(HFCacheLayoutError) -> String {
        if let reason = PathSafety.reason(revision) { throw HFCacheLayoutError(name: revision, reason: reason) }
        if (try? CommitID(parsing: revision)) != nil {
            throw HFCacheLayoutError(name: revision, reason: "is a commit id; only a branch or tag has a ref")
        }
        return refsFolder + "/" + revision
    }

    /// `trees/<commit>.json`.
    public static func tree(commit: CommitID) -> String { treesFolder + "/" + commit.hex + ".json" }

    // MARK: Paths below the cache root

    /// `.locks/<repo folder>/<etag>.lock`: the lock the client holds while it writes that blob.
    public static func lock(repo: RepoID, etag: HFCacheETag) -> String {
        locksFolder + "/" + folderName(of: repo) + "/" + etag.name + ".lock"
    }
}

/// A blob's name in the cache: the ETag the Hub sends for the file. For an LFS file that is its
/// SHA-256 (64 hex); for a plain git file, its git blob id (40 hex), SHA-1 of `blob <size>\0`
/// and the bytes. The name says how to check the bytes.
public enum HFCacheETag: Hashable, Sendable, CustomStringConvertible {
    case sha256(SHA256Digest)
    case gitBlob(GitBlobID)

    /// The etag of a file: the SHA-256 for LFS, the git blob id otherwise (nil when unknown).
    public static func of(lfs: Bool, sha256: SHA256Digest, gitBlobID: GitBlobID?) -> HFCacheETag? {
        lfs ? .sha256(sha256) : gitBlobID.map(HFCacheETag.gitBlob)
    }

    /// A blob's file name read from a cache: exactly 64 or 40 lowercase hex digits.
    public init(name: String) throws(HFCacheLayoutError) {
        if name.utf8.count == 64, let digest = try? SHA256Digest(parsing: SHA256Digest.algorithm + ":" + name) {
            self = .sha256(digest)
        } else if name.utf8.count == 40, let id = try? GitBlobID(parsing: name) {
            self = .gitBlob(id)
        } else {
            throw HFCacheLayoutError(name: name, reason: "is not a blob name (64 or 40 lowercase hex digits)")
        }
    }

    /// The file name: the hex digits alone.
    public var name: String {
        switch self {
        case .sha256(let digest): digest.hex
        case .gitBlob(let id): id.hex
        }
    }

    public var description: String {
        switch self {
        case .sha256(let digest): digest.description
        case .gitBlob(let id): "git blob " + id.hex
        }
    }
}

/// A name in a cache that is not one huggingface_hub would write.
public struct HFCacheLayoutError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name as found (a folder, a file, a revision).
    public let name: String
    public let reason: String

    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }

    public var description: String { "`\(name.escapedForDisplay)` \(reason)" }
}
