import PinDigest
import PinModel
public import PinStore
public import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Writes a recorded snapshot from the store into a Hugging Face cache, in exactly the layout
/// huggingface_hub 2.x reads (`HFCacheLayout`), so `from_pretrained("org/name")`,
/// `hf_hub_download` and `snapshot_download` find it with `HF_HUB_OFFLINE=1`.
///
/// A view of the store's manifest: nothing is resolved, fetched or re-hashed that the store
/// already proved. Blobs are hard links of store blobs (a reflink, else a copy, only across
/// filesystems, and the outcome says so). The cache is someone else's directory, shared with
/// running huggingface_hub processes and possibly planted with links: every path is reached
/// through a `DirectoryRoot` (never through a symbolic link), every blob is written under the
/// client's own lock (`.locks/<repo folder>/<etag>.lock`, which filelock takes with flock on
/// Linux), and a blob already there is kept only if it holds the bytes its name says, and
/// never overwritten if it does not.
public struct HFCacheWriter: Sendable {
    public let store: Store
    /// The cache root (`HFCacheLayout.root`).
    public let cacheRoot: FilePath

    public init(store: Store, cacheRoot: FilePath) {
        self.store = store
        self.cacheRoot = cacheRoot
    }

    /// How one blob reached the cache.
    public enum Placement: String, Sendable, Encodable {
        /// A hard link of the store's blob: no byte written.
        case linked
        /// Another filesystem: a reflink (shared blocks) of the store's blob.
        case reflinked
        /// Another filesystem without reflinks: a byte copy.
        case copied
        /// The cache held these bytes already under this name (checked, or the same file).
        case kept
    }

    /// What one snapshot's export did.
    public struct Outcome: Sendable, Encodable {
        public let repo: String
        public let commit: String
        /// The branch or tag written to `refs/`, if any.
        public let revision: String?
        /// `<cache root>/<repo folder>/snapshots/<commit>`: what `snapshot_download` returns.
        public let snapshot: String
        public let files: Int
        public let bytes: Int64
        /// Distinct blobs by how they were placed.
        public let linked: Int
        public let reflinked: Int
        public let copied: Int
        public let kept: Int
        /// Whether the cache is on another filesystem than the store (blobs were copied or
        /// reflinked instead of linked): said aloud, because it costs disk and time.
        public var crossFilesystem: Bool { copied + reflinked > 0 }
        /// Whether `trees/<commit>.json` was written by this export.
        public let wroteTree: Bool

        enum CodingKeys: String, CodingKey {
            case repo, commit, revision, snapshot, files, bytes, linked, reflinked, copied, kept, crossFilesystem, wroteTree
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(repo, forKey: .repo)
            try container.encode(commit, forKey: .commit)
            try container.encode(revision, forKey: .revision)
            try container.encode(snapshot, forKey: .snapshot)
            try container.encode(files, forKey: .files)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(linked, forKey: .linked)
            try container.encode(reflinked, forKey: .reflinked)
            try container.encode(copied, forKey: .copied)
            try container.encode(kept, forKey: .kept)
            try container.encode(crossFilesystem, forKey: .crossFilesystem)
            try container.encode(wroteTree, forKey: .wroteTree)
        }
    }

    /// Exports `snapshot`; `revision` (a branch or tag it was resolved from) gets a ref, a
    /// commit none. `writeTree`: also `trees/<commit>.json`, the listing from which the client
    /// tells a complete snapshot (only for a snapshot that holds every file of its commit: the
    /// client trusts the listing when it later downloads that commit with the network on).
    public func export(_ snapshot: StoredSnapshot, revision: String?, writeTree: Bool) throws -> Outcome {
        let commit: CommitID
        do {
            commit = try CommitID(parsing: snapshot.commit)
        } catch {
            throw HFCacheError.invalidName(HFCacheLayoutError(name: snapshot.commit, reason: "is not a 40-hex commit, which the cache names snapshots by"), context: "snapshot of \(snapshot.repo)")
        }
        if let problem = PathSafety.problems(in: snapshot.files.map(\.path)).first {
            throw HFCacheError.invalidName(HFCacheLayoutError(name: "", reason: problem), context: "snapshot of \(snapshot.repo)")
        }
        let ref = try revision.flatMap { revision in
            revision == commit.hex ? nil : try Self.named { () throws(HFCacheLayoutError) in try HFCacheLayout.ref(revision) }
        }
        let cache = try Self.io("open the cache") { () throws(DirectoryRoot.Failure) in try DirectoryRoot.open(cacheRoot, create: true) }
        let folder = HFCacheLayout.folderName(of: snapshot.repo)

        // Blobs first, then the links to them, then the ref: a reader that finds the ref finds
        // the snapshot whole, and one that finds a link finds its blob.
        var entries: [(file: StoredSnapshot.File, etag: HFCacheETag, gitBlobID: GitBlobID)] = []
        var placements: [HFCacheETag: Placement] = [:]
        for file in snapshot.files {
            let gitBlobID = try file.gitBlobID ?? computedGitBlobID(of: file)
            let etag: HFCacheETag = file.lfs ? .sha256(file.sha256) : .gitBlob(gitBlobID)
            entries.append((file, etag, gitBlobID))
            if placements[etag] == nil {
                placements[etag] = try placeBlob(file, etag: etag, repo: snapshot.repo, folder: folder, in: cache)
            }
        }
        for entry in entries {
            let relative = folder + "/" + (try Self.named { () throws(HFCacheLayoutError) in
                try HFCacheLayout.snapshotFile(commit: commit, path: entry.file.path)
            })
            try placeLink(at: relative, target: HFCacheLayout.snapshotLinkTarget(path: entry.file.path, etag: entry.etag), in: cache)
        }
        var wroteTree = false
        if writeTree {
            let tree = Self.treeJSON(entries.map { ($0.file, $0.gitBlobID) })
            wroteTree = try writeIfAbsent(Array(tree.utf8), at: folder + "/" + HFCacheLayout.tree(commit: commit), in: cache)
        }
        if let ref {
            try writeRef(commit.hex, at: folder + "/" + ref, in: cache)
        }
        let counts = Dictionary(grouping: placements.values, by: { $0 }).mapValues(\.count)
        return Outcome(
            repo: snapshot.repo.description, commit: commit.hex, revision: ref == nil ? nil : revision,
            snapshot: cacheRoot.appending(folder).appending(HFCacheLayout.snapshotsFolder).appending(commit.hex).string,
            files: snapshot.files.count, bytes: snapshot.files.reduce(0) { $0 + $1.size },
            linked: counts[.linked] ?? 0, reflinked: counts[.reflinked] ?? 0, copied: counts[.copied] ?? 0, kept: counts[.kept] ?? 0,
            wroteTree: wroteTree)
    }

    // MARK: Blobs

    /// Puts the store's blob at `blobs/<etag>` under the client's lock for that blob.
    func placeBlob(_ file: StoredSnapshot.File, etag: HFCacheETag, repo: RepoID, folder: String, in cache: DirectoryRoot) throws -> Placement {
        let lock = try Self.io("lock") { () throws(DirectoryRoot.Failure) in try cache.lockExclusively(HFCacheLayout.lock(repo: repo, etag: etag)) }
        defer { try? lock.close() }
        let relative = folder + "/" + HFCacheLayout.blob(etag)
        let source = try store.path(of: file.sha256)
        if let kept = try existing(at: relative, etag: etag, file: file, source: source, in: cache) { return kept }
        do {
            try cache.hardLink(from: source, at: relative)
            return .linked
        } catch let failure where failure.errno == .improperLink || failure.errno == .notPermitted || failure.errno == .permissionDenied {
            // Another filesystem (EXDEV), or a store this user may not link (protected_hardlinks).
        } catch let failure where failure.errno == .fileExists {
            // Someone without the lock put it there meanwhile: check what they put.
            if let kept = try existing(at: relative, etag: etag, file: file, source: source, in: cache) { return kept }
            throw HFCacheError.unsafeEntry(path: cache.path.appending(relative), reason: "appeared while modelpin was writing it")
        } catch {
            throw HFCacheError.from(error, operation: "link")
        }
        return try copyBlob(file, to: relative, in: cache)
    }

    /// A reflink or copy of the blob into a temp name beside `relative`, flushed, then linked
    /// to its final name (linkat never replaces an entry, unlike rename).
    func copyBlob(_ file: StoredSnapshot.File, to relative: String, in cache: DirectoryRoot) throws -> Placement {
        let temporary = MaterializeTemporary.sibling(of: relative)
        defer { _ = try? cache.removeFile(temporary) { _ in true } }
        let method = try store.materialize(file.sha256, in: cache, at: temporary, mode: .copy)
        // Unlike a model directory's copy, a cache blob is trusted by its name alone: it must
        // not survive a crash half-written under that name.
        let written = try Self.io("open") { () throws(DirectoryRoot.Failure) in try cache.openFile(temporary) }
        defer { try? written.close() }
        if fsync(written.rawValue) != 0 {
            throw HFCacheError.io(path: cache.path.appending(temporary), Errno(rawValue: errno), operation: "flush")
        }
        try Self.io("link") { () throws(DirectoryRoot.Failure) in try cache.hardLink(temporary, to: relative) }
        return method == .reflink ? .reflinked : .copied
    }

    /// The placement of a blob already at `relative`, or nil when there is none. The same file
    /// as the store's blob, or a regular file whose bytes hash to its name, is kept; anything
    /// else is refused, never replaced. A link is followed only in the client's own form for
    /// its shared Xet blob store (`../../blobs/<2 hex>/<64 hex>`), and only through the cache
    /// root, never out of it.
    func existing(at relative: String, etag: HFCacheETag, file: StoredSnapshot.File, source: FilePath, in cache: DirectoryRoot) throws -> Placement? {
        guard let status = try Self.io("inspect", { () throws(DirectoryRoot.Failure) in try cache.status(relative) }) else { return nil }
        var path = relative
        switch status.type {
        case .regular:
            if let stored = try? Stat(source), stored.inode == status.inode, stored.deviceID == status.deviceID { return .kept }
        case .symbolicLink:
            let target = try Self.io("read the link") { () throws(DirectoryRoot.Failure) in try cache.linkTarget(relative) }
            guard let shared = Self.sharedBlob(target) else {
                throw HFCacheError.unsafeEntry(path: cache.path.appending(relative), reason: "is a symbolic link to `\(target.escapedForDisplay)`, which is not the client's shared blob store; modelpin never follows it")
            }
            path = shared
        default:
            throw HFCacheError.unsafeEntry(path: cache.path.appending(relative), reason: "is not a regular file")
        }
        let actual = try hash(path, as: etag, in: cache)
        guard actual == etag else { throw HFCacheError.blobConflict(path: cache.path.appending(relative), expected: etag, actual: actual) }
        return .kept
    }

    /// `blobs/XX/<64 hex>` below the cache root for a link target `../../blobs/XX/<64 hex>`
    /// (huggingface_hub 2.x's `_shared_blobs`), else nil.
    static func sharedBlob(_ target: String) -> String? {
        let parts = target.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "..", parts[1] == "..", parts[2] == HFCacheLayout.blobsFolder,
              parts[3].utf8.count == 2, parts[4].hasPrefix(parts[3]), SHA256Digest.isHexName(parts[4])
        else { return nil }
        return parts[2...].joined(separator: "/")
    }

    /// The etag the bytes at `relative` (opened without following a link) deserve, computed the
    /// way `etag` names them: SHA-256 for an LFS etag, the git blob id otherwise.
    func hash(_ relative: String, as etag: HFCacheETag, in cache: DirectoryRoot) throws -> HFCacheETag {
        let descriptor = try Self.io("open") { () throws(DirectoryRoot.Failure) in try cache.openFile(relative) }
        defer { try? descriptor.close() }
        let path = cache.path.appending(relative)
        switch etag {
        case .sha256:
            return .sha256(try FileHasher.sha256(reading: descriptor, path: path).0)
        case .gitBlob:
            let size = try Self.io("inspect") { () throws(DirectoryRoot.Failure) in
                do { return try Stat(descriptor).size } catch { throw DirectoryRoot.Failure(path: path, errno: (error as? Errno) ?? .ioError, symbolicLink: false) }
            }
            var hasher = GitBlobHasher(size: size)
            _ = try FileHasher.stream(descriptor, path: path) { chunk in
                hasher.update(chunk)
                return true
            }
            guard let id = hasher.finalize() else { throw HFCacheError.io(path: path, .ioError, operation: "read all of") }
            return .gitBlob(id)
        }
    }

    /// The git blob id of a file the store recorded without one: of its bytes for a plain git
    /// file, of its standard LFS pointer for an LFS file (what the Hub's tree lists).
    func computedGitBlobID(of file: StoredSnapshot.File) throws -> GitBlobID {
        if file.lfs {
            return GitBlobHasher.id(of: Array("version https://git-lfs.github.com/spec/v1\noid sha256:\(file.sha256.hex)\nsize \(file.size)\n".utf8))
        }
        let path = try store.path(of: file.sha256)
        let descriptor = try RegularFile.open(path)
        defer { try? descriptor.close() }
        var hasher = GitBlobHasher(size: file.size)
        _ = try FileHasher.stream(descriptor, path: path) { chunk in
            hasher.update(chunk)
            return true
        }
        guard let id = hasher.finalize() else { throw HFCacheError.io(path: path, .ioError, operation: "read all of") }
        return id
    }

    // MARK: Links, refs, trees

    /// The symlink at `relative` pointing at `target`: kept when it already does, else a temp
    /// link beside it renamed over whatever file or link is there (as the client replaces a
    /// pointer). A directory in its place is refused.
    func placeLink(at relative: String, target: String, in cache: DirectoryRoot) throws {
        if let status = try Self.io("inspect", { () throws(DirectoryRoot.Failure) in try cache.status(relative) }) {
            if status.type == .symbolicLink, (try? cache.linkTarget(relative)) == target { return }
            if status.type == .directory { throw HFCacheError.unsafeEntry(path: cache.path.appending(relative), reason: "is a directory where the snapshot has a file") }
        }
        let temporary = MaterializeTemporary.sibling(of: relative)
        do throws(DirectoryRoot.Failure) {
            try cache.symlink(target: FilePath(target), at: temporary)
            try cache.rename(temporary, to: relative)
        } catch {
            _ = try? cache.removeFile(temporary) { _ in true }
            throw HFCacheError.from(error, operation: "link")
        }
    }

    /// `refs/<revision>` holding `commit` with no newline, replaced atomically (the client does
    /// the same: the ref moves when the branch does).
    func writeRef(_ commit: String, at relative: String, in cache: DirectoryRoot) throws {
        if let status = try Self.io("inspect", { () throws(DirectoryRoot.Failure) in try cache.status(relative) }), status.type == .regular,
           let current = try? read(relative, limit: 64, in: cache), current == Array(commit.utf8) {
            return
        }
        try writeAtomically(Array(commit.utf8), at: relative, in: cache)
    }

    /// Writes `bytes` at `relative` unless a file is there already (a tree listing of a commit
    /// never changes; the client's own, from the Hub, may hold more than a partial snapshot).
    func writeIfAbsent(_ bytes: [UInt8], at relative: String, in cache: DirectoryRoot) throws -> Bool {
        if try Self.io("inspect", { () throws(DirectoryRoot.Failure) in try cache.status(relative) }) != nil { return false }
        try writeAtomically(bytes, at: relative, in: cache)
        return true
    }

    func writeAtomically(_ bytes: [UInt8], at relative: String, in cache: DirectoryRoot) throws {
        let temporary = MaterializeTemporary.sibling(of: relative)
        do throws(DirectoryRoot.Failure) {
            let output = try cache.createFile(temporary)
            defer { try? output.close() }
            do {
                _ = try output.writeAll(bytes)
                guard fsync(output.rawValue) == 0 else { throw Errno(rawValue: errno) }
            } catch {
                throw DirectoryRoot.Failure(path: cache.path.appending(temporary), errno: (error as? Errno) ?? .ioError, symbolicLink: false)
            }
            try cache.rename(temporary, to: relative)
        } catch {
            _ = try? cache.removeFile(temporary) { _ in true }
            throw HFCacheError.from(error, operation: "write")
        }
    }

    func read(_ relative: String, limit: Int, in cache: DirectoryRoot) throws -> [UInt8] {
        let descriptor = try cache.openFile(relative)
        defer { try? descriptor.close() }
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        let count = try buffer.withUnsafeMutableBytes { try descriptor.read(into: $0) }
        return Array(buffer.prefix(count))
    }

    /// `trees/<commit>.json` as `_tree_cache.write_tree_cache` writes it (`json.dump(indent=1)`,
    /// paths sorted): `size` and `blob_id` for every file, `lfs_sha256` and `lfs_size` for LFS
    /// files. Rendered by hand: PinWorkspace has no JSON encoder, and the form is four fields.
    static func treeJSON(_ files: [(file: StoredSnapshot.File, gitBlobID: GitBlobID)]) -> String {
        var lines: [String] = []
        for (file, id) in files.sorted(by: { $0.file.path < $1.file.path }) {
            var fields = ["  \"size\": \(file.size)", "  \"blob_id\": \"\(id.hex)\""]
            if file.lfs { fields += ["  \"lfs_sha256\": \"\(file.sha256.hex)\"", "  \"lfs_size\": \(file.size)"] }
            lines.append("  \(jsonString(file.path)): {\n" + fields.map { " " + $0 }.joined(separator: ",\n") + "\n  }")
        }
        return "{\n \"format_version\": \(HFCacheLayout.treeFormatVersion),\n \"files\": {\n" + lines.joined(separator: ",\n") + "\n }\n}"
    }

    /// A JSON string literal; non-ASCII stays UTF-8 (json.load reads it either way).
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    // MARK: Errors

    static func io<T>(_ operation: String, _ body: () throws(DirectoryRoot.Failure) -> T) throws(HFCacheError) -> T {
        do {
            return try body()
        } catch {
            throw HFCacheError.from(error, operation: operation)
        }
    }

    static func named<T>(_ body: () throws(HFCacheLayoutError) -> T) throws(HFCacheError) -> T {
        do {
            return try body()
        } catch {
            throw HFCacheError.invalidName(error, context: "in the snapshot")
        }
    }
}
