public import PinModel
public import SystemPackage
import PinDigest

/// A GC root: a file in `roots/` naming blobs that must be kept.
///
/// On disk (`roots/<name>.json`), versioned; a kind an older modelpin does not know makes the
/// root unreadable to it, so its GC stops instead of ignoring the root:
/// ```json
/// {"descriptor": {"digest": "sha256:…", "mediaType": "application/octet-stream", "size": 12},
///  "kind": "pin", "version": 1}
/// {"blobs": [{…}, …], "kind": "lockfile", "lockfile": "/abs/path/modelpin.lock", "version": 1}
/// ```
public struct Root: Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// `modelpin store pin`: keep this blob (and, for a manifest, everything it names).
        case pin
        /// A project's lockfile: keep every blob it names. The root lists the blobs itself, so
        /// GC never depends on reading a lockfile that may have moved or been edited.
        case lockfile
    }

    /// The file in `roots/` this root was read from.
    public let file: FilePath
    public let kind: Kind
    /// What it keeps alive.
    public let descriptors: [Descriptor]
    /// For a lockfile root: the lockfile it was registered for.
    public let lockfile: FilePath?
}

/// The on-disk container of a root, kept apart from the domain value so that the format can
/// change version without the rest of the store noticing.
private struct RootFileV1: Codable {
    static let currentVersion = 1
    var version: Int
    var kind: Root.Kind
    /// `pin` roots.
    var descriptor: Descriptor?
    /// `lockfile` roots.
    var lockfile: String?
    var blobs: [Descriptor]?
}

private struct VersionProbe: Decodable {
    var version: Int
}

extension Store {
    static let pinPrefix = "pin-sha256-"

    func pinFile(_ digest: SHA256Digest) -> FilePath {
        rootsDirectory.appending(Self.pinPrefix + digest.hex + ".json")
    }

    /// Registers a present blob as a GC root. Returns false if it was already pinned.
    /// `mediaType` tells GC whether to follow it (OCI manifests and indexes are followed).
    @discardableResult
    public func pin(_ digest: SHA256Digest, mediaType: String = MediaType.octetStream) throws(StoreError) -> Bool {
        try withStoreLock(.shared) { () throws(StoreError) in
            let blob = try path(of: digest)
            let status: Stat
            do throws(Errno) {
                status = try Stat(blob)
            } catch {
                throw .io(operation: "inspect", path: blob, error)
            }
            let file = pinFile(digest)
            let descriptor = Descriptor(mediaType: mediaType, digest: digest, size: status.size)
            if let existing = try readIfPresent(file),
               let root = try? StoreJSON.decode(RootFileV1.self, from: existing),
               root.descriptor == descriptor {
                return false
            }
            try writeMetadata(RootFileV1(version: RootFileV1.currentVersion, kind: .pin, descriptor: descriptor), to: file)
            return true
        }
    }

    /// The root file of a lockfile: named by the SHA-256 of its absolute path, so one lockfile
    /// has one root however often it is rewritten.
    func lockfileRootFile(_ lockfile: FilePath) -> FilePath {
        var hasher = SHA256()
        hasher.update(Array(lockfile.string.utf8))
        return rootsDirectory.appending("lockfile-" + hasher.finalize().hex + ".json")
    }

    /// Registers (or refreshes) `lockfile` — an absolute path — as a GC root keeping `blobs`.
    /// Called whenever a lockfile is written or pulled from, after its blobs are in the store.
    public func registerLockfile(_ lockfile: FilePath, blobs: [Descriptor]) throws(StoreError) {
        let file = lockfileRootFile(lockfile)
        let sorted = Array(Set(blobs.map { Descriptor(mediaType: $0.mediaType, digest: $0.digest, size: $0.size) }))
            .sorted { $0.digest < $1.digest }
        let root = RootFileV1(version: RootFileV1.currentVersion, kind: .lockfile, lockfile: lockfile.string, blobs: sorted)
        if let existing = try readIfPresent(file),
           let current = try? StoreJSON.decode(RootFileV1.self, from: existing),
           current.kind == .lockfile, current.lockfile == root.lockfile, current.blobs == sorted {
            return
        }
        try withStoreLock(.shared) { () throws(StoreError) in
            try writeMetadata(root, to: file)
            do throws(Errno) {
                try FileSystem.syncDirectory(rootsDirectory)
            } catch {
                throw .io(operation: "sync", path: rootsDirectory, error)
            }
        }
    }

    /// Forgets a lockfile's root (its blobs become collectable after the grace period).
    /// Returns false if it had none.
    @discardableResult
    public func unregisterLockfile(_ lockfile: FilePath) throws(StoreError) -> Bool {
        let file = lockfileRootFile(lockfile)
        do {
            try FileSystem.unlink(file)
            return true
        } catch .noSuchFileOrDirectory {
            return false
        } catch {
            throw .writing(error, operation: "remove", path: file, root: root)
        }
    }

    /// Removes a pin. The blob stays until GC finds it unreferenced and past its grace period.
    public func unpin(_ digest: SHA256Digest) throws(StoreError) {
        let file = pinFile(digest)
        do {
            try FileSystem.unlink(file)
        } catch .noSuchFileOrDirectory {
            throw .notPinned(digest)
        } catch {
            throw .writing(error, operation: "remove", path: file, root: root)
        }
        do {
            try FileSystem.syncDirectory(rootsDirectory)
        } catch {
            throw .io(operation: "sync", path: rootsDirectory, error)
        }
    }

    /// Every root, or a list of what could not be read. Both are returned so that `verify`
    /// can report all problems; GC refuses to run unless the second list is empty.
    public func roots() throws(StoreError) -> (roots: [Root], unreadable: [String]) {
        let names: [String]
        do {
            names = try FileSystem.listDirectory(rootsDirectory)
        } catch {
            throw .io(operation: "list", path: rootsDirectory, error)
        }
        var roots: [Root] = []
        var unreadable: [String] = []
        for name in names {
            let file = rootsDirectory.appending(name)
            do {
                roots.append(try readRoot(file))
            } catch .malformedMetadata(let file, let reason) {
                unreadable.append("`\(file)`: \(reason)")
            } catch .io(let operation, let path, let errno) {
                unreadable.append("`\(path)`: cannot \(operation): \(errno)")
            } catch {
                unreadable.append("`\(file)`: \(error.description)")
            }
        }
        return (roots, unreadable)
    }

    private func readRoot(_ file: FilePath) throws(StoreError) -> Root {
        guard file.extension == "json" else {
            throw .malformedMetadata(file: file, reason: "not a root file (roots are `*.json`)")
        }
        guard let bytes = try readIfPresent(file) else {
            throw .malformedMetadata(file: file, reason: "disappeared while being read")
        }
        let version: Int
        do {
            version = try StoreJSON.decode(VersionProbe.self, from: bytes).version
        } catch {
            throw .malformedMetadata(file: file, reason: StoreJSON.explain(error))
        }
        guard version == RootFileV1.currentVersion else {
            throw .malformedMetadata(
                file: file, reason: "root format version \(version) is not supported (this modelpin reads version 1)")
        }
        let container: RootFileV1
        do {
            container = try StoreJSON.decode(RootFileV1.self, from: bytes)
        } catch {
            throw .malformedMetadata(file: file, reason: StoreJSON.explain(error))
        }
        switch container.kind {
        case .pin:
            guard let descriptor = container.descriptor else {
                throw .malformedMetadata(file: file, reason: "a pin root has no `descriptor`")
            }
            return Root(file: file, kind: .pin, descriptors: [descriptor], lockfile: nil)
        case .lockfile:
            guard let lockfile = container.lockfile, let blobs = container.blobs else {
                throw .malformedMetadata(file: file, reason: "a lockfile root needs `lockfile` and `blobs`")
            }
            return Root(file: file, kind: .lockfile, descriptors: blobs, lockfile: FilePath(lockfile))
        }
    }
}

/// Everything reachable from the roots and `index.json`, following OCI manifests and indexes.
struct LiveSet {
    /// Each live blob with the size its referrer recorded and who referred to it.
    var blobs: [SHA256Digest: (size: Int64, referrer: String)] = [:]
    /// Why part of the graph could not be followed (a missing or unreadable manifest…).
    var failures: [String] = []
}

extension Store {
    func liveSet() throws(StoreError) -> LiveSet {
        var live = LiveSet()
        let (roots, unreadable) = try roots()
        live.failures += unreadable

        var pending: [(Descriptor, String)] = roots.flatMap { root in
            root.descriptors.map { ($0, "`\(root.lockfile ?? root.file)`") }
        }
        do {
            if let index = try readIndex() {
                pending += index.manifests.map { ($0, "`\(indexFile)`") }
            }
        } catch {
            live.failures.append(error.description)
        }

        while let (descriptor, referrer) = pending.popLast() {
            if live.blobs[descriptor.digest] != nil { continue }
            live.blobs[descriptor.digest] = (descriptor.size, referrer)
            guard MediaType.containers.contains(descriptor.mediaType) else { continue }
            let here = "`\(descriptor.digest)` (\(descriptor.mediaType))"
            guard let bytes = try? readIfPresent(blobPath(descriptor.digest)) else {
                live.failures.append("\(here), referenced by \(referrer), is missing or unreadable")
                continue
            }
            do {
                if descriptor.mediaType == MediaType.imageIndex {
                    let index = try StoreJSON.decode(ImageIndex.self, from: bytes)
                    pending += index.manifests.map { ($0, here) }
                } else {
                    let manifest = try StoreJSON.decode(ImageManifest.self, from: bytes)
                    pending += ([manifest.config] + manifest.layers + [manifest.subject].compactMap { $0 })
                        .map { ($0, here) }
                }
            } catch {
                live.failures.append("\(here), referenced by \(referrer), is not a valid manifest: \(StoreJSON.explain(error))")
            }
        }
        return live
    }
}
