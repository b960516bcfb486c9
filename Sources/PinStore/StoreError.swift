public import PinModel
public import SystemPackage
public import PinDigest

/// Everything the store can refuse or fail at. Each case carries the paths and values a
/// person needs to act on it.
public enum StoreError: ModelpinError {
    /// The store path exists but is not a directory.
    case notADirectory(FilePath)
    /// The store (or one of its folders) cannot be written: read-only mount or permissions.
    case notWritable(FilePath, Errno)
    /// `oci-layout` names a layout version this modelpin does not understand.
    case unsupportedLayout(file: FilePath, found: String)
    /// A store metadata file (oci-layout, index.json, a root) is not what it should be.
    case malformedMetadata(file: FilePath, reason: String)
    /// A system call on a store path failed.
    case io(operation: String, path: FilePath, Errno)
    /// The bytes do not hash to the digest they were expected to have.
    case digestMismatch(source: String, expected: SHA256Digest, actual: SHA256Digest)
    /// The bytes' git blob id is not the one the source listed.
    case gitBlobMismatch(source: String, expected: GitBlobID, actual: GitBlobID)
    /// A write belonged to a download layout that was abandoned (internal coordination).
    case superseded
    /// The bytes are not as long as expected.
    case sizeMismatch(source: String, expected: Int64, actual: Int64)
    /// A stream delivered more bytes than the expected size; it was cut off.
    case exceedsExpectedSize(source: String, limit: Int64)
    /// Not enough free space for the ingest to finish; checked before writing.
    case insufficientSpace(directory: FilePath, needed: Int64, available: Int64)
    /// The filesystem filled up (or a quota was hit) during a write.
    case diskFull(directory: FilePath, Errno)
    /// The input file could not be read.
    case unreadableSource(FileReadError)
    /// No blob with this digest is in the store.
    case blobNotFound(SHA256Digest)
    /// `unpin` of a digest that has no pin.
    case notPinned(SHA256Digest)
    /// GC found a root or a manifest it cannot read; deleting anything could lose live data.
    case unreachableRoots([String])
    /// The admission check (a scan of the file's content) refused bytes whose digest matched.
    case notAdmitted(source: String, any ModelpinError)
    /// A declared size no file can have (negative, or above `FileSizeLimit.maximum`).
    case implausibleSize(source: String, reason: String)
    /// Another process (or, by a bug, this one) held a store lock for longer than the wait allows.
    case lockTimedOut(path: FilePath, holder: String?, seconds: Int)
    /// A lock wait was interrupted (Ctrl-C, SIGTERM).
    case interrupted
    /// This process already holds the lock it is about to wait for (it would wait forever).
    case lockHeldBySelf(path: FilePath)
    /// A blob's bytes no longer hash to its name: something changed it after admission.
    case blobChanged(SHA256Digest, actual: SHA256Digest)
    /// No reference in `index.json` has this name (`store forget`).
    case snapshotNotFound(String)
    /// A snapshot to record is not one: no full commit, unsafe paths, files not in the store.
    case invalidSnapshot(repo: String, [String])
    /// The same commit was recorded before with other bytes for a path.
    case snapshotConflict(repo: String, commit: String, [String])

    /// Classifies a failed write inside the store at `root`: a read-only mount or missing
    /// permission, a full disk or quota, or any other I/O failure.
    static func writing(_ errno: Errno, operation: String, path: FilePath, root: FilePath) -> StoreError {
        switch errno {
        case .readOnlyFileSystem, .permissionDenied, .notPermitted: .notWritable(root, errno)
        case .noSpace, .diskQuotaExceeded: .diskFull(directory: root, errno)
        default: .io(operation: operation, path: path, errno)
        }
    }

    public var kind: FailureKind {
        switch self {
        case .digestMismatch, .gitBlobMismatch, .sizeMismatch, .exceedsExpectedSize, .blobNotFound, .notPinned,
             .implausibleSize, .blobChanged, .snapshotNotFound, .snapshotConflict:
            .refused
        case .invalidSnapshot:
            .operational
        case .lockTimedOut, .interrupted, .lockHeldBySelf:
            .operational
        case .superseded:
            .operational
        case .notAdmitted(_, let reason):
            reason.kind
        case .notADirectory, .notWritable, .unsupportedLayout, .malformedMetadata, .io,
             .insufficientSpace, .diskFull, .unreadableSource, .unreachableRoots:
            .operational
        }
    }

    public var description: String {
        switch self {
        case .notADirectory(let path):
            "the store path `\(path)` is not a directory"
        case .notWritable(let path, _):
            "the store at `\(path)` is not writable"
        case .unsupportedLayout(let file, let found):
            "`\(file)` declares image layout version `\(found)`, which this modelpin does not support"
        case .malformedMetadata(let file, let reason):
            "`\(file)` is malformed: \(reason)"
        case .io(let operation, let path, _):
            "cannot \(operation) `\(path)`"
        case .digestMismatch(let source, let expected, let actual):
            "digest mismatch for `\(source)`\n  expected: \(expected)\n    actual: \(actual)"
        case .gitBlobMismatch(let source, let expected, let actual):
            "git blob id mismatch for `\(source)`\n  expected: \(expected)\n    actual: \(actual)"
        case .superseded:
            "a download was restarted"
        case .sizeMismatch(let source, let expected, let actual):
            "size mismatch for `\(source)`\n  expected: \(expected) bytes\n    actual: \(actual) bytes"
        case .exceedsExpectedSize(let source, let limit):
            "`\(source)` is longer than the expected \(limit) bytes; the transfer was cut off"
        case .insufficientSpace(let directory, let needed, let available):
            "not enough free space in `\(directory)`: need \(needed) bytes, \(available) available"
        case .diskFull(let directory, _):
            "the filesystem holding `\(directory)` is full"
        case .unreadableSource(let error):
            error.description
        case .blobNotFound(let digest):
            "`\(digest)` is not in the store"
        case .notPinned(let digest):
            "`\(digest)` is not pinned"
        case .unreachableRoots(let reasons):
            "garbage collection aborted: \(reasons.count == 1 ? "a root" : "\(reasons.count) roots") could not be read"
        case .notAdmitted(_, let reason):
            reason.description
        case .implausibleSize(let source, _):
            "`\(source)` declares a size no file can have"
        case .lockTimedOut(let path, let holder, let seconds):
            "gave up after \(seconds) s waiting for `\(path)`" + (holder.map { ", held by \($0)" } ?? "")
        case .interrupted:
            "interrupted while waiting for a store lock"
        case .lockHeldBySelf(let path):
            "modelpin would wait for itself: this process already holds `\(path)`"
        case .blobChanged(let digest, let actual):
            "the store's blob `\(digest)` was changed after it was admitted\n  expected: \(digest)\n    actual: \(actual)"
        case .snapshotNotFound(let reference):
            "no snapshot in the store is named `\(reference.escapedForDisplay)`"
        case .invalidSnapshot(let repo, _):
            "cannot record a snapshot of `\(repo)`"
        case .snapshotConflict(let repo, let commit, _):
            "`\(repo)` at commit \(commit) was recorded before with other files"
        }
    }

    public var causes: [String] {
        switch self {
        case .notWritable(_, let errno), .io(_, _, let errno), .diskFull(_, let errno):
            [errno.description]
        case .unreadableSource(let error):
            error.causes
        case .unreachableRoots(let reasons):
            reasons
        case .notAdmitted(_, let reason):
            reason.causes
        case .implausibleSize(_, let reason):
            [reason]
        case .invalidSnapshot(_, let reasons), .snapshotConflict(_, _, let reasons):
            reasons
        default:
            []
        }
    }

    public var hint: String? {
        switch self {
        case .notADirectory:
            "point MODELPIN_HOME (or --home) at a directory, or remove the file"
        case .notWritable:
            "use a writable location: set MODELPIN_HOME or pass --home"
        case .unsupportedLayout:
            "this store was written by a newer modelpin; upgrade, or use another MODELPIN_HOME"
        case .digestMismatch, .sizeMismatch, .gitBlobMismatch:
            "nothing was stored; check that you have the right file and the right expected digest"
        case .exceedsExpectedSize:
            "nothing was stored; the source is not the file that was expected"
        case .insufficientSpace, .diskFull:
            "nothing was stored; free some space (`modelpin store gc`) or move MODELPIN_HOME to a larger filesystem"
        case .blobNotFound:
            "`modelpin store ls` lists what the store holds"
        case .unreachableRoots:
            "nothing was deleted; fix or remove the named files, then run `modelpin store gc` again"
        case .unreadableSource(let error):
            error.hint
        case .malformedMetadata:
            "`modelpin store verify` lists every problem in the store"
        case .notAdmitted(_, let reason):
            reason.hint
        case .implausibleSize:
            "nothing was downloaded; the size comes from a listing, a lock or a server that cannot be trusted"
        case .lockTimedOut:
            "if that process is gone or stuck, stop it; raise the wait with MODELPIN_LOCK_TIMEOUT (seconds)"
        case .interrupted:
            "run the same command again to resume"
        case .lockHeldBySelf:
            "this is a bug in modelpin; please report it with the command you ran"
        case .snapshotNotFound:
            "`modelpin store snapshots` lists the names; `OWNER/NAME` alone forgets every one of that repo"
        case .invalidSnapshot:
            "this is a bug in modelpin; please report it with the command you ran"
        case .snapshotConflict:
            "the files at that commit changed: history was rewritten or a server sent other bytes; `modelpin store forget OWNER/NAME:COMMIT` drops the old record"
        case .blobChanged:
            "nothing was laid out from it; the blob is fetched again by the next pull, or run `modelpin store verify --contents`"
        default:
            nil
        }
    }
}
