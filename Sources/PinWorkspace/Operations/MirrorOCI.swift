import PinAudit
import PinLock
import PinModel
import PinStore
public import SystemPackage

/// What `mirror oci://HOST/REPO` did.
public struct OCIMirrorOutcome: Sendable, Encodable {
    public var mirror: String
    /// Distinct blobs pushed (configs and layers), and how each went.
    public var blobs = 0
    public var uploaded = 0
    public var mounted = 0
    public var skipped = 0
    /// Bytes sent now (what an interrupted earlier push had sent is not counted).
    public var bytes: Int64 = 0
    /// One manifest per locked model, tagged with its commit.
    public var manifests: [String] = []
}

extension Workspace {
    /// `mirror oci://HOST[:PORT]/REPO`: every locked model's recorded snapshot pushed to one
    /// repository — its manifest tagged with its commit, its config and layers (skipped when
    /// present, mounted when the registry can), the lock and its signature attached — so that
    /// `pull --mirror oci://HOST/REPO` serves the project's blobs by digest. What `push` does, for
    /// each model of the lock, through one session.
    public func mirror(lockAt lockPath: FilePath, toRegistry target: String) throws -> OCIMirrorOutcome {
        try audited("mirror") { workspace in
            guard let (parsed, text) = try Project.readLockfile(lockPath) else { throw ProjectError.lockMissing(lockPath) }
            // A repository alone: no tag, no digest (each model is tagged with its commit).
            guard let (repository, _) = ModelRequest.splitOCI(target), repository == target else {
                throw OCIError.badTarget(target, reason: "a mirror is a repository, oci://HOST[:PORT]/PATH: each model is tagged with its commit")
            }
            workspace.noteLock(at: lockPath)
            workspace.audit?.operation("registry", .string(repository))
            for model in parsed.models { workspace.audit?.model(.model(model)) }
            let store = try workspace.openStore(.readOnly)
            var snapshots: [StoredSnapshot] = []
            for model in parsed.models {
                guard let snapshot = try store.snapshot(repo: try model.storeRepo(), revision: model.commit.hex) else {
                    throw PullError.notRecorded(repo: model.repo, revision: model.commit.hex)
                }
                snapshots.append(snapshot)
            }
            let attachments = try Self.lockAttachments(text: text, lockPath: lockPath)
            let access = try workspace.registryAccess(store: store)
            let session = try access.connect(repository, access, workspace.cancellation.flag)
            var outcome = OCIMirrorOutcome(mirror: repository)
            var seen: Set<String> = []
            for snapshot in snapshots {
                let pushed = try workspace.push(
                    snapshot, to: repository, tag: snapshot.commit,
                    attachments: try SnapshotAttachments.all(snapshot, store: store, lock: attachments), session: session, store: store)
                outcome.manifests.append(pushed.manifest)
                outcome.bytes += pushed.uploadedBytes
                for blob in pushed.blobs where seen.insert(blob.digest).inserted {
                    outcome.blobs += 1
                    switch blob.outcome {
                    case "present": outcome.skipped += 1
                    case "uploaded": outcome.uploaded += 1
                    default: outcome.mounted += 1
                    }
                }
            }
            return outcome
        }
    }
}
