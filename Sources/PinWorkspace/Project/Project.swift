public import PinLock
public import PinStore
public import SystemPackage
import PinDigest
import PinModel

/// A directory with a `modelpin.toml` (what a person asked for) and, once locked, a
/// `modelpin.lock` beside it (exactly what they got).
public struct Project: Sendable {
    /// Absolute.
    public let manifestPath: FilePath
    public let manifestText: String
    public let manifest: Manifest

    public var directory: FilePath { manifestPath.removingLastComponent() }
    public var lockPath: FilePath { directory.appending(Lockfile.fileName) }

    /// The manifest named explicitly, else the nearest `modelpin.toml` in `start` or above it
    /// (as cargo finds Cargo.toml).
    public static func locate(explicit: FilePath?, from start: FilePath) throws(ProjectError) -> FilePath {
        if let explicit {
            let path = explicit.isAbsolute ? explicit : start.pushing(explicit)
            return path.lexicallyNormalized()
        }
        var directory = start.lexicallyNormalized()
        while true {
            let candidate = directory.appending(Manifest.fileName)
            if (try? Stat(candidate)) != nil { return candidate }
            guard !directory.removingLastComponent().isEmpty, directory.removingLastComponent() != directory else { break }
            directory = directory.removingLastComponent()
        }
        throw .noManifest(start)
    }

    public static func load(_ manifestPath: FilePath) throws -> Project {
        guard let bytes = try RegularFile.contents(of: manifestPath, limit: Self.manifestLimit) else { throw ProjectError.noManifest(manifestPath.removingLastComponent()) }
        let text = String(decoding: bytes, as: UTF8.self)
        let manifest = try ManifestFormat.parse(text, file: manifestPath.string)
        let project = Project(manifestPath: manifestPath, manifestText: text, manifest: manifest)
        try project.checkDestinations()
        return project
    }

    /// Far beyond any real file (a lock of ten thousand files is a few MB): a bound on what a
    /// mistaken path can make modelpin hold in memory.
    static let manifestLimit = 16 << 20
    static let lockfileLimit = 256 << 20

    /// The lock, or nil when there is none yet.
    public func loadLock() throws -> Lockfile? {
        try Self.readLockfile(lockPath)?.lock
    }

    /// The lock a relock starts from. A lock left with merge-conflict markers gives the
    /// entries both of its sides lock alike (the rest are resolved again, as if never
    /// locked) and the conflict itself; any other lock reads as `loadLock` reads it.
    public func loadPreviousLock() throws -> (lock: Lockfile?, conflict: ConflictedLock?) {
        guard let bytes = try RegularFile.contents(of: lockPath, limit: Self.lockfileLimit) else { return (nil, nil) }
        let text = String(decoding: bytes, as: UTF8.self)
        if let conflict = try LockfileFormat.parseConflicted(text, file: lockPath.string) { return (conflict.agreed, conflict) }
        return (try LockfileFormat.parse(text, file: lockPath.string), nil)
    }

    /// A lockfile anywhere (`mirror --lock`), with its exact text; nil if it does not exist.
    public static func readLockfile(_ path: FilePath) throws -> (lock: Lockfile, text: String)? {
        guard let bytes = try RegularFile.contents(of: path, limit: lockfileLimit) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        return (try LockfileFormat.parse(text, file: path.string), text)
    }

    /// Writes the lock atomically (only when its bytes change) and registers it as a GC root
    /// of `store`, so `store gc` keeps every blob it names. Returns whether the file changed.
    @discardableResult
    public func writeLock(_ lock: Lockfile, store: Store) throws -> Bool {
        let text = LockfileFormat.render(lock)
        let current = try? RegularFile.contents(of: lockPath, limit: Self.lockfileLimit)
        let changed = current != Array(text.utf8)
        if changed {
            do {
                try AtomicFile.write(Array(text.utf8), to: lockPath)
            } catch {
                throw ProjectError.unwritable(lockPath, error)
            }
        }
        try Self.registerRoot(lock, at: lockPath, store: store)
        return changed
    }

    /// Keeps `lock`'s blobs alive in `store` for as long as the root stays registered.
    public static func registerRoot(_ lock: Lockfile, at path: FilePath, store: Store) throws {
        let blobs = lock.models.flatMap(\.files).map {
            Descriptor(mediaType: MediaType.octetStream, digest: $0.sha256, size: $0.size)
        }
        try store.registerLockfile(path, blobs: blobs)
    }

    /// The project as it would be with `text` as its manifest: parsed and checked, not written.
    public func editing(_ text: String) throws -> Project {
        let manifest = try ManifestFormat.parse(text, file: manifestPath.string)
        let project = Project(manifestPath: manifestPath, manifestText: text, manifest: manifest)
        try project.checkDestinations()
        return project
    }

    /// Replaces the manifest with `text` (parsed first: a manifest modelpin cannot read is
    /// never written).
    public func writeManifest(_ text: String) throws -> Project {
        let project = try editing(text)
        do {
            try AtomicFile.write(Array(text.utf8), to: manifestPath)
        } catch {
            throw ProjectError.unwritable(manifestPath, error)
        }
        return project
    }

    /// Where a model is laid out: its `to`, else `models/ORG/NAME` (`datasets/ORG/NAME` for a
    /// dataset), under the project directory.
    public func destination(of model: ModelRequest) -> FilePath {
        if let to = model.directory { return directory.pushing(FilePath(to)).lexicallyNormalized() }
        let parts = ModelsIgnore.defaultDirectory(for: model.repo).split(separator: "/", maxSplits: 2).map(String.init)
        var path = directory
        for part in parts { path.append(part) }
        return path.lexicallyNormalized()
    }

    /// Where a model is laid out, resolved below the project directory without following
    /// links (`ModelDirectory`): `to` and the default both come from files a pull request edits.
    public func modelDirectory(of model: ModelRequest) throws(PullError) -> ModelDirectory {
        if let to = model.directory { return try .below(directory, relative: to) }
        return try .below(directory, relative: ModelsIgnore.defaultDirectory(for: model.repo))
    }

    /// Two models must not share a directory, nor may one's lie inside another's: each pull
    /// would remove the other's files.
    func checkDestinations() throws(ProjectError) {
        let placed = manifest.models.map { ($0.alias, destination(of: $0)) }
        for (index, (alias, path)) in placed.enumerated() {
            for (otherAlias, other) in placed[(index + 1)...] {
                if path == other || path.starts(with: other) || other.starts(with: path) {
                    throw .sharedDirectory(manifestPath, first: alias.rawValue, second: otherAlias.rawValue, directory: path == other || path.starts(with: other) ? other : path)
                }
            }
        }
    }
}
