import PinLock
import PinModel
import PinStore
public import SystemPackage

/// What `export --oci-archive FILE.tar` is asked to do.
public struct OCIArchiveExportRequest: Sendable {
    /// As for `export --hf-cache`: aliases or `ORG/NAME[@REV]`; empty: every locked model.
    public var names: [String] = []
    public var project: Project?
    public var archive: FilePath

    public init(archive: FilePath) {
        self.archive = archive
    }
}

/// What `export --oci-archive` wrote: `--json` prints it.
public struct OCIArchiveExportResult: Sendable, Encodable {
    public struct Model: Sendable, Encodable {
        public let reference: String
        public let manifest: String
        public let files: Int
        public let attachments: [String]
    }

    public let archive: String
    public let bytes: Int64
    public let models: [Model]
}

extension Workspace {
    /// `export --oci-archive`: the recorded snapshots, with the project's lock and its
    /// signature attached to each as referrers, as one OCI image-layout tar. The store is only
    /// read; a name it has no snapshot for is an error that says to pull it.
    public func exportOCIArchive(_ request: OCIArchiveExportRequest) throws -> OCIArchiveExportResult {
        try audited("export", project: request.project) { try $0.exportArchiveNow(request) }
    }

    private func exportArchiveNow(_ request: OCIArchiveExportRequest) throws -> OCIArchiveExportResult {
        let store = try openStore(.readOnly)
        let attachments = try projectAttachments(request.project)
        var all: [SnapshotArtifacts] = []
        for item in try exportItems(names: request.names, project: request.project) {
            let own = try store.snapshot(repo: item.repo, revision: item.lookup).map { try SnapshotAttachments.all($0, store: store, lock: attachments) }
            guard let own, let artifacts = try store.snapshotArtifacts(repo: item.repo, revision: item.lookup, attachments: own) else {
                throw HFCacheError.snapshotNotInStore(repo: item.repo.description, revision: item.revision ?? item.lookup)
            }
            all.append(artifacts)
            audit?.model(.model(artifacts.snapshot, revision: item.revision, destination: request.archive.string))
        }
        let bytes = try OCIArchive.write(all, to: request.archive)
        return OCIArchiveExportResult(
            archive: request.archive.string, bytes: bytes,
            models: all.map { artifacts in
                .init(reference: artifacts.referenceName, manifest: artifacts.manifest.descriptor.digest.description,
                      files: artifacts.layers.count, attachments: artifacts.referrers.map(\.attachment.name))
            })
    }

    /// The project's lock and `modelpin.lock.asc`, when there are any: carried for whoever
    /// receives the archive, never trusted by an import (it checks against its own `--lock`).
    func projectAttachments(_ project: Project?) throws -> [Attachment] {
        guard let project else { return [] }
        var attachments: [Attachment] = []
        if let lock = try AtomicFile.read(project.lockPath) {
            attachments.append(Attachment(artifactType: Attachment.Kind.lock, name: Lockfile.fileName, payload: lock))
        }
        let signature = project.directory.appending(Lockfile.fileName + ".asc")
        if let asc = try AtomicFile.read(signature) {
            attachments.append(Attachment(artifactType: Attachment.Kind.pgpSignature, name: Lockfile.fileName + ".asc", payload: asc))
        }
        return attachments
    }
}
