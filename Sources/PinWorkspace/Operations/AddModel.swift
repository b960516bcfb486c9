public import PinLock
public import PinStore

/// What `add` did.
public struct AddResult: Sendable {
    public let alias: String
    /// The model as it was locked.
    public let locked: LockedModel
    /// Where it was laid out.
    public let destination: ModelDirectory
    /// Whether `models/.gitignore` was written, or what to add to `.gitignore` (`ModelsIgnore`).
    public let ignore: ModelsIgnore.Outcome
}

extension Workspace {
    /// `add ORG/NAME[@REV]`: checks the name, resolves it, pulls it (every file verified, its
    /// signatures checked when signers are pinned), lays it out, and only then records it in
    /// modelpin.toml and modelpin.lock. Nothing is written unless all of that succeeded.
    /// `force`: replace files in the model's directory that modelpin did not lay out (see
    /// `PullRequest.force`); without it they stop the add before anything is fetched.
    public func add(_ request: ModelRequest, to project: Project, linkMode: LinkMode, force: Bool = false) throws -> AddResult {
        try audited("add", project: project, checkpoint: true) { try $0.addModel(request, to: project, linkMode: linkMode, force: force) }
    }

    private func addModel(_ request: ModelRequest, to project: Project, linkMode: LinkMode, force: Bool) throws -> AddResult {
        if project.manifest.model(request.alias) != nil { throw ProjectError.aliasExists(request.alias.rawValue, manifest: project.manifestPath) }
        // The edited manifest is checked (parsed, directories distinct) before anything is fetched.
        let text = ManifestFormat.appending(request, to: project.manifestText)
        let edited = try project.editing(text)

        let store = try openStore(.readWrite)
        let endpoint = configuration.resolveEndpoint(manifest: project.manifest.endpoint)
        let puller = try puller(store: store, endpoint: endpoint, project: project)
        let previous = try project.loadLock()
        let locked = try Locker(puller: puller).resolve(request, previous: nil, endpoint: endpoint)
        var locker = LockedPuller(puller: puller)
        locker.offline = false
        let destination = try edited.modelDirectory(of: request)
        let layout = try locker.layouts([(locked, destination)], mode: linkMode, force: force)[0]
        _ = try locker.fetch([locked])
        _ = try locker.verifySignatures([locked])
        let ignore = try ModelsIgnore.prepare(model: request.directory ?? ModelsIgnore.defaultDirectory(for: request.repo), in: project.directory)
        try locker.materialize(locked, with: layout)

        // Manifest first, then the lock: a crash in between leaves a lock that is merely out of
        // date (the next `lock` or `pull` adds the model), never one naming a model the
        // manifest lacks.
        let saved = try project.writeManifest(text)
        var models = previous?.models ?? []
        models.removeAll { $0.alias == request.alias }
        models = try Locker(puller: puller).rejudged(models, previousDigest: previous?.policyDigest)
        models.append(locked)
        try saved.writeLock(Lockfile(models: models, policyDigest: puller.policy?.digest), store: store)
        audit?.model(.model(locked))
        return AddResult(alias: request.alias.rawValue, locked: locked, destination: destination, ignore: ignore)
    }
}
