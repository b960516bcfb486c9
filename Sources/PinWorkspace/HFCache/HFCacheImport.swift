public import PinModel
import PinStore
import SystemPackage

/// What `import --hf-cache` found and did, repo by repo, snapshot by snapshot, file by file
/// (`--json` prints it as it is: the keys are documented in the README).
public struct HFCacheImportReport: Sendable, Encodable {
    public struct File: Sendable, Encodable {
        public enum Outcome: String, Sendable, Encodable {
            /// Verified, scanned and stored now.
            case added
            /// Verified and scanned; the store held these bytes already.
            case present
            /// Not admitted: `reason` says why.
            case refused
        }
        public let path: String
        public let etag: String
        public let sha256: SHA256Digest?
        public let size: Int64?
        public let outcome: Outcome
        public let reason: String?
    }

    public struct Snapshot: Sendable, Encodable {
        public enum Outcome: String, Sendable, Encodable {
            /// Every file admitted; recorded in the store as a manifest.
            case recorded
            /// Some file refused (or refused by its shape): nothing recorded for this commit.
            case refused
            /// Not asked for (`REPO@REV` named another).
            case skipped
        }
        public let commit: String
        public let revisions: [String]
        public var outcome: Outcome
        /// The recorded manifest's digest.
        public var manifest: SHA256Digest?
        public var files: [File]
        /// Entries not taken as they are (malformed, dangling links).
        public var findings: [HFCacheFinding]
    }

    public struct Repo: Sendable, Encodable {
        public let repo: String
        public let folder: String
        public var snapshots: [Snapshot]
        public var findings: [HFCacheFinding]
    }

    /// One model added to the project (`--lock`).
    public struct Locked: Sendable, Encodable {
        public enum Outcome: String, Sendable, Encodable {
            case added
            /// The project locks this repo at this commit already.
            case unchanged
        }
        public let alias: String
        public let repo: String
        public let commit: String
        public let revision: String
        public let outcome: Outcome
    }

    public let cache: String
    public var repos: [Repo] = []
    /// Entries of the cache root that are no repo folder modelpin reads.
    public var findings: [HFCacheFinding] = []
    public var locked: [Locked] = []

    /// Files refused plus entries refused for their shape: anything above zero exits 1.
    public var refused: Int {
        let files = repos.flatMap(\.snapshots).flatMap(\.files).count { $0.outcome == .refused }
        let shapes = (findings + repos.flatMap(\.findings) + repos.flatMap(\.snapshots).flatMap(\.findings)).count { $0.kind != .skipped }
        return files + shapes
    }

    enum CodingKeys: String, CodingKey { case cache, repos, findings, locked, refused }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cache, forKey: .cache)
        try container.encode(repos, forKey: .repos)
        try container.encode(findings, forKey: .findings)
        try container.encode(locked, forKey: .locked)
        try container.encode(refused, forKey: .refused)
    }
}

/// One `REPO[@REV]` argument.
public struct HFCacheSelection: Sendable, Equatable {
    public let repo: RepoID
    /// A commit or a ref name; nil: every snapshot.
    public let revision: String?

    public init(repo: RepoID, revision: String?) {
        self.repo = repo
        self.revision = revision
    }

    public init(parsing text: String) throws(HFCacheReadError) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        do {
            repo = try RepoID(parsing: parts[0])
        } catch {
            throw .badRepoArgument(text, reason: error.description)
        }
        revision = parts.count > 1 ? parts[1] : nil
        if let revision, HFCacheText.refNameProblem(revision) != nil, (try? CommitID(parsing: revision)) == nil {
            throw .badRepoArgument(text, reason: "`\(revision.escapedForDisplay)` is neither a commit nor a ref name")
        }
    }

    func names(_ snapshot: HFCacheSnapshot) -> Bool {
        guard let revision else { return true }
        return snapshot.commit.hex == revision || snapshot.revisions.contains(revision)
    }
}

/// `import --hf-cache`: every blob of the chosen snapshots checked against its own name while it
/// streams into the store's temp area, judged by the scan gate, admitted, and each snapshot
/// whose every file was admitted recorded as a manifest (with its refs as revisions).
///
/// A snapshot with any refused file, or any entry refused for its shape, is not recorded: a
/// record would vouch for a snapshot the cache does not really hold. Its good blobs stay in the
/// store, unreferenced (verified bytes, harmless; `store gc` removes them after the grace period).
struct HFCacheImporter {
    let store: Store
    let admission: Admission

    func run(_ listing: HFCacheListing, selections: [HFCacheSelection], cache: FilePath) throws -> HFCacheImportReport {
        var report = HFCacheImportReport(cache: cache.string)
        report.findings = listing.findings
        for repo in listing.repos {
            let selection = selections.filter { $0.repo.kind == repo.repo.kind && $0.repo.ownerAndName.lowercased() == repo.repo.ownerAndName.lowercased() }
            var entry = HFCacheImportReport.Repo(repo: repo.repo.description, folder: repo.folder, snapshots: [], findings: repo.findings)
            // One blob is read once, whichever snapshots share it.
            var admitted: [HFCacheETag: HFCacheImportReport.File] = [:]
            for snapshot in repo.snapshots.sorted(by: { $0.commit < $1.commit }) {
                var result = HFCacheImportReport.Snapshot(
                    commit: snapshot.commit.hex, revisions: snapshot.revisions, outcome: .skipped, files: [], findings: snapshot.findings)
                guard selection.isEmpty || selection.contains(where: { $0.names(snapshot) }) else {
                    result.findings = []
                    entry.snapshots.append(result)
                    continue
                }
                for file in snapshot.files {
                    let outcome: HFCacheImportReport.File
                    if let known = admitted[file.etag] {
                        outcome = HFCacheImportReport.File(
                            path: file.path, etag: file.etag.name, sha256: known.sha256, size: known.size, outcome: known.outcome, reason: known.reason)
                    } else {
                        outcome = try admit(file, of: repo)
                        admitted[file.etag] = outcome
                    }
                    result.files.append(outcome)
                }
                let clean = result.findings.isEmpty && result.files.allSatisfy { $0.outcome != .refused }
                result.outcome = clean ? .recorded : .refused
                if clean { try record(snapshot, of: repo, into: &result) }
                entry.snapshots.append(result)
            }
            report.repos.append(entry)
        }
        return report
    }

    /// Records one snapshot (under its commit and each ref naming it). The store refuses a
    /// commit it recorded before with other bytes for a path (`.snapshotConflict`): the cache
    /// claims a commit it does not hold. That snapshot is then refused, the others go on.
    private func record(_ snapshot: HFCacheSnapshot, of repo: HFCacheRepo, into result: inout HFCacheImportReport.Snapshot) throws {
        let stored = StoredSnapshot(
            repo: repo.repo, commit: snapshot.commit.hex, endpoint: nil,
            files: zip(snapshot.files, result.files).map { file, outcome in
                // An LFS file's git blob id is its pointer's, which the cache does not hold: left unknown.
                .init(path: file.path, sha256: outcome.sha256!, size: outcome.size!, gitBlobID: file.etag.gitBlobID, lfs: file.etag.isLFS)
            })
        let revisions: [String?] = snapshot.revisions.isEmpty ? [nil] : snapshot.revisions
        let records = revisions.map { (snapshot: stored, revision: $0) }
        do {
            result.manifest = try store.recordSnapshots(records).first
        } catch {
            guard case .snapshotConflict = error else { throw error }
            result.outcome = .refused
            result.findings.append(HFCacheFinding(
                path: "\(repo.folder)/snapshots/\(snapshot.commit.hex)", kind: .conflict,
                reason: ([error.description] + error.causes).joined(separator: ": ")))
        }
    }

    private func admit(_ file: HFCacheFile, of repo: HFCacheRepo) throws -> HFCacheImportReport.File {
        switch try HFCacheBlobs.admit(file.etag, of: repo, as: file.path, into: store, admit: admission) {
        case .admitted(let digest, let outcome):
            return HFCacheImportReport.File(
                path: file.path, etag: file.etag.name, sha256: digest.sha256, size: digest.size,
                outcome: outcome == .added ? .added : .present, reason: nil)
        case .refused(let reason):
            return HFCacheImportReport.File(path: file.path, etag: file.etag.name, sha256: nil, size: nil, outcome: .refused, reason: reason)
        }
    }
}
