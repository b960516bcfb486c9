import PinDigest
public import PinLock
import PinModel
import PinStore
public import SystemPackage

/// What `verify --hf-cache` found (`--json` prints it as it is).
public struct HFCacheVerifyReport: Sendable, Encodable {
    public struct Problem: Sendable, Encodable, Equatable {
        public enum Kind: String, Sendable, Encodable {
            /// The bytes are not the ones the lock (or, unlocked, the blob's name) says.
            case modified
            /// The lock names a file the snapshot lacks.
            case missing
            /// A snapshot entry links to a blob that is not there.
            case dangling = "dangling-symlink"
            /// The snapshot holds a file its lock does not name.
            case extra
            /// Not the shape huggingface_hub writes (a hostile or broken link, a file where a
            /// link belongs, a ref that is no commit): never followed.
            case malformed
        }
        /// `owner/name` (datasets: `datasets/owner/name`); empty for the cache root's own entries.
        public let repo: String
        /// Relative to the cache root.
        public let path: String
        public let kind: Kind
        public let detail: String
    }

    public let cache: String
    public var repos = 0
    public var snapshots = 0
    /// Snapshots checked against modelpin.lock (the rest against their blob names).
    public var locked = 0
    public var files = 0
    public var bytes: Int64 = 0
    public var problems: [Problem] = []
}

extension Workspace {
    /// `verify --hf-cache [REPO[@REV]...]`: every blob of the chosen snapshots hashed again,
    /// against `lock` where it locks the repo at that commit, else against the blob's name.
    /// Reads only the cache: no store, no network. Problems are in the report, not thrown.
    public func verifyHFCache(_ cache: FilePath, selections: [HFCacheSelection], lock: Lockfile?) throws -> HFCacheVerifyReport {
        let listing = try Self.readCache(cache, selections: selections)
        var report = HFCacheVerifyReport(cache: cache.string)
        report.problems += listing.findings.compactMap { Self.problem($0, repo: "") }
        for repo in listing.repos {
            report.repos += 1
            report.problems += repo.findings.compactMap { Self.problem($0, repo: repo.repo.description) }
            let chosen = selections.filter { Self.same($0.repo, repo.repo) }
            let snapshots = repo.snapshots.filter { snapshot in chosen.isEmpty || chosen.contains { $0.names(snapshot) } }
            let digests = Self.hashBlobs(Set(snapshots.flatMap(\.files).map(\.etag)), of: repo)
            for snapshot in snapshots {
                report.snapshots += 1
                let model = lock?.models.first { model in
                    model.commit == snapshot.commit && (try? RepoID(parsing: model.repo)).map { Self.same($0, repo.repo) } == true
                }
                if model != nil { report.locked += 1 }
                report.problems += snapshot.findings.compactMap { Self.problem($0, repo: repo.repo.description) }
                let shown = "\(repo.folder)/snapshots/\(snapshot.commit.hex)"
                report.problems += Self.check(snapshot, of: repo, against: model, digests: digests, shown: shown, report: &report)
            }
        }
        return report
    }

    /// Each file of `snapshot` against its lock entry (when locked) and its blob's name.
    static func check(
        _ snapshot: HFCacheSnapshot, of repo: HFCacheRepo, against model: LockedModel?,
        digests: [HFCacheETag: Result<HFCacheBlobDigest, FileReadError>], shown: String, report: inout HFCacheVerifyReport
    ) -> [HFCacheVerifyReport.Problem] {
        var problems: [HFCacheVerifyReport.Problem] = []
        let name = repo.repo.description
        func add(_ path: String, _ kind: HFCacheVerifyReport.Problem.Kind, _ detail: String) {
            problems.append(.init(repo: name, path: shown + "/" + path, kind: kind, detail: detail))
        }
        let locked = Dictionary((model?.files ?? []).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        for file in snapshot.files {
            report.files += 1
            switch digests[file.etag] {
            case .failure(let error)?:
                add(file.path, .missing, error.description)
            case .success(let digest)?:
                report.bytes += digest.size
                if !digest.matches(file.etag) {
                    add(file.path, .modified, "blobs/\(file.etag.name) holds other bytes: expected \(file.etag.name), found \(digest.actual(for: file.etag))")
                } else if let entry = locked[file.path], entry.sha256 != digest.sha256 || entry.size != digest.size {
                    add(file.path, .modified, "expected \(entry.sha256) (\(entry.size) bytes) as modelpin.lock says, found \(digest.sha256) (\(digest.size) bytes)")
                } else if model != nil, locked[file.path] == nil {
                    add(file.path, .extra, "modelpin.lock does not name it at \(snapshot.commit.short)")
                }
            case nil:
                continue
            }
        }
        let present = Set(snapshot.files.map(\.path))
        let refused = Set(snapshot.findings.map(\.path))
        for entry in model?.files ?? [] where !present.contains(entry.path) && !refused.contains(shown + "/" + entry.path) {
            add(entry.path, .missing, "modelpin.lock names it (\(entry.sha256)); the snapshot has no such file")
        }
        return problems
    }

    /// Every blob hashed once (several at once): its SHA-256, and for a git etag its git blob id
    /// in the same read.
    static func hashBlobs(_ etags: Set<HFCacheETag>, of repo: HFCacheRepo) -> [HFCacheETag: Result<HFCacheBlobDigest, FileReadError>] {
        let list = Array(etags)
        let results = DigestConcurrency.map(list, width: DigestConcurrency.defaultWidth) { etag in
            Result { () throws(FileReadError) in
                let descriptor = try HFCacheBlobs.open(etag, in: repo)
                defer { try? descriptor.close() }
                return try HFCacheBlobs.hash(descriptor, path: repo.root.path.appending("blobs").appending(etag.name), for: etag)
            }
        }
        return Dictionary(uniqueKeysWithValues: zip(list, results).map { ($0, $1) })
    }

    static func problem(_ finding: HFCacheFinding, repo: String) -> HFCacheVerifyReport.Problem? {
        switch finding.kind {
        case .skipped: nil
        case .malformed: .init(repo: repo, path: finding.path, kind: .malformed, detail: finding.reason)
        case .dangling: .init(repo: repo, path: finding.path, kind: .dangling, detail: finding.reason)
        case .conflict: .init(repo: repo, path: finding.path, kind: .modified, detail: finding.reason)
        }
    }
}
