public import PinModel
public import PinStore
import SystemPackage

/// Something in a cache that was not taken as it is, with where it is (relative to the cache
/// root) and why.
public struct HFCacheFinding: Sendable, Encodable, Equatable {
    public enum Kind: String, Sendable, Encodable {
        /// Not modelpin's to read (a Space, another tool's file, a download in progress): left alone.
        case skipped
        /// Not the shape huggingface_hub writes (a hostile link, a file where a link belongs,
        /// a ref that is no commit, a blob name that is no etag): refused, never followed.
        case malformed
        /// A snapshot entry links to a blob the repo folder does not have.
        case dangling = "dangling-symlink"
        /// The store recorded this commit before with other bytes for a path: the cache claims
        /// a commit it does not hold (import refuses the snapshot).
        case conflict
    }

    public let path: String
    public let kind: Kind
    public let reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }
}

/// One snapshot entry that has the shape huggingface_hub writes: a link to a blob of its repo.
public struct HFCacheFile: Sendable, Equatable {
    /// Repo-relative (`PathSafety` holds for it).
    public let path: String
    public let etag: HFCacheETag
}

/// One `snapshots/{commit}/` folder, as read.
public struct HFCacheSnapshot: Sendable {
    public let commit: CommitID
    /// The refs that name this commit (`main`, `refs/pr/1`), sorted.
    public var revisions: [String] = []
    /// The entries that link to a blob the repo folder has, sorted by path.
    public var files: [HFCacheFile] = []
    /// The entries that do not (refused with the reason) — the snapshot is incomplete without them.
    public var findings: [HFCacheFinding] = []
}

/// One repo folder (`models--owner--name`), as read: nothing in it was followed.
public struct HFCacheRepo: @unchecked Sendable {
    // @unchecked: DirectoryRoot is thread-safe (an immutable descriptor).
    public let folder: String
    public let repo: RepoID
    /// The repo folder, opened once: every blob is read through it, never by name again.
    public let root: DirectoryRoot
    public var snapshots: [HFCacheSnapshot] = []
    /// `blobs/` entries that are regular files named by an etag.
    public var blobs: Set<String> = []
    /// What in the folder (outside the snapshots) was refused or skipped.
    public var findings: [HFCacheFinding] = []
}

/// What a cache holds, as read.
public struct HFCacheListing: Sendable {
    public var repos: [HFCacheRepo] = []
    /// Entries of the cache root that are no repo folder modelpin reads.
    public var findings: [HFCacheFinding] = []
}

/// Reads a Hugging Face cache as hostile input. Every folder is entered through a descriptor
/// (`DirectoryRoot`: openat with O_NOFOLLOW), so a link planted anywhere — a repo folder, its
/// `blobs/`, a snapshot directory — is refused where it stands and never followed. Snapshot
/// entries are links, read with readlink and judged by their text (`HFCacheText`), never
/// resolved; a blob is opened only as `blobs/{etag}` below the repo's own descriptor.
public struct HFCacheReader: Sendable {
    /// Names huggingface_hub itself keeps in the root and passes over (`_cache_manager.py`); in a
    /// repo folder, the record of files known not to exist (`.no_exist/`) and the listings
    /// (`trees/`), which import does not need: every file is judged by its own bytes.
    static let ignoredRootNames: Set<String> = [HFCacheLayout.locksFolder, "CACHEDIR.TAG", ".DS_Store", "Thumbs.db", "desktop.ini"]
    static let ignoredRepoNames: Set<String> = [".no_exist", HFCacheLayout.treesFolder, ".DS_Store", "Thumbs.db", "desktop.ini"]
    /// A snapshot with more entries than this is not read further (a cache is not a file system bomb).
    public static let maximumEntries = 1_000_000

    public let root: DirectoryRoot

    public init(root: DirectoryRoot) {
        self.root = root
    }

    /// Every repo folder in the cache, or only those of `repos` (when not empty: then entries of
    /// the root that name no repo are not reported either).
    public func read(only repos: Set<RepoID> = []) -> HFCacheListing {
        var listing = HFCacheListing()
        let names: [String]
        do {
            names = try root.list("")
        } catch {
            listing.findings.append(HFCacheFinding(path: ".", kind: .malformed, reason: error.description))
            return listing
        }
        for name in names where !Self.ignoredRootNames.contains(name) {
            let repo: RepoID
            do {
                repo = try HFCacheLayout.repo(folderName: name)
            } catch {
                // Asked for named repos: the rest of the cache is not the question.
                guard repos.isEmpty else { continue }
                let kind: HFCacheFinding.Kind = name.hasPrefix("spaces--") ? .skipped : .malformed
                listing.findings.append(HFCacheFinding(
                    path: name, kind: kind,
                    reason: kind == .skipped ? "a Space, not a model or dataset" : "not a repo folder: \(error.reason)"))
                continue
            }
            if !repos.isEmpty, !repos.contains(where: { $0.kind == repo.kind && $0.ownerAndName.lowercased() == repo.ownerAndName.lowercased() }) {
                continue
            }
            do {
                let folder = try root.directory(name, create: false)
                listing.repos.append(readRepo(folder, name: name, repo: repo))
            } catch {
                listing.findings.append(HFCacheFinding(path: name, kind: .malformed, reason: Self.reason(error)))
            }
        }
        return listing
    }

    // MARK: One repo folder

    func readRepo(_ folder: DirectoryRoot, name: String, repo: RepoID) -> HFCacheRepo {
        var result = HFCacheRepo(folder: name, repo: repo, root: folder)
        let entries: [String]
        do {
            entries = try folder.list("")
        } catch {
            result.findings.append(HFCacheFinding(path: name, kind: .malformed, reason: Self.reason(error)))
            return result
        }
        for entry in entries where !["blobs", "refs", "snapshots"].contains(entry) && !Self.ignoredRepoNames.contains(entry) {
            result.findings.append(HFCacheFinding(path: "\(name)/\(entry)", kind: .skipped, reason: "not part of the cache layout"))
        }
        readBlobs(folder, into: &result)
        let refs = readRefs(folder, into: &result)
        readSnapshots(folder, refs: refs, into: &result)
        return result
    }

    /// `blobs/`: regular files named by an etag. An `.incomplete` file is a download in
    /// progress (skipped); anything else is refused.
    private func readBlobs(_ folder: DirectoryRoot, into repo: inout HFCacheRepo) {
        let names: [String]
        do {
            names = try folder.list("blobs")
        } catch {
            repo.findings.append(HFCacheFinding(path: "\(repo.folder)/blobs", kind: .malformed, reason: Self.reason(error)))
            return
        }
        for name in names {
            let shown = "\(repo.folder)/blobs/\(name)"
            if name.hasSuffix(".incomplete") {
                repo.findings.append(HFCacheFinding(path: shown, kind: .skipped, reason: "a download in progress"))
                continue
            }
            guard (try? HFCacheETag(name: name)) != nil else {
                repo.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: "not an etag (40 or 64 lowercase hex digits)"))
                continue
            }
            switch (try? folder.status("blobs/" + name))?.type {
            case .regular?: repo.blobs.insert(name)
            case .symbolicLink?:
                repo.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: "a symbolic link where the blob's bytes belong; not followed"))
            default:
                repo.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: "not a regular file"))
            }
        }
    }

    /// `refs/`: files (nested for `refs/pr/1`) each holding a commit id.
    private func readRefs(_ folder: DirectoryRoot, into repo: inout HFCacheRepo) -> [(name: String, commit: CommitID)] {
        var refs: [(String, CommitID)] = []
        var pending = [""]
        while let directory = pending.popLast() {
            let names: [String]
            let relative = directory.isEmpty ? "refs" : "refs/" + directory
            do {
                names = try folder.list(relative)
            } catch {
                repo.findings.append(HFCacheFinding(path: "\(repo.folder)/\(relative)", kind: .malformed, reason: Self.reason(error)))
                continue
            }
            for name in names {
                let ref = directory.isEmpty ? name : directory + "/" + name
                let shown = "\(repo.folder)/refs/\(ref)"
                if let problem = HFCacheText.refNameProblem(ref) {
                    repo.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: "not a ref name: \(problem)"))
                    continue
                }
                switch (try? folder.status("refs/" + ref))?.type {
                case .directory?:
                    pending.append(ref)
                case .regular?:
                    switch readRef(folder, "refs/" + ref) {
                    case .success(let commit): refs.append((ref, commit))
                    case .failure(let error): repo.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: error.reason))
                    }
                case .symbolicLink?:
                    repo.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: "a symbolic link where a ref file belongs; not followed"))
                default:
                    repo.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: "not a regular file"))
                }
            }
        }
        return refs.sorted { $0.0 < $1.0 }
    }

    private func readRef(_ folder: DirectoryRoot, _ relative: String) -> Result<CommitID, HFCacheTextError> {
        do {
            let descriptor = try folder.openFile(relative)
            defer { try? descriptor.close() }
            var buffer = [UInt8](repeating: 0, count: HFCacheText.maximumRefBytes + 1)
            let count = try buffer.withUnsafeMutableBytes { try descriptor.read(into: $0) }
            return HFCacheText.commit(inRef: Array(buffer.prefix(count)))
        } catch let error as DirectoryRoot.Failure {
            return .failure(HFCacheTextError(Self.reason(error)))
        } catch {
            return .failure(HFCacheTextError("cannot be read: \(error)"))
        }
    }

    /// `snapshots/{commit}/`: every entry a link of exactly the form huggingface_hub writes.
    private func readSnapshots(_ folder: DirectoryRoot, refs: [(name: String, commit: CommitID)], into repo: inout HFCacheRepo) {
        let names: [String]
        do {
            names = try folder.list("snapshots")
        } catch {
            repo.findings.append(HFCacheFinding(path: "\(repo.folder)/snapshots", kind: .malformed, reason: Self.reason(error)))
            return
        }
        var named = Set<String>()
        for name in names {
            let shown = "\(repo.folder)/snapshots/\(name)"
            guard let commit = try? CommitID(parsing: name) else {
                repo.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: "not a commit id (40 lowercase hex digits)"))
                continue
            }
            let directory: DirectoryRoot
            do {
                directory = try folder.directory("snapshots/" + name, create: false)
            } catch {
                repo.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: Self.reason(error)))
                continue
            }
            var snapshot = HFCacheSnapshot(commit: commit)
            snapshot.revisions = refs.filter { $0.commit == commit }.map(\.name)
            named.formUnion(snapshot.revisions)
            walk(directory, shown: shown, blobs: repo.blobs, into: &snapshot)
            repo.snapshots.append(snapshot)
        }
        for ref in refs where !named.contains(ref.name) {
            repo.findings.append(HFCacheFinding(
                path: "\(repo.folder)/refs/\(ref.name)", kind: .skipped, reason: "names \(ref.commit.short), which has no snapshot here"))
        }
    }

    /// Walks one snapshot folder (depth first, never through a link) and judges every entry.
    private func walk(_ snapshotRoot: DirectoryRoot, shown: String, blobs: Set<String>, into snapshot: inout HFCacheSnapshot) {
        var pending = [(path: "", depth: 0)]
        var seen = 0
        var files: [HFCacheFile] = []
        while let (directory, depth) = pending.popLast() {
            let names: [String]
            do {
                names = try snapshotRoot.list(directory)
            } catch {
                snapshot.findings.append(HFCacheFinding(path: shown + "/" + directory, kind: .malformed, reason: Self.reason(error)))
                continue
            }
            for name in names {
                seen += 1
                guard seen <= Self.maximumEntries else {
                    snapshot.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: "more than \(Self.maximumEntries) entries; not read further"))
                    return
                }
                let path = directory.isEmpty ? name : directory + "/" + name
                let entryShown = shown + "/" + path
                if let reason = PathSafety.reason(path) {
                    snapshot.findings.append(HFCacheFinding(path: entryShown, kind: .malformed, reason: reason))
                    continue
                }
                switch (try? snapshotRoot.status(path))?.type {
                case .directory?:
                    if depth + 1 >= HFCacheText.maximumDepth {
                        snapshot.findings.append(HFCacheFinding(path: entryShown, kind: .malformed, reason: "nested more than \(HFCacheText.maximumDepth) levels"))
                    } else {
                        pending.append((path, depth + 1))
                    }
                case .symbolicLink?:
                    judgeLink(snapshotRoot, path: path, depth: depth, shown: entryShown, blobs: blobs, files: &files, findings: &snapshot.findings)
                case .regular?:
                    snapshot.findings.append(HFCacheFinding(
                        path: entryShown, kind: .malformed,
                        reason: "a regular file where huggingface_hub writes a link to blobs/; its bytes are named by nothing and not taken"))
                default:
                    snapshot.findings.append(HFCacheFinding(path: entryShown, kind: .malformed, reason: "neither a link nor a directory"))
                }
            }
        }
        files.sort { $0.path < $1.path }
        // Paths one case-insensitive file system cannot tell apart are refused as a pull
        // refuses them: the whole snapshot, since either could be the one meant.
        let clashes = PathSafety.problems(in: files.map(\.path))
        for problem in clashes {
            snapshot.findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: problem))
        }
        snapshot.files = clashes.isEmpty ? files : []
    }

    private func judgeLink(
        _ snapshotRoot: DirectoryRoot, path: String, depth: Int, shown: String, blobs: Set<String>,
        files: inout [HFCacheFile], findings: inout [HFCacheFinding]
    ) {
        let target: String
        do {
            target = try snapshotRoot.linkTarget(path)
        } catch {
            findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: Self.reason(error)))
            return
        }
        switch HFCacheText.blob(linkTarget: target, depth: depth) {
        case .failure(let error):
            findings.append(HFCacheFinding(path: shown, kind: .malformed, reason: error.reason))
        case .success(let etag) where !blobs.contains(etag.name):
            findings.append(HFCacheFinding(path: shown, kind: .dangling, reason: "links to blobs/\(etag.name), which is not there"))
        case .success(let etag):
            files.append(HFCacheFile(path: path, etag: etag))
        }
    }

    static func reason(_ error: DirectoryRoot.Failure) -> String {
        if error.symbolicLink { return "a symbolic link where a directory belongs; not followed" }
        if error.errno == .notDirectory { return "not a directory" }
        return "\(error.errno)"
    }
}
