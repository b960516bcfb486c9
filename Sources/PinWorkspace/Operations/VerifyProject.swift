import PinAudit
import PinLock
import PinStore

extension Workspace {
    /// `verify [ALIAS...]`: every file of the chosen models (all when `aliases` is empty) hashed
    /// again in its directory, every blob in the store, against the lock. Problems are in the
    /// report, not thrown: the caller decides what they mean for the exit status.
    public func verify(_ project: Project, aliases: [String]) throws -> ProjectVerifier.Report {
        try audited("verify", project: project) { try $0.verifyNow(project, aliases: aliases) }
    }

    private func verifyNow(_ project: Project, aliases: [String]) throws -> ProjectVerifier.Report {
        guard let lock = try project.loadLock() else { throw ProjectError.lockMissing(project.lockPath) }
        for alias in aliases where lock.model(alias) == nil {
            throw ProjectError.notLocked(alias: alias, lock: project.lockPath)
        }
        var chosen: [(LockedModel, ModelDirectory)] = []
        for model in lock.models where aliases.isEmpty || aliases.contains(model.alias.rawValue) {
            guard let request = project.manifest.model(model.alias) else {
                throw ProjectError.lockOutdated(project.lockPath, [.removed(alias: model.alias.rawValue)])
            }
            // A model laid out in the Hugging Face cache has no directory to hash; the cache
            // is checked by `verify --hf-cache`.
            if request.layout == .hfCache { continue }
            chosen.append((model, try project.modelDirectory(of: request)))
        }
        noteLock(at: project.lockPath)
        let report = ProjectVerifier(store: try openStore(.readOnly)).verify(chosen)
        for (model, _) in chosen {
            let problems = report.problems.filter { $0.alias == model.alias.rawValue }
            var entry = AuditEntry.model(model, outcome: problems.isEmpty ? "ok" : "refused")
            if !problems.isEmpty { entry.reasons = problems.map(\.auditReason) }
            audit?.model(entry)
        }
        audit?.problems(report.problems.map(\.auditReason))
        return report
    }
}
