import PinDigest
import PinHub
import PinModel
import PinStore
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Lays a snapshot out in a directory a model loader reads from (`from_pretrained(DIR)`).
///
/// Files are independent copies (reflinks where the filesystem can) by default, so nothing a
/// consumer writes there reaches the store. Two records say what was put where:
/// - the store's `LayoutRecord` (`$MODELPIN_HOME/layouts/`), written only by modelpin, decides
///   which files a second pull may leave alone without hashing them: those whose identity —
///   device, inode, size, mtime and ctime — is still the one recorded when they were laid out
///   or last hashed. Any other file already in place is hashed (a link: its target compared):
///   the right bytes stay, anything else is replaced by the verified copy;
/// - `DIR/.modelpin/snapshot.json` says which files an earlier pull put there, so that those the
///   new snapshot no longer has are removed. Files it did not put there are left alone.
///
/// Anyone who can write DIR can write the second (a shared `/opt/models`, a cloned project),
/// so it is untrusted input and never decides that a file is verified: every write and delete
/// goes through a `DirectoryRoot` (openat, never through a symbolic link, never above DIR), a
/// path it names must pass `PathSafety`, and a file is removed only if it is still the very
/// file it describes (inode, size, time) *and* holds the recorded digest's bytes. Nothing is
/// removed recursively; a directory only once it is empty.
///
/// A file already at a path the snapshot writes is replaced only if modelpin laid it out there
/// before (the store's `LayoutRecord` names the path: a file a user edited is restored), or it
/// already holds the snapshot's bytes (nothing is lost), or `force` is set (`--force`, which
/// says what it replaced). Any other file is the user's own: the pull is refused, naming it,
/// before anything in the directory changes (`refuseOverwrites` before the downloads, and
/// again in `apply` before the first rename). Paths are claimed in the layout record before
/// the first rename, so a pull killed between two renames leaves files the next one knows.
///
/// One pull at a time per directory: `DIR/.modelpin/lock` is held from the first temp file to
/// the record, so temp files (`.NAME.modelpin-<hex>`, and `.NAME.modelpin-<decimal>` from
/// releases before 2026-12) that exist while it is held belong to a pull that died (kill -9,
/// power loss), and are removed.
final class Materializer {
    let store: Store
    let directory: ModelDirectory
    let mode: LinkMode
    /// Replace the user's own files too (`--force`), each named in a warning.
    let force: Bool
    let events: any EventSink
    /// Files found to hold the snapshot's bytes, with the identity they had then: a second
    /// look at an unchanged file (the check before downloads, then `apply`) reads it once.
    private var proven: [String: Proof] = [:]
    private var opened: (root: DirectoryRoot, lock: FileDescriptor?, record: Record?)?
    /// Directories already rid of dead pulls' temp files (before this pull wrote any there).
    private var swept = Set<String>()

    init(store: Store, directory: ModelDirectory, mode: LinkMode, force: Bool = false, events: any EventSink = DiscardEvents()) {
        self.store = store
        self.directory = directory
        self.mode = mode
        self.force = force
        self.events = events
    }

    deinit { try? opened?.lock?.close() }

    typealias Placed = SnapshotRecord.Placed
    typealias Record = SnapshotRecord

    static let recordPath = SnapshotRecord.path
    static let lockPath = PathSafety.reservedDirectory + "/lock"

    /// The directory, opened and locked (waiting for another pull into it to finish); the
    /// first call also removes what killed pulls left behind.
    func root() throws -> DirectoryRoot {
        if let opened { return opened.root }
        let root = try directory.open()
        let lock: FileDescriptor?
        do {
            lock = try root.lockExclusively(Self.lockPath)
        } catch let failure where !failure.symbolicLink && [.readOnlyFileSystem, .permissionDenied].contains(failure.errno) {
            // Nothing can be written here, so no temp file can be raced: a pull with nothing
            // to do still succeeds; one that must write fails at its first write.
            lock = nil
        } catch {
            throw PullError.unsafeDestination(error.path, reason: error.description)
        }
        // Read once, with the lock held: the sweep needs its paths and `apply` its entries.
        let record = readRecord(root)
        opened = (root, lock, record)
        try sweepTemporaries(in: root, near: [Self.recordPath] + (record.map { Array($0.files.keys) } ?? []))
        return root
    }

    /// Where a download writes `path`'s copy while it is hashed (`PartialBlob.copyTarget`);
    /// `apply` renames it into place. Its directories are made here, never through a link.
    func prepareCopy(of path: String) throws -> CopyTarget {
        let root = try root()
        try makeParents(of: path, in: root)
        try sweepTemporaries(in: root, near: [path])
        return CopyTarget(root: root, path: MaterializeTemporary.sibling(of: path))
    }

    /// `prepared`: copies already written during the download, by path.
    func apply(
        repo: String, commit: String, files: [(path: String, digest: SHA256Digest, size: Int64)],
        prepared: [String: CopyTarget] = [:]
    ) throws -> [String: MaterializeMethod?] {
        let root = try root()
        for file in files {
            if let reason = PathSafety.reason(file.path) { throw PullError.unsafeDestination(directory.path.appending(file.path), reason: reason) }
        }
        let record = opened?.record
        let previous = record?.files ?? [:]
        let layout = store.layout(of: root)
        var laidOut = layout
        var placed: [String: Placed] = [:]
        var methods: [String: MaterializeMethod?] = [:]
        var touched = Set<String>()
        // Every file is looked at before any is written: a refusal leaves the directory as it was.
        let placements = try files.map { file in
            try placement(of: file, layout: layout, prepared: prepared[file.path] != nil, in: root)
        }
        let users = zip(files, placements).filter { $1.replaces }.map(\.0.path)
        if !users.isEmpty, !force { throw PullError.wouldOverwrite(users.map { directory.path.appending($0) }) }
        for (file, placement) in zip(files, placements) where placement.kept == nil {
            laidOut?.claim(file.path, digest: file.digest, mode: mode.rawValue)
        }
        if let laidOut, laidOut != layout { store.recordLayout(laidOut) }
        for (file, placement) in zip(files, placements) {
            if let status = placement.kept {
                placed[file.path] = placedEntry(file, status)
                laidOut?.record(file.path, digest: file.digest, mode: mode.rawValue, status: status)
                methods[file.path] = .some(nil)
                continue
            }
            let method: MaterializeMethod
            do {
                if let copy = prepared[file.path] {
                    try root.rename(copy.path, to: file.path)
                    method = .copy
                } else {
                    try makeParents(of: file.path, in: root)
                    try sweepTemporaries(in: root, near: [file.path])
                    method = try store.materialize(file.digest, in: root, at: file.path, mode: mode)
                }
            } catch let failure as DirectoryRoot.Failure {
                throw PullError.unsafeDestination(failure.path, reason: failure.description)
            }
            guard let status = try wrapped({ () throws(DirectoryRoot.Failure) in try root.status(file.path) }) else {
                throw PullError.unsafeDestination(directory.path.appending(file.path), reason: "it vanished while it was laid out")
            }
            placed[file.path] = placedEntry(file, status)
            laidOut?.record(file.path, digest: file.digest, mode: mode.rawValue, status: status)
            methods[file.path] = method
            touched.insert(Self.parent(of: file.path))
            if placement.replaces {
                events.emit(.warning("--force: replaced `\(directory.path.appending(file.path))`, which modelpin had not laid out there and which held other bytes"))
            }
        }
        // Files this directory got from an earlier pull that the new snapshot does not have.
        for (path, old) in previous.sorted(by: { $0.key < $1.key }) where placed[path] == nil {
            if try removeIfStill(path, old, in: root) {
                touched.insert(Self.parent(of: path))
                try removeEmptyDirectories(above: path, in: root)
            }
        }
        // Durable entries; a directory removed above because it emptied needs no flush.
        for parent in touched.sorted() where parent.isEmpty || (try? root.status(parent))??.type == .directory {
            try wrapped { () throws(DirectoryRoot.Failure) in try root.sync(parent) }
        }
        // Nothing changed (a pull with nothing to do): leave the records as they are.
        if record?.repo != repo || record?.commit != commit || placed != previous {
            try writeRecord(SnapshotRecord(repo: repo, commit: commit, files: placed), in: root)
        }
        laidOut?.keep(only: Set(files.map(\.path)))
        if let laidOut, laidOut != layout { store.recordLayout(laidOut) }
        return methods
    }

    /// What `apply` does with `file`'s path.
    private enum Placement {
        /// The entry there stays: this lstat.
        case keep(Stat)
        /// Nothing there, or modelpin's own file, or the snapshot's bytes in another form: written.
        case write
        /// The user's own file with other bytes: written only with `force`.
        case replace

        var kept: Stat? {
            if case .keep(let status) = self { return status }
            return nil
        }
        var replaces: Bool {
            if case .replace = self { return true }
            return false
        }
    }

    /// Whether the entry at `file.path` may stay as it is — this user's record in the store
    /// vouches for that very file (no hashing: the usual pull with nothing to do), or, failing
    /// that, its bytes prove it: a copy hashes to the digest, a link points at the blob — and
    /// if not, whose it is. Never on the word of `DIR/.modelpin/snapshot.json`, which anyone
    /// who can write DIR can forge. `prepared`: a fresh copy is waiting, cheaper to use than a
    /// hash of a file modelpin laid out.
    private func placement(
        of file: (path: String, digest: SHA256Digest, size: Int64), layout: LayoutRecord?, prepared: Bool, in root: DirectoryRoot
    ) throws -> Placement {
        guard let status = try? root.status(file.path) else { return .write }
        if layout?.vouches(for: file.path, digest: file.digest, mode: mode.rawValue, status: status) == true { return .keep(status) }
        let fits = status.type == (mode == .copy ? .regular : .symbolicLink)
        let modelpins = layout?.laidOut(file.path) == true
        if modelpins, prepared || !fits { return .write }
        let expected = Expected(path: file.path, size: file.size, sha256: file.digest, gitBlobID: nil)
        let same = try holdsSnapshotBytes(expected, status, in: root)
        if same, fits, !prepared { return .keep(status) }
        return same || modelpins ? .write : .replace
    }

    // MARK: The user's own files

    /// A file of the snapshot as known before its bytes are fetched: its SHA-256 when the
    /// listing or the store gives it, else its git blob id (a small git file).
    struct Expected {
        var path: String
        var size: Int64
        var sha256: SHA256Digest?
        var gitBlobID: GitBlobID?
    }

    /// Throws naming every file of `files` that is the user's own (see the type's comment),
    /// unless `force`. Writes nothing, not even the directory: run before any download.
    func refuseOverwrites(_ files: [Expected]) throws {
        let found = try overwrites(files)
        if !found.isEmpty { throw PullError.wouldOverwrite(found) }
    }

    /// The user's own files among `files` (full paths), or none with `force` (then `apply`
    /// names each one it replaces).
    func overwrites(_ files: [Expected]) throws -> [FilePath] {
        guard !force, let root = try directory.openExisting() else { return [] }
        let layout = store.layout(of: root)
        var found: [FilePath] = []
        for file in files {
            guard PathSafety.reason(file.path) == nil, let status = try? root.status(file.path), layout?.laidOut(file.path) != true else { continue }
            if try !holdsSnapshotBytes(file, status, in: root) { found.append(directory.path.appending(file.path)) }
        }
        return found
    }

    /// An entry's identity: any change to its bytes moves its ctime.
    private struct Proof: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var changed: Int64
        /// Proven by SHA-256 (enough to keep the file unread); else by git blob id (enough to
        /// know that replacing it loses nothing).
        var bySHA256: Bool

        init(_ status: Stat, bySHA256: Bool) {
            device = UInt64(status.rawValue.st_dev)
            inode = UInt64(status.rawValue.st_ino)
            size = status.size
            modified = Materializer.nanoseconds(status.st_mtim)
            changed = Materializer.nanoseconds(status.st_ctim)
            self.bySHA256 = bySHA256
        }
    }

    /// Whether the entry at `file.path` (lstat `status`) holds the snapshot's bytes: by SHA-256
    /// (`holds`) when it is known, else by git blob id. Remembered while the entry is unchanged.
    private func holdsSnapshotBytes(_ file: Expected, _ status: Stat, in root: DirectoryRoot) throws -> Bool {
        if let proof = proven[file.path], proof.bySHA256 || file.sha256 == nil,
           proof == Proof(status, bySHA256: proof.bySHA256) { return true }
        let same: Bool
        if let sha256 = file.sha256 {
            same = try holds(sha256, size: file.size, at: file.path, status, in: root)
        } else if let id = file.gitBlobID {
            same = holds(gitBlob: id, size: file.size, at: file.path, status, in: root)
        } else {
            same = false
        }
        if same { proven[file.path] = Proof(status, bySHA256: file.sha256 != nil) }
        return same
    }

    /// Whether the regular file at `path`, still the entry `status` describes, holds the git
    /// blob `id` of `size` bytes.
    private func holds(gitBlob id: GitBlobID, size: Int64, at path: String, _ status: Stat, in root: DirectoryRoot) -> Bool {
        guard status.type == .regular, status.size == size, let file = try? root.openFile(path) else { return false }
        defer { try? file.close() }
        guard let opened = try? Stat(file), opened.inode == status.inode, opened.deviceID == status.deviceID else { return false }
        var hasher = GitBlobHasher(size: size)
        let read = try? FileHasher.stream(file, path: root.path.appending(path)) { chunk in
            hasher.update(chunk)
            return true
        }
        return read == size && hasher.finalize() == id
    }

    private func placedEntry(_ file: (path: String, digest: SHA256Digest, size: Int64), _ status: Stat) -> Placed {
        Placed(
            sha256: file.digest, size: file.size, inode: UInt64(status.inode.rawValue),
            modified: Self.nanoseconds(status.st_mtim), mode: mode.rawValue)
    }

    private func matches(_ status: Stat, _ placed: Placed) -> Bool {
        UInt64(status.inode.rawValue) == placed.inode && Self.nanoseconds(status.st_mtim) == placed.modified
            && (status.type == .symbolicLink || status.size == placed.size)
    }

    static func nanoseconds(_ time: timespec) -> Int64 { Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec) }

    static func parent(of path: String) -> String {
        path.split(separator: "/").dropLast().joined(separator: "/")
    }

    // MARK: Removing what an earlier pull placed

    /// Removes `path` if it is still the file the record describes — same inode, size and
    /// time — and its bytes are the recorded digest's (a link must point at that blob in the
    /// store; a copy is hashed). A forged record can thus only name files modelpin itself
    /// would have put there, with the content it would have put there.
    private func removeIfStill(_ path: String, _ old: Placed, in root: DirectoryRoot) throws -> Bool {
        guard let status = try? root.status(path), matches(status, old), try holds(old.sha256, size: old.size, at: path, status, in: root) else {
            return false
        }
        return try wrapped { () throws(DirectoryRoot.Failure) in
            try root.removeFile(path) { now in now.inode == status.inode && now.deviceID == status.deviceID }
        }
    }

    /// Whether the entry at `path` (whose lstat is `status`) holds blob `sha256`: a link points
    /// at the blob in the store; a regular file of that size, still that inode, hashes to it.
    private func holds(_ sha256: SHA256Digest, size expected: Int64, at path: String, _ status: Stat, in root: DirectoryRoot) throws -> Bool {
        switch status.type {
        case .symbolicLink:
            guard let blob = try? store.path(of: sha256), let target = try? root.linkTarget(path) else { return false }
            return FilePath(target) == blob
        case .regular:
            guard status.size == expected, let file = try? root.openFile(path) else { return false }
            defer { try? file.close() }
            guard let opened = try? Stat(file), opened.inode == status.inode, opened.deviceID == status.deviceID,
                  let (digest, size) = try? FileHasher.sha256(reading: file, path: root.path.appending(path))
            else { return false }
            return digest == sha256 && size == expected
        default:
            return false
        }
    }

    /// Removes the now-empty directories that held `path`, deepest first, stopping at the
    /// first that still holds something (unlinkat AT_REMOVEDIR: never recursive).
    private func removeEmptyDirectories(above path: String, in root: DirectoryRoot) throws {
        var parent = Self.parent(of: path)
        while !parent.isEmpty {
            guard try wrapped({ () throws(DirectoryRoot.Failure) in try root.removeEmptyDirectory(parent) }) else { return }
            parent = Self.parent(of: parent)
        }
    }

    // MARK: Temp files of killed pulls

    /// Removes temp files a killed pull left beside the files it was placing: regular files
    /// (never links or directories) named exactly as `MaterializeTemporary` names them, in
    /// the directories of `paths` — the files the record names and the files this pull
    /// places, each directory once, before this pull creates a temp file there. Called with
    /// the directory's lock held, so no live pull can own one of them.
    private func sweepTemporaries(in root: DirectoryRoot, near paths: [String]) throws {
        guard opened?.lock != nil else { return }  // without the lock, a temp file may be live
        for directory in Set([""] + paths.map(Self.parent(of:))).sorted() where swept.insert(directory).inserted {
            guard let names = try? root.list(directory) else { continue }
            for name in names where MaterializeTemporary.matches(name) || MaterializeTemporary.matchesEarlierRelease(name) {
                let path = directory.isEmpty ? name : directory + "/" + name
                try wrapped { () throws(DirectoryRoot.Failure) in
                    _ = try root.removeFile(path) { $0.type == .regular }
                }
            }
        }
    }

    // MARK: The record

    private func makeParents(of path: String, in root: DirectoryRoot) throws {
        let parent = Self.parent(of: path)
        guard !parent.isEmpty else { return }
        _ = try wrapped { () throws(DirectoryRoot.Failure) in try root.directory(parent, create: true) }
    }

    /// The record, or nil if there is none or it cannot be trusted to name only safe paths
    /// (then nothing is removed, and every file is placed again).
    func readRecord(_ root: DirectoryRoot) -> Record? {
        SnapshotRecord.read(in: root)
    }

    private func writeRecord(_ record: Record, in root: DirectoryRoot) throws {
        let bytes = try record.rendered()
        let temporary = MaterializeTemporary.sibling(of: Self.recordPath)
        try wrapped { () throws(DirectoryRoot.Failure) in
            let file = try root.createFile(temporary)
            defer { try? file.close() }
            do {
                _ = try file.writeAll(bytes)
                guard fsync(file.rawValue) == 0 else { throw Errno(rawValue: errno) }
            } catch {
                _ = try? root.removeFile(temporary) { _ in true }
                throw DirectoryRoot.Failure(path: root.path.appending(temporary), errno: error as? Errno ?? .ioError, symbolicLink: false)
            }
            try root.rename(temporary, to: Self.recordPath)
            try root.sync(PathSafety.reservedDirectory)
        }
    }

    /// Runs a directory operation, its failure as the pull's error naming the path.
    @discardableResult
    private func wrapped<T>(_ body: () throws(DirectoryRoot.Failure) -> T) throws(PullError) -> T {
        do {
            return try body()
        } catch {
            throw .unsafeDestination(error.path, reason: error.description)
        }
    }
}
