import PinDigest
import PinTransport
public import PinModel
import PinLock

/// What a model from an OCI registry is called inside modelpin, where the Hub's names are the
/// rule: the lock, the store's snapshot record and the pipeline all name a model by a repo
/// and a commit.
///
/// - The lock's `repo` is the registry repository as written, `oci://HOST[:PORT]/PATH`, and
///   its commit is the manifest's digest (`CommitID(ociManifest:)`): the only immutable name a
///   registry gives a snapshot. A tag is only the revision asked for, like a branch.
/// - The store records snapshots under Hub-shaped ids (`OWNER/NAME`), so a registry repository
///   gets one: `oci.HOST-PORT/PATH.WITH.DOTS` (`storeRepo`). Two repositories that map to the
///   same id can only share a commit name if they hold the same manifest, so the same bytes.
public enum OCIIdentity {
    /// The store's id of `repository` (`oci://HOST[:PORT]/PATH`, no tag or digest).
    public static func storeRepo(for repository: String) throws(OCINameError) -> RepoID {
        guard repository.hasPrefix("oci://"), let slash = repository.dropFirst(6).firstIndex(of: "/") else {
            throw OCINameError(text: repository, reason: "not an oci://HOST/REPOSITORY reference")
        }
        let host = repository[repository.index(repository.startIndex, offsetBy: 6)..<slash]
        let path = repository[repository.index(after: slash)...]
        let owner = "oci." + host.replacingColons()
        let name = path.split(separator: "/").joined(separator: ".")
        do {
            return try RepoID(owner: owner, name: name)
        } catch {
            throw OCINameError(text: repository, reason: "the store cannot name this registry repository: \(error.reason)")
        }
    }

    /// The git blob id of the Git LFS pointer that names `sha256` and `size`: what a layer with
    /// no git blob id of its own (a manifest another tool wrote) is described with. Every file
    /// the pipeline handles has a git blob id, and an LFS file's is its pointer's, which depends
    /// only on the content's SHA-256 and size; the bytes are checked against the SHA-256.
    public static func lfsPointerID(sha256: SHA256Digest, size: Int64) -> GitBlobID {
        let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:\(sha256.hex)\nsize \(size)\n"
        return GitBlobHasher.id(of: Array(pointer.utf8))
    }

    /// A layer as a snapshot file: the git blob id and LFS flag the manifest's modelpin
    /// annotations state when it has them (a plain git file's id is then checked against the
    /// bytes as they arrive, so a wrong one is refused), else an LFS file described by its
    /// pointer (`lfsPointerID`).
    public static func file(path: String, sha256: SHA256Digest, size: Int64, gitBlobID: GitBlobID?, lfs: Bool?) -> SnapshotFile {
        if let gitBlobID, let lfs {
            return SnapshotFile(path: path, size: size, gitBlobID: gitBlobID, sha256: sha256, isLFS: lfs)
        }
        return SnapshotFile(path: path, size: size, gitBlobID: lfsPointerID(sha256: sha256, size: size), sha256: sha256, isLFS: true)
    }
}

extension Substring {
    fileprivate func replacingColons() -> String {
        String(map { $0 == ":" ? "-" : $0 })
    }
}

/// A registry repository modelpin cannot name (see `OCIIdentity.storeRepo`).
public struct OCINameError: ModelpinError, Equatable {
    public let text: String
    public let reason: String

    public var kind: FailureKind { .usage }
    public var description: String { "`\(text.escapedForDisplay)` cannot be pulled as a model" }
    public var causes: [String] { [reason] }
    public var hint: String? {
        "registry repositories are named `oci://HOST[:PORT]/PATH`; the store names them `oci.HOST-PORT/PATH.WITH.DOTS`, so a path needs at most 96 characters and no `--` or `..`"
    }
}

extension OCIIdentity {
    /// `http://HOST[:PORT]`, the origin a `--plain-http` registry is reached at; nil when
    /// `repository` is not an `oci://` reference.
    static func blobURL(_ repository: String, digest: SHA256Digest, plainHTTP: Bool) -> HTTPURL? {
        guard repository.hasPrefix("oci://"), let slash = repository.dropFirst(6).firstIndex(of: "/") else { return nil }
        let authority = repository[repository.index(repository.startIndex, offsetBy: 6)..<slash]
        return HTTPURL((plainHTTP ? "http://" : "https://") + authority + "/v2/" + repository[repository.index(after: slash)...] + "/blobs/" + digest.description)
    }

    static func plainOrigin(of repository: String) -> Origin? {
        guard repository.hasPrefix("oci://"), let slash = repository.dropFirst(6).firstIndex(of: "/") else { return nil }
        return HTTPURL("http://" + repository[repository.index(repository.startIndex, offsetBy: 6)..<slash] + "/")?.origin
    }
}

extension LockedModel {
    /// The id the store records this model's snapshot under: its Hub repo id, or for a model
    /// from an OCI registry the store's name of its repository (`OCIIdentity.storeRepo`).
    func storeRepo() throws -> RepoID {
        isOCI ? try OCIIdentity.storeRepo(for: repo) : try RepoID(parsing: repo)
    }
}
