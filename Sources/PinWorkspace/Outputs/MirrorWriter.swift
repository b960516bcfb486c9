public import PinLock
import PinModel
public import PinStore
public import SystemPackage

/// `mirror DIR`: the layout README "Mirrors" specifies, written by PinStore's `MirrorDirectory`
/// (temp file and rename, never through a link, under DIR's flock): every blob the lock names,
/// copied from the store and hashed against the lock on the way; each locked model's snapshot
/// as OCI content (its manifest, config and the lock attached as referrers) named in a merged
/// `index.json`, so skopeo and oras read DIR as `oci:DIR:ORG/NAME:COMMIT`; and the lock under
/// `projects/<NAME>/`, so projects sharing DIR keep their own. No store internals.
///
/// `pull --mirror DIR` reads only `blobs/sha256/<hex>` and checks every byte against its own
/// lock, so nothing else in DIR is trusted by anyone.
public struct MirrorWriter: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public struct Outcome: Sendable, Encodable {
        public var directory: String
        /// The project name its lock is kept under (`projects/<NAME>/`).
        public var project: String
        /// Blobs the lock names, and how many of them were written now (the rest were there).
        public var blobs = 0
        public var copied = 0
        public var bytes: Int64 = 0
        /// Snapshot manifests named in index.json (with their configs and attachments).
        public var manifests = 0
        /// Locked models the store recorded no snapshot for: their blobs are in DIR, but no
        /// manifest names them (`pull` them with this modelpin to record one).
        public var withoutManifest: [String] = []
    }

    /// The files of the lock for `project` (`files`: the lock and its signature, under
    /// `projects/<NAME>/`), and `artifacts`, each locked model's recorded snapshot.
    public func write(
        _ lock: Lockfile, files: [(name: String, bytes: [UInt8])], project: String,
        artifacts: [SnapshotArtifacts], withoutManifest: [String], to directory: FilePath
    ) throws -> Outcome {
        var unique: [SHA256Digest: LockedFile] = [:]
        for file in lock.models.flatMap(\.files) { unique[file.sha256] = file }
        let missing = unique.keys.sorted().filter { (try? store.path(of: $0)) == nil }
        guard missing.isEmpty else {
            throw ProjectError.notInStore(missing.map { "\(unique[$0]!.path) (\($0))" })
        }
        let mirror = try MirrorDirectory.open(directory)
        var outcome = Outcome(directory: directory.string, project: project, blobs: unique.count, withoutManifest: withoutManifest)
        for (digest, file) in unique.sorted(by: { $0.key < $1.key }) where try mirror.putBlob(digest, size: file.size, from: store.path(of: digest)) {
            outcome.copied += 1
            outcome.bytes += file.size
        }
        var entries: [Descriptor] = []
        for snapshot in artifacts {
            // Bottom-up: a manifest is only named once everything it names is in place.
            // (The lock's files are there already; a layer the lock does not name is not.)
            for blob in snapshot.blobsBottomUp where unique[blob.descriptor.digest] == nil {
                switch blob.bytes {
                case .memory(let bytes): try mirror.putBlob(bytes)
                case .file(let path): try mirror.putBlob(blob.descriptor.digest, size: blob.descriptor.size, from: path)
                }
            }
            entries.append(snapshot.manifest.descriptor)
            for referrer in snapshot.referrers {
                var descriptor = referrer.manifest.descriptor
                // The lock's own attachments are this project's: marked, so its next mirror
                // replaces them (a changed lock leaves no stale entries).
                if files.contains(where: { $0.bytes == referrer.attachment.payload }) {
                    descriptor.annotations = (descriptor.annotations ?? [:]).merging([MirrorDirectory.projectKey: project]) { $1 }
                }
                entries.append(descriptor)
            }
        }
        outcome.manifests = artifacts.count
        for file in files { try mirror.putFile(file.name, file.bytes) }
        try mirror.mergeIndex(entries, project: project)
        return outcome
    }
}
