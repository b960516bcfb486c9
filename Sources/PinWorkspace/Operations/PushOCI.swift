import Dispatch
import PinAudit
import PinDigest
import PinLock
import PinNames
import PinRegistry
import PinModel
import PinStore
import SystemPackage

import Foundation

/// What `push oci://…` is asked to do.
public struct OCIPushRequest: Sendable {
    /// `oci://HOST[:PORT]/PATH[:TAG]`: no digest (a push names a tag; the manifest's digest
    /// follows from its bytes).
    public var target: String
    /// An alias of the project's lock, or `ORG/NAME[@REV]` the store recorded; nil: the
    /// project's only model.
    public var model: String?
    public var project: Project?

    public init(target: String, model: String?, project: Project?) {
        self.target = target
        self.model = model
        self.project = project
    }
}

/// What `push` did, for the summary and `--json`.
public struct OCIPushSummary: Sendable, Encodable {
    public struct Blob: Sendable, Encodable {
        public let digest: String
        public let size: Int64
        /// `present` (the registry had it), `mounted from REPO` (another repository of it), `uploaded`.
        public let outcome: String
        /// Bytes an interrupted earlier push had sent already (`uploaded` only).
        public let resumedFrom: Int64?
    }

    public let repository: String
    public let tag: String
    public let manifest: String
    /// The snapshot pushed: its repo and commit as the store recorded them.
    public let repo: String
    public let commit: String
    public let blobs: [Blob]
    public let uploadedBytes: Int64
    public let seconds: Double
    /// What was attached to the manifest as referrers (the project's lock and its signature).
    public let attachments: [String]
}

extension Workspace {
    /// `push oci://HOST/PATH[:TAG] [MODEL]`: the snapshot as the store recorded it — its
    /// ModelPack manifest's own bytes, its config and every layer, each blob read from the
    /// store under its digest name (verified when it was admitted: nothing is resolved again
    /// or re-hashed) — pushed to the registry: blobs first (skipped when present, mounted when
    /// the registry can), the manifest last, under TAG (default: the snapshot's commit).
    public func pushOCI(_ request: OCIPushRequest) throws -> OCIPushSummary {
        try audited("push", project: request.project) { workspace in
            guard let (repository, tagText) = ModelRequest.splitOCI(request.target), !request.target.contains("@") else {
                throw OCIError.badTarget(request.target, reason: "push names a tag, oci://HOST[:PORT]/PATH[:TAG], not a digest")
            }
            let store = try workspace.openStore(.readOnly)
            let snapshot = try workspace.snapshotToPush(request, store: store)
            let tag = request.target.hasSuffix(":" + tagText) ? tagText : snapshot.commit
            let access = try workspace.registryAccess(store: store)
            let session = try access.connect(repository, access, workspace.cancellation.flag)
            let lock = request.model?.contains("/") == true ? [] : try Self.lockAttachments(request.project)
            let attachments = try SnapshotAttachments.all(snapshot, store: store, lock: lock)
            return try workspace.push(snapshot, to: repository, tag: tag, attachments: attachments, session: session, store: store)
        }
    }

    /// Pushes one recorded snapshot to `repository` under `tag` through `session`, then
    /// `attachments` as its referrers; notes the repository for later mounts.
    func push(
        _ snapshot: StoredSnapshot, to repository: String, tag: String, attachments: [Attachment], session: any RegistrySession, store: Store
    ) throws -> OCIPushSummary {
        let started = DispatchTime.now()
        audit?.operation("repository", .string(repository))
        audit?.operation("tag", .string(tag))
        // The store's own OCI content of the snapshot (its manifest bytes, config, layers) and
        // the attachments rendered as referrers: the same artifacts export and mirror write.
        guard let artifacts = try store.snapshotArtifacts(repo: snapshot.repo, revision: snapshot.commit, attachments: attachments),
              case .memory(let manifest) = artifacts.manifest.bytes
        else { throw PullError.notRecorded(repo: snapshot.repo.description, revision: snapshot.commit) }
        let pushedTo = PushedRepositories(store: store)
        let mountFrom = pushedTo.sameRegistry(as: repository)
        let staging = Staging(directory: store.root.appending("registry").appending("staging"))
        var blobs: [OCIPushSummary.Blob] = []
        var uploaded: Int64 = 0
        var seen: Set<SHA256Digest> = []
        for blob in [artifacts.config] + artifacts.layers where seen.insert(blob.descriptor.digest).inserted {
            if cancellation.isCancelled { throw PullError.interrupted }
            let size = blob.descriptor.size
            let digest = blob.descriptor.digest.description
            switch try staging.push(blob, session: session, mountFrom: mountFrom) {
            case .present: blobs.append(.init(digest: digest, size: size, outcome: "present", resumedFrom: nil))
            case .mounted(let from): blobs.append(.init(digest: digest, size: size, outcome: "mounted from " + from, resumedFrom: nil))
            case .uploaded(let resumed):
                uploaded += size - resumed
                blobs.append(.init(digest: digest, size: size, outcome: "uploaded", resumedFrom: resumed))
            }
        }
        let digest = try session.putManifest(manifest, mediaType: MediaType.imageManifest, reference: tag)
        guard digest == artifacts.manifest.descriptor.digest else {
            throw OCIError.manifestDigestMismatch(repository: repository, asked: artifacts.manifest.descriptor.digest.description, served: digest.description)
        }
        audit?.operation("manifest", .string(digest.description))
        // Each referrer after its subject: its blobs (the empty config, the payload), then itself.
        for referrer in artifacts.referrers {
            for blob in referrer.blobs { _ = try staging.push(blob, session: session, mountFrom: mountFrom) }
            guard case .memory(let bytes) = referrer.manifest.bytes else { continue }
            try session.putManifest(bytes, mediaType: MediaType.imageManifest, reference: referrer.manifest.descriptor.digest.description)
        }
        do {
            try pushedTo.record(repository)
        } catch {
            events.emit(.warning("could not note `\(repository)` in \(pushedTo.file) (used to mount blobs on later pushes): \(error)"))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        events.emit(.finished(operation: "push", seconds: seconds))
        return OCIPushSummary(
            repository: repository, tag: tag, manifest: digest.description, repo: snapshot.repo.description, commit: snapshot.commit,
            blobs: blobs, uploadedBytes: uploaded, seconds: seconds, attachments: attachments.map(\.name))
    }

    /// The project's lock and its signature (`modelpin.lock.asc`), when there is a project
    /// with a lock: what a push of one of its models attaches.
    static func lockAttachments(_ project: Project?) throws -> [Attachment] {
        guard let project, let (_, text) = try Project.readLockfile(project.lockPath) else { return [] }
        return try lockAttachments(text: text, lockPath: project.lockPath)
    }

    static func lockAttachments(text: String, lockPath: FilePath) throws -> [Attachment] {
        var attachments = [Attachment(artifactType: Attachment.Kind.lock, name: Lockfile.fileName, payload: Array(text.utf8))]
        if let signature = try RegularFile.contents(of: FilePath(lockPath.string + ".asc"), limit: 64 << 10) {
            attachments.append(Attachment(artifactType: Attachment.Kind.pgpSignature, name: Lockfile.fileName + ".asc", payload: signature))
        }
        return attachments
    }

    /// The recorded snapshot `request` names: a locked model by alias (found by its commit), or
    /// `ORG/NAME[@REV]` as the store recorded it.
    func snapshotToPush(_ request: OCIPushRequest, store: Store) throws -> StoredSnapshot {
        guard let name = request.model, name.contains("/") else {
            guard let project = request.project else { throw ProjectError.noManifest(FilePath(".")) }
            guard let lock = try project.loadLock() else { throw ProjectError.lockMissing(project.lockPath) }
            let model: LockedModel
            if let name = request.model {
                guard let found = lock.model(name) else {
                    throw ProjectError.unknownAlias(name, manifest: project.manifestPath, known: lock.models.map(\.alias.rawValue))
                }
                model = found
            } else {
                guard lock.models.count == 1 else { throw OCIError.whichModel(lock.models.map(\.alias.rawValue)) }
                model = lock.models[0]
            }
            let repo = try model.storeRepo()
            guard let snapshot = try store.snapshot(repo: repo, revision: model.commit.hex) else {
                throw PullError.notRecorded(repo: model.repo, revision: model.commit.hex)
            }
            return snapshot
        }
        let (repoText, revision) = Self.splitRevision(name)
        let repo: RepoID
        do {
            repo = try RepoID(parsing: repoText)
        } catch {
            throw NameSyntaxError(name: repoText, reason: error.reason)
        }
        guard let snapshot = try store.snapshot(repo: repo, revision: revision) else {
            throw PullError.notRecorded(repo: repo.description, revision: revision)
        }
        return snapshot
    }
}

/// Pushes artifact blobs: one in the store as it is; one in memory (a payload, the empty
/// config) written to a small file first, because the client uploads from a file (streamed,
/// resumable).
private struct Staging {
    let directory: FilePath

    func push(_ blob: ArtifactBlob, session: any RegistrySession, mountFrom: [String]) throws -> BlobPushOutcome {
        switch blob.bytes {
        case .file(let path):
            return try session.pushBlob(blob.descriptor.digest, size: blob.descriptor.size, file: path, mountFrom: mountFrom)
        case .memory(let bytes):
            try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: true)
            let path = directory.appending(blob.descriptor.digest.hex)
            try Data(bytes).write(to: URL(fileURLWithPath: path.string))
            defer { try? FileManager.default.removeItem(atPath: path.string) }
            return try session.pushBlob(blob.descriptor.digest, size: blob.descriptor.size, file: path, mountFrom: mountFrom)
        }
    }
}
