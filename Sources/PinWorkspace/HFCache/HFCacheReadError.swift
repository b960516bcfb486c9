public import PinModel
public import SystemPackage

/// Why `import --hf-cache` or `verify --hf-cache` stopped before reading any blob.
public enum HFCacheReadError: ModelpinError {
    /// The cache directory cannot be opened.
    case unreadableCache(FilePath, String)
    /// A repo named on the command line has no folder in the cache.
    case repoNotInCache(String, cache: FilePath)
    /// A `REPO[@REV]` argument that is not one.
    case badRepoArgument(String, reason: String)
    /// A revision named on the command line is no snapshot of the repo in the cache.
    case revisionNotInCache(repo: String, revision: String, cache: FilePath, known: [String])
    /// `--lock` with several snapshots of one repo and no `main` to choose.
    case ambiguousSnapshot(repo: String, commits: [String])
    /// `--lock` of a repo the project already has, at another commit (or not locked yet): the
    /// person's entry is theirs to change.
    case alreadyInProject(repo: String, alias: String, locked: String?, cached: String, manifest: FilePath)

    public var kind: FailureKind {
        switch self {
        case .unreadableCache: .operational
        case .repoNotInCache, .revisionNotInCache, .ambiguousSnapshot, .alreadyInProject: .operational
        case .badRepoArgument: .usage
        }
    }

    public var description: String {
        switch self {
        case .unreadableCache(let path, _): "cannot read the Hugging Face cache at `\(path)`"
        case .repoNotInCache(let repo, let cache): "`\(repo)` is not in the Hugging Face cache at `\(cache)`"
        case .badRepoArgument(let text, _): "`\(text.escapedForDisplay)` is not a repo (OWNER/NAME[@REV], datasets/OWNER/NAME[@REV])"
        case .revisionNotInCache(let repo, let revision, let cache, _):
            "`\(repo)@\(revision.escapedForDisplay)` is no snapshot in the Hugging Face cache at `\(cache)`"
        case .ambiguousSnapshot(let repo, let commits):
            "the cache holds \(commits.count) snapshots of `\(repo)` and no `main` ref names one of them; which one to lock is not clear"
        case .alreadyInProject(let repo, let alias, _, _, let manifest):
            "`\(manifest)` already has `\(repo)` as `\(alias)`; nothing was written to it or to the lock"
        }
    }

    public var causes: [String] {
        switch self {
        case .unreadableCache(_, let reason): [reason]
        case .badRepoArgument(_, let reason): [reason]
        case .revisionNotInCache(_, _, _, let known): known.isEmpty ? ["it has no snapshot at all"] : ["it has: " + known.joined(separator: ", ")]
        case .ambiguousSnapshot(_, let commits): commits
        case .repoNotInCache: []
        case .alreadyInProject(_, _, let locked, let cached, _):
            ["locked at: \(locked ?? "(not locked)")", "cached:    \(cached)"]
        }
    }

    public var hint: String? {
        switch self {
        case .unreadableCache: "pass the cache with --cache-dir DIR (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)"
        case .repoNotInCache: "list what the cache holds with `hf cache ls`, or pass another --cache-dir"
        case .badRepoArgument: nil
        case .revisionNotInCache: "name a commit or a ref the cache holds"
        case .ambiguousSnapshot(let repo, _): "name the one to lock: `modelpin import --hf-cache --lock \(repo)@COMMIT`"
        case .alreadyInProject(_, let alias, _, _, _):
            "the snapshot is in the store now; to lock another commit, change `revision` of `\(alias)` and run `modelpin lock --update \(alias)`"
        }
    }
}
