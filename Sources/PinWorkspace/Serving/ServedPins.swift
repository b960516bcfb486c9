public import PinLock
import PinModel

/// What `serve --lock FILE…` may hand out: the commits the locks pin, each with the files the
/// lock names (path, SHA-256 and size), and the revisions they were locked from. A repo or a
/// commit no lock pins answers as if the store did not hold it.
///
/// A lock is input anyone can edit in a pull request, so it only narrows: it never makes the
/// server hand out bytes the store did not admit, and a file is served only where the store's
/// record and the lock agree on its digest and size.
public struct ServedPins: Sendable {
    struct Pinned: Sendable {
        var files: [String: (sha256: SHA256Digest, size: Int64)] = [:]
    }

    /// repo id (`RepoID.description`) → commit → files.
    private var commits: [String: [CommitID: Pinned]] = [:]
    /// repo id → revision as locked (`main`) → commit, from the first lock that names it.
    private var revisions: [String: [String: CommitID]] = [:]

    /// The pins of every model of `locks`, in the order given (the first lock that locked a
    /// revision decides which commit it names when two disagree). A model whose repo is not a
    /// repo id (an edited lock) pins nothing.
    public init(locks: [Lockfile]) {
        for model in locks.flatMap(\.models) {
            guard let repo = try? RepoID(parsing: model.repo) else { continue }
            var pinned = commits[repo.description, default: [:]][model.commit, default: Pinned()]
            for file in model.files { pinned.files[file.path] = (file.sha256, file.size) }
            commits[repo.description, default: [:]][model.commit] = pinned
            if revisions[repo.description]?[model.requestedRevision] == nil {
                revisions[repo.description, default: [:]][model.requestedRevision] = model.commit
            }
        }
    }

    func pins(_ repo: RepoID) -> Bool { commits[repo.description] != nil }

    /// The commit `revision` names among the pins of `repo`: a pinned commit in full, or a
    /// revision a lock was resolved from. nil when no lock pins it.
    func commit(_ repo: RepoID, revision: String) -> CommitID? {
        if let commit = try? CommitID(parsing: revision) {
            return commits[repo.description]?[commit] != nil ? commit : nil
        }
        return revisions[repo.description]?[revision]
    }

    /// Whether a lock pins `path` of `repo` at `commit` with exactly these bytes.
    func pins(_ repo: RepoID, commit: CommitID, path: String, sha256: SHA256Digest, size: Int64) -> Bool {
        guard let pinned = commits[repo.description]?[commit]?.files[path] else { return false }
        return pinned.sha256 == sha256 && pinned.size == size
    }
}
