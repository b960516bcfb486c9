public import PinModel
import SystemPackage

/// `aliases/git/<oid>`: which blob a git blob id was verified to be.
///
/// The Hub names small (non-LFS) files only by their git blob id, so without this a pull could
/// not tell that the store already holds them. An alias is written only after the store itself
/// computed both digests of the same bytes; it is a cache, never a GC root, and an alias whose
/// blob is gone is simply not used.
extension Store {
    var gitAliasDirectory: FilePath { root.appending("aliases").appending("git") }

    func recordAlias(_ git: GitBlobID, for digest: SHA256Digest) throws(StoreError) {
        do {
            try FileSystem.makeDirectories(gitAliasDirectory)
        } catch {
            throw .writing(error, operation: "create", path: gitAliasDirectory, root: root)
        }
        try writeAtomically(Array((digest.description + "\n").utf8), to: gitAliasDirectory.appending(git.hex))
    }

    /// The blob known to have this git blob id and `size`, if the store holds it.
    public func blob(gitBlobID git: GitBlobID, size: Int64) -> SHA256Digest? {
        guard let bytes = try? readIfPresent(gitAliasDirectory.appending(git.hex), limit: 128),
              let text = String(validating: bytes.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self),
              let digest = try? SHA256Digest(parsing: text),
              let status = try? FileSystem.entry(at: blobPath(digest)), status.type == .regular, status.size == size,
              (try? path(of: digest)) != nil  // and still the bytes admitted under that name
        else { return nil }
        return digest
    }
}
