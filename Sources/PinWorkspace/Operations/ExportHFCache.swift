import PinLock
import PinModel
import PinStore
public import SystemPackage

/// What `export --hf-cache` is asked to do.
public struct HFCacheExportRequest: Sendable {
    /// `ALIAS` (a model of `project`'s lock) or `ORG/NAME[@REV]` (a snapshot the store
    /// recorded; REV defaults to `main`). Empty: every model of `project`'s lock.
    public var names: [String] = []
    /// The project, when a name is an alias or no name is given.
    public var project: Project?
    /// The cache root (`HFCacheLayout.root`: --cache-dir, else the client's variables).
    public var cacheRoot: FilePath

    public init(cacheRoot: FilePath) {
        self.cacheRoot = cacheRoot
    }
}

/// What `export --hf-cache` did: `--json` prints it.
public struct HFCacheExportResult: Sendable, Encodable {
    public let cache: String
    public let snapshots: [HFCacheWriter.Outcome]
}

extension Workspace {
    /// `export --hf-cache`: snapshots the store recorded, written into a Hugging Face cache. The
    /// store is only read: nothing is resolved, fetched or verified again, and a name the store
    /// has no snapshot for is an error that says to pull it.
    public func exportHFCache(_ request: HFCacheExportRequest) throws -> HFCacheExportResult {
        try audited("export", project: request.project) { try $0.exportNow(request) }
    }

    private func exportNow(_ request: HFCacheExportRequest) throws -> HFCacheExportResult {
        let store = try openStore(.readOnly)
        let writer = HFCacheWriter(store: store, cacheRoot: request.cacheRoot)
        var outcomes: [HFCacheWriter.Outcome] = []
        for item in try exportItems(request) {
            guard let snapshot = try store.snapshot(repo: item.repo, revision: item.lookup) else {
                throw HFCacheError.snapshotNotInStore(repo: item.repo.description, revision: item.revision ?? item.lookup)
            }
            let outcome = try writer.export(snapshot, revision: item.revision, writeTree: item.complete)
            outcomes.append(outcome)
            audit?.model(.model(snapshot, revision: item.revision, destination: outcome.snapshot))
        }
        return HFCacheExportResult(cache: request.cacheRoot.string, snapshots: outcomes)
    }

    /// One snapshot to export: how to find it in the store, the branch or tag for its ref, and
    /// whether it is known to hold every file of its commit.
    struct HFCacheExportItem {
        let repo: RepoID
        let lookup: String
        let revision: String?
        let complete: Bool
    }

    func exportItems(_ request: HFCacheExportRequest) throws -> [HFCacheExportItem] {
        try exportItems(names: request.names, project: request.project)
    }

    /// The snapshots `names` ask for (every model of `project`'s lock when empty).
    func exportItems(names: [String], project: Project?) throws -> [HFCacheExportItem] {
        var items: [HFCacheExportItem] = []
        var lock: Lockfile?
        func projectLock() throws -> (Project, Lockfile) {
            guard let project else { throw ProjectError.noManifest(FilePath(".")) }
            if let lock { return (project, lock) }
            guard let loaded = try project.loadLock() else { throw ProjectError.lockMissing(project.lockPath) }
            lock = loaded
            return (project, loaded)
        }
        if names.isEmpty {
            items = try projectLock().1.models.map(Self.exportItem)
        }
        for name in names {
            if name.contains("/") {
                let (repoText, revision) = Self.splitRevision(name)
                let repo: RepoID
                do {
                    repo = try RepoID(parsing: repoText)
                } catch {
                    throw HFCacheError.invalidName(HFCacheLayoutError(name: repoText, reason: error.reason), context: "`\(name.escapedForDisplay)`")
                }
                let isCommit = (try? CommitID(parsing: revision)) != nil
                // A snapshot pulled by name may have been pulled with --include: nothing says it
                // is whole, so no tree listing claims it is.
                items.append(HFCacheExportItem(repo: repo, lookup: revision, revision: isCommit ? nil : revision, complete: false))
            } else {
                let (project, lock) = try projectLock()
                guard let model = lock.model(name) else {
                    throw ProjectError.unknownAlias(name, manifest: project.manifestPath, known: lock.models.map(\.alias.rawValue))
                }
                items.append(try Self.exportItem(model))
            }
        }
        return items
    }

    /// A locked model: found by its commit; its ref is the revision the manifest asked for
    /// (when that is a branch or tag); whole when no include/exclude pattern narrowed it.
    static func exportItem(_ model: LockedModel) throws -> HFCacheExportItem {
        let repo: RepoID
        do {
            repo = try RepoID(parsing: model.repo)
        } catch {
            throw HFCacheError.invalidName(HFCacheLayoutError(name: model.repo, reason: error.reason), context: "the lock's model `\(model.alias)`")
        }
        let requested = model.requestedRevision
        let isCommit = (try? CommitID(parsing: requested)) != nil
        return HFCacheExportItem(
            repo: repo, lookup: model.commit.hex, revision: isCommit ? nil : requested,
            complete: model.include.isEmpty && model.exclude.isEmpty)
    }

    /// `ORG/NAME@REV` → (`ORG/NAME`, `REV`); no `@`: `main`.
    static func splitRevision(_ name: String) -> (String, String) {
        guard let at = name.firstIndex(of: "@") else { return (name, "main") }
        return (String(name[..<at]), String(name[name.index(after: at)...]))
    }
}
