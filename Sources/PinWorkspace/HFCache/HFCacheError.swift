public import PinModel
public import SystemPackage
import PinStore

/// What writing into (or reading) a Hugging Face cache can refuse or fail at. Each case names
/// the path in the cache and, for a refusal, what was expected and what was found.
public enum HFCacheError: ModelpinError {
    /// `blobs/<etag>` exists with other bytes than the etag names: never overwritten.
    case blobConflict(path: FilePath, expected: HFCacheETag, actual: HFCacheETag)
    /// Something stands where modelpin must write that it will not follow or replace (a
    /// symbolic link planted in the cache, a directory where a file goes, a FIFO…).
    case unsafeEntry(path: FilePath, reason: String)
    /// A name in the cache or the snapshot that huggingface_hub would never write.
    case invalidName(HFCacheLayoutError, context: String)
    /// No cache root: no `--cache-dir`, no HF_HUB_CACHE/HF_HOME/XDG_CACHE_HOME and no HOME.
    case noCacheRoot
    /// The store has no snapshot for this name and revision (export never resolves or fetches).
    case snapshotNotInStore(repo: String, revision: String)
    /// An I/O failure at a path in the cache.
    case io(path: FilePath, Errno, operation: String)

    public var kind: FailureKind {
        switch self {
        case .blobConflict, .unsafeEntry, .invalidName, .snapshotNotInStore: .refused
        case .noCacheRoot: .usage
        case .io: .operational
        }
    }

    public var description: String {
        switch self {
        case .blobConflict(let path, let expected, _):
            "`\(path)` holds other bytes than its name says (\(expected)); modelpin never overwrites a cache blob"
        case .unsafeEntry(let path, let reason): "`\(path)`: \(reason)"
        case .invalidName(let error, let context): "\(context): \(error)"
        case .noCacheRoot: "cannot tell where the Hugging Face cache is: no --cache-dir, HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME or HOME"
        case .snapshotNotInStore(let repo, let revision): "the store holds no snapshot of `\(repo.escapedForDisplay)` at `\(revision.escapedForDisplay)`"
        case .io(let path, _, let operation): "cannot \(operation) `\(path)`"
        }
    }

    public var causes: [String] {
        switch self {
        case .blobConflict(_, let expected, let actual): ["expected: \(expected)", "actual:   \(actual)"]
        case .io(_, let errno, _): [errno.description]
        default: []
        }
    }

    public var hint: String? {
        switch self {
        case .blobConflict:
            "the cache entry is corrupt or was tampered with; inspect it, remove it yourself, and export again"
        case .unsafeEntry: "inspect the cache; modelpin writes only below real directories of the cache root"
        case .noCacheRoot: "pass --cache-dir DIR or set HF_HUB_CACHE"
        case .snapshotNotInStore(let repo, let revision):
            "pull it first (`modelpin pull \(repo.escapedForDisplay)@\(revision.escapedForDisplay)`); export reads only the store"
        default: nil
        }
    }

    /// A DirectoryRoot failure below the cache, classified: a link or non-directory on the way
    /// is a refusal, anything else an I/O failure.
    static func from(_ failure: DirectoryRoot.Failure, operation: String) -> HFCacheError {
        if failure.symbolicLink {
            return .unsafeEntry(path: failure.path, reason: "is a symbolic link; modelpin never follows one inside the cache")
        }
        if failure.errno == .notDirectory {
            return .unsafeEntry(path: failure.path, reason: "a path component is not a directory")
        }
        return .io(path: failure.path, failure.errno, operation: operation)
    }
}
