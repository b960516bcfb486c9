import PinModel
import PinVerify
import PinStore
import SystemPackage

extension Workspace {
    /// `pull ORG/NAME[@REVISION]`: one model by name, outside any project, resolved against
    /// `--endpoint`, `MODELPIN_ENDPOINT`, `HF_ENDPOINT` or the Hub.
    public func pull(_ request: PullRequest) throws -> PullSummary {
        try audited("pull", checkpoint: true) { workspace in
            let store = try workspace.openStore(.readWrite)
            let puller = try workspace.puller(store: store, endpoint: workspace.configuration.resolveEndpoint(manifest: nil))
            var summary = try puller.pull(request)
            // Offline means no network: the attachments are the registry's, so they are not listed.
            if let manifest = summary.manifest, !request.offline {
                summary.attachments = try workspace.checkAttachments(of: summary, manifest: manifest, store: store, puller: puller)
            }
            if let cache = request.hfCache {
                summary.hfCache = try workspace.exportPulled(summary, request, store: store, into: cache)
            }
            workspace.audit?.model(.model(summary))
            return summary
        }
    }

    /// A model pulled from a registry: what is attached to its manifest, each attachment checked
    /// as far as modelpin can (`OCIAttachments`). A pull by name pins no signer, so an
    /// attachment that fails its check is a warning (the files themselves were verified
    /// against the manifest's digests either way).
    private func checkAttachments(of summary: PullSummary, manifest text: String, store: Store, puller: Puller) throws -> [AttachmentReport] {
        let reports = try attachmentReports(
            repository: summary.repo, manifest: try SHA256Digest(parsing: text), files: summary.files.map { ($0.path, $0.sha256) },
            store: store, puller: puller)
        for report in reports where report.status == .failed {
            events.emit(.warning("the attachment \(report.name ?? report.digest) (\(report.artifactType)) of \(summary.repo) failed its check: \(report.detail)"))
        }
        return reports
    }

    /// The referrers of `manifest` in `repository`, each checked (`OCIAttachments`).
    func attachmentReports(
        repository: String, manifest: SHA256Digest, files: [(path: String, sha256: SHA256Digest)], store: Store, puller: Puller
    ) throws -> [AttachmentReport] {
        guard let access = puller.settings.registry else { return [] }
        let keyring = try? Keyring(directory: keyringDirectory(), create: false, gpgPath: configuration.gpgPath)
        let (signers, _) = try LockSigners.load(configuration.environment)
        let checker = OCIAttachments(store: store, keyring: keyring, lockSigners: signers)
        let session = try access.connect(repository, access, cancellation.flag)
        return try checker.check(manifest: manifest, files: files, session: session)
    }

    /// `pull --hf-cache`: the snapshot just recorded, written into the cache with a ref for the
    /// revision asked for (not for a commit) and, when no pattern or file list narrowed the
    /// pull, the tree listing that tells the client the snapshot is whole.
    private func exportPulled(_ summary: PullSummary, _ request: PullRequest, store: Store, into cache: FilePath) throws -> HFCacheWriter.Outcome {
        let repo = try RepoID(parsing: summary.repo)
        guard let snapshot = try store.snapshot(repo: repo, revision: summary.commit) else {
            throw HFCacheError.snapshotNotInStore(repo: summary.repo, revision: summary.commit)
        }
        let whole = request.include.isEmpty && request.exclude.isEmpty && request.files.isEmpty
        return try HFCacheWriter(store: store, cacheRoot: cache).export(snapshot, revision: summary.revision, writeTree: whole)
    }
}
