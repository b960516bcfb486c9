import PinModel
import PinStore
import struct PinRegistry.FetchedManifest

/// A registry's manifest read as a model's files. modelpin's own snapshot manifests (what
/// `push` sends: the store's ModelPack manifest, with the git blob id and LFS flag of every
/// file) are read strictly by the store's own reader; other tools' (CNCF ModelPack, the older
/// `vnd.cnai.*` media types, Docker Model Runner) by `ModelPackReader`, whose files have no git
/// blob id (`OCIIdentity.file` describes them by their LFS pointer). A `.tar` layer is one
/// file, stored and checked as a whole and not unpacked. Anything else is refused with the
/// field and the reason. Every path passes `PathSafety` in either reader; sizes are bounded.
enum OCIManifestFiles {
    static func read(_ fetched: FetchedManifest, repository: String) throws -> [SnapshotFile] {
        do {
            let snapshot = try SnapshotManifest.parse(fetched.bytes)
            return snapshot.files.map { file in
                OCIIdentity.file(path: file.path, sha256: file.sha256, size: file.size, gitBlobID: file.gitBlobID, lfs: file.lfs)
            }
        } catch {
            // Not one of modelpin's own: another tool's model, or nothing modelpin reads.
        }
        do {
            let model = try ModelPackReader.read(fetched.bytes)
            return model.files.map { file in
                OCIIdentity.file(path: file.path, sha256: file.sha256, size: file.size, gitBlobID: nil, lfs: nil)
            }
        } catch {
            throw OCIError.unsupportedManifest(repository: repository, digest: fetched.digest.description, reason: error.description)
        }
    }
}
