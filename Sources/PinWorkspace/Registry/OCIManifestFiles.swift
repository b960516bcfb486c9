import PinModel
import PinStore

/// A registry's manifest read as a model's files. modelpin's own snapshot manifests (what
/// `push` sends: the store's ModelPack manifest, with the git blob id and LFS flag of every
/// file) are read strictly by the store's own reader; everything else is refused with the
/// field and the reason. Every path passes `PathSafety` there; sizes are bounded.
enum OCIManifestFiles {
    static func read(_ fetched: ServedManifest, repository: String) throws -> [SnapshotFile] {
        let snapshot: StoredSnapshot
        do {
            snapshot = try SnapshotManifest.parse(fetched.bytes)
        } catch {
            throw OCIError.unsupportedManifest(repository: repository, digest: fetched.digest.description, reason: error.description)
        }
        return snapshot.files.map { file in
            OCIIdentity.file(path: file.path, sha256: file.sha256, size: file.size, gitBlobID: file.gitBlobID, lfs: file.lfs)
        }
    }
}
