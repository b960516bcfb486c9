import PinAudit
import PinLock
import PinModel
import PinStore
public import SystemPackage

extension Workspace {
    /// `mirror DIR [--name NAME]`: the lock at `lockPath`'s blobs, snapshots and the lock itself
    /// into the mirror layout (see `MirrorWriter`), the lock under `projects/<NAME>/`; NAME
    /// defaults to the lock's directory's name.
    public func mirror(lockAt lockPath: FilePath, into directory: FilePath, name: String? = nil) throws -> MirrorWriter.Outcome {
        try audited("mirror") { workspace in
            guard let (parsed, text) = try Project.readLockfile(lockPath) else { throw ProjectError.lockMissing(lockPath) }
            workspace.noteLock(at: lockPath)
            workspace.audit?.operation("directory", .string(directory.string))
            for model in parsed.models { workspace.audit?.model(.model(model)) }
            let project = name ?? Self.projectName(of: lockPath)
            let files = try Self.mirroredLockFiles(lockPath: lockPath, text: text, project: project)
            let store = try workspace.openStore(.readOnly)
            let attachments = files.map { file in
                Attachment(
                    artifactType: file.name.hasSuffix(".asc") ? Attachment.Kind.pgpSignature : Attachment.Kind.lock,
                    name: String(file.name.split(separator: "/").last!), payload: file.bytes)
            }
            var artifacts: [SnapshotArtifacts] = []
            var withoutManifest: [String] = []
            for model in parsed.models {
                if let repo = try? model.storeRepo(), let recorded = try store.snapshot(repo: repo, revision: model.commit.hex),
                   let snapshot = try store.snapshotArtifacts(
                       repo: repo, revision: model.commit.hex, attachments: try SnapshotAttachments.all(recorded, store: store, lock: attachments)) {
                    artifacts.append(snapshot)
                } else {
                    withoutManifest.append(model.alias.rawValue)
                }
            }
            return try MirrorWriter(store: store).write(
                parsed, files: files, project: project, artifacts: artifacts, withoutManifest: withoutManifest, to: directory)
        }
    }

    /// The lock and its signature under `projects/<NAME>/`, as a directory and a bucket keep them.
    static func mirroredLockFiles(lockPath: FilePath, text: String, project: String) throws -> [(name: String, bytes: [UInt8])] {
        let lockKey = try MirrorLayout.lockKey(project: project)
        var files = [(name: lockKey, bytes: Array(text.utf8))]
        if let signature = try Self.signature(of: lockPath) { files.append((lockKey + ".asc", signature)) }
        return files
    }
}
