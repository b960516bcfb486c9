import PinLock
public import PinModel
public import PinSBOM
import PinStore
import SystemPackage

/// What `modelpin sbom` is asked to write.
public struct SBOMRequest: Sendable {
    /// `ALIAS` (a model of `project`'s lock) or `ORG/NAME@REV` (a snapshot the store recorded;
    /// `store snapshots`' names, with `@` or `:` before the revision). Empty: the whole lock.
    public var names: [String] = []
    /// The project, when a name is an alias or no name is given.
    public var project: Project?
    public var specVersion: BOMInput.SpecVersion = .v1_6
    /// `metadata.timestamp`; nil (the default) keeps the output the same for the same lock.
    public var timestamp: String?
    public var toolVersion: String

    public init(toolVersion: String) {
        self.toolVersion = toolVersion
    }
}

/// What `modelpin sbom` wrote.
public struct SBOMResult: Sendable {
    public let bytes: [UInt8]
    public let serialNumber: String
    public let models: Int
}

/// A snapshot the SBOM names that the store does not hold.
public struct SBOMError: ModelpinError, Equatable {
    public let name: String
    public let repo: String
    public let revision: String

    public var kind: FailureKind { .refused }
    public var description: String { "the store holds no snapshot of `\(repo.escapedForDisplay)` at `\(revision.escapedForDisplay)` (`\(name.escapedForDisplay)`)" }
    public var hint: String? { "pull it first (`modelpin pull --locked`, or `modelpin pull \(repo.escapedForDisplay)@\(revision.escapedForDisplay)`); the SBOM is written from the store alone" }
}

extension Workspace {
    /// `modelpin sbom`: a CycloneDX ML-BOM of the lock's models (or of snapshots the store
    /// recorded), written from what the store proved: every file's digest, the scanner's
    /// verdicts, the card and config files of the store's blobs. Nothing is fetched.
    public func sbom(_ request: SBOMRequest) throws -> SBOMResult {
        let store = try openStore(.readOnly)
        var lock: Lockfile?
        func projectLock() throws -> Lockfile {
            if let lock { return lock }
            guard let project = request.project else { throw ProjectError.noManifest(FilePath(".")) }
            guard let loaded = try project.loadLock() else { throw ProjectError.lockMissing(project.lockPath) }
            lock = loaded
            return loaded
        }
        var items: [(name: String, repo: RepoID, revision: String, locked: LockedModel?)] = []
        if request.names.isEmpty {
            items = try projectLock().models.map { ($0.alias.rawValue, try Self.repoID($0), $0.commit.hex, $0) }
        }
        for name in request.names {
            if let (repoText, revision) = Self.splitSnapshotName(name) {
                guard let repo = try? RepoID(parsing: repoText) else { throw ProjectError.invalidAlias(name, reason: "not ORG/NAME@REVISION") }
                items.append((name, repo, revision, nil))
            } else {
                let loaded = try projectLock()
                guard let model = loaded.model(name) else {
                    throw ProjectError.unknownAlias(name, manifest: request.project?.manifestPath ?? FilePath("."), known: loaded.models.map(\.alias.rawValue))
                }
                items.append((name, try Self.repoID(model), model.commit.hex, model))
            }
        }
        var models: [BOMModel] = []
        var seed = lock.map { Array(LockfileFormat.render($0).utf8) } ?? []
        for item in items {
            guard let snapshot = try store.snapshot(repo: item.repo, revision: item.revision) else {
                throw SBOMError(name: item.name, repo: item.repo.description, revision: item.revision)
            }
            let facts = try ModelFacts.gather(snapshot, store: store, lock: item.locked)
            models.append(Self.bomModel(facts, repo: snapshot.repo, locked: item.locked, revision: item.locked?.requestedRevision ?? item.revision))
            seed += Array("\n\(snapshot.repo)@\(snapshot.commit) \(snapshot.manifest?.description ?? "")".utf8)
        }
        let input = BOMInput(
            specVersion: request.specVersion, toolName: "modelpin", toolVersion: request.toolVersion, serialSeed: seed,
            timestamp: request.timestamp, policyDigest: lock?.policyDigest?.description, models: models)
        return SBOMResult(bytes: CycloneDX.render(input), serialNumber: CycloneDX.serialNumber(seed), models: models.count)
    }

    /// `ORG/NAME@REV` or `ORG/NAME:REV` (as `store snapshots` lists it) → (`ORG/NAME`, `REV`);
    /// nil for an alias (no `/`). Without a revision: `main`.
    static func splitSnapshotName(_ name: String) -> (String, String)? {
        guard name.contains("/") else { return nil }
        guard let separator = name.lastIndex(where: { $0 == "@" || $0 == ":" }) else { return (name, "main") }
        return (String(name[..<separator]), String(name[name.index(after: separator)...]))
    }

    static func repoID(_ model: LockedModel) throws -> RepoID {
        do {
            return try model.storeRepo()
        } catch let error as OCINameError {
            throw ProjectError.invalidAlias(model.alias.rawValue, reason: "its repo `\(model.repo.escapedForDisplay)`: \(error.reason)")
        } catch let error as RepoIDError {
            throw ProjectError.invalidAlias(model.alias.rawValue, reason: "its repo `\(model.repo.escapedForDisplay)`: \(error.reason)")
        }
    }

    /// The BOM's view of a snapshot's facts and the lock's record of it.
    static func bomModel(_ facts: ModelFacts, repo: RepoID, locked: LockedModel?, revision: String?) -> BOMModel {
        var model = BOMModel(repo: repo, commit: facts.commit, endpoint: facts.endpoint ?? CycloneDX.defaultEndpoint, scanner: facts.scanner)
        model.alias = locked?.alias.rawValue
        model.revision = revision
        model.card = facts.card
        model.modelType = facts.modelType
        model.architectures = facts.architectures
        model.chatTemplates = facts.chatTemplates.map { .init(file: $0.file, name: $0.name, sha256: $0.sha256, size: $0.size) }
        model.remoteCode = facts.autoMap.map { "\($0.file): \($0.autoClass) → \($0.references.joined(separator: ", "))" }
            + facts.pythonFiles.map { "code file: \($0)" }
        model.files = facts.files.map { .init(path: $0.path, size: $0.size, sha256: $0.sha256, format: $0.format, verdict: $0.verdict?.rawValue) }
        model.requiredSigners = locked?.signers.map(\.hex) ?? []
        model.signedBy = facts.signedBy?.hex
        model.signatures = facts.signatures
        model.policyDecision = locked?.policy?.decision.rawValue
        model.policyReasons = locked?.policy?.reasons ?? []
        return model
    }
}
