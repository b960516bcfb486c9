public import PinModel
public import SystemPackage
import PinDigest

#if canImport(Glibc)
import Glibc
#endif

/// A mirror directory (`mirror DIR`) as modelpin writes it: an OCI image layout (`oci-layout`,
/// a merged `index.json`, `blobs/sha256/<hex>`) plus `projects/<NAME>/` for each project's lock,
/// and nothing of a store's internals. README, "Mirrors", is its specification.
///
/// Every write goes through a `DirectoryRoot` (no link below DIR is followed) to a temp file
/// beside its target (`.<name>.tmp-<random>`), is flushed, and renamed into place: a reader
/// sees a whole file or none, and a crashed writer leaves dot-files the next `open` removes.
/// One writer at a time holds an exclusive flock on DIR itself.
public final class MirrorDirectory {
    /// DIR, whose descriptor also holds the flock (released when the writer is).
    public let root: DirectoryRoot

    /// Opens (creating) DIR, waits for its lock, and removes what crashed writers left.
    public static func open(_ path: FilePath) throws(StoreError) -> MirrorDirectory {
        let root: DirectoryRoot
        do {
            root = try DirectoryRoot.open(path, create: true)
        } catch {
            throw Self.failure(error, "open")
        }
        do {
            try root.descriptor.lock(.exclusive)
        } catch {
            throw .io(operation: "lock", path: path, error)
        }
        let mirror = MirrorDirectory(root: root)
        try mirror.removeLeftovers()
        return mirror
    }

    private init(root: DirectoryRoot) {
        self.root = root
    }

    // MARK: Files

    /// Puts the blob `digest` (`size` bytes, copied from `source`) at `blobs/sha256/<hex>`.
    /// One already there is hashed: the right bytes stay (false), anything else is replaced
    /// (true), as is a missing one. The copy is hashed as it is written and must be `digest`.
    @discardableResult
    public func putBlob(_ digest: SHA256Digest, size: Int64, from source: FilePath) throws(StoreError) -> Bool {
        let relative = "blobs/sha256/\(digest.hex)"
        if try holds(relative, digest: digest, size: size) { return false }
        let input: FileDescriptor
        do {
            input = try systemCall { try FileDescriptor.open(source, .readOnly, options: [.closeOnExec, .noFollow]) }
        } catch {
            throw .io(operation: "open", path: source, error)
        }
        defer { try? input.close() }
        try write(relative, digest: digest, size: size) { (output: FileDescriptor, hasher: inout SHA256) throws in
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var copied: Int64 = 0
            while copied < size {
                let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                if count == 0 { break }
                try buffer.withUnsafeBytes { raw in
                    let chunk = UnsafeRawBufferPointer(rebasing: raw[..<count])
                    hasher.update(chunk)
                    _ = try output.writeAll(chunk)
                }
                copied += Int64(count)
            }
        }
        return true
    }

    /// `putBlob` for bytes in memory (a manifest, a config, an attachment's payload).
    @discardableResult
    public func putBlob(_ bytes: [UInt8]) throws(StoreError) -> Bool {
        let digest = SHA256.hash(bytes)
        let relative = "blobs/sha256/\(digest.hex)"
        if try holds(relative, digest: digest, size: Int64(bytes.count)) { return false }
        try write(relative, digest: digest, size: Int64(bytes.count)) { (output: FileDescriptor, hasher: inout SHA256) throws in
            hasher.update(bytes)
            _ = try output.writeAll(bytes)
        }
        return true
    }

    /// Writes `bytes` at `relative` (a project's lock), replacing what was there.
    public func putFile(_ relative: String, _ bytes: [UInt8]) throws(StoreError) {
        try write(relative, digest: nil, size: Int64(bytes.count)) { (output: FileDescriptor, hasher: inout SHA256) throws in
            _ = try output.writeAll(bytes)
        }
    }

    /// The file at `relative`, if it is a regular file (at most `limit` bytes).
    public func read(_ relative: String, limit: Int) throws(StoreError) -> [UInt8]? {
        do {
            guard try root.status(relative) != nil else { return nil }
            let descriptor = try root.openFile(relative)
            defer { try? descriptor.close() }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = try buffer.withUnsafeMutableBytes { try descriptor.read(into: $0) }
                if count == 0 { return bytes }
                bytes += buffer[..<count]
                guard bytes.count <= limit else {
                    throw StoreError.malformedMetadata(file: root.path.appending(relative), reason: "larger than \(limit) bytes")
                }
            }
        } catch let error as StoreError {
            throw error
        } catch let failure as DirectoryRoot.Failure {
            throw Self.failure(failure, "read")
        } catch {
            throw .io(operation: "read", path: root.path.appending(relative), error as? Errno ?? .ioError)
        }
    }

    // MARK: index.json

    /// The annotation marking an `index.json` entry as one project's (its lock's referrers):
    /// mirroring the project again replaces them, so a changed lock leaves no stale entries.
    public static let projectKey = "dev.modelpin.project"

    /// Adds `entries` to `index.json`, keyed by (digest, `ref.name`): every entry already
    /// there (another project's, another tool's) is kept, but for those `project` wrote before
    /// (marked with `projectKey`), which `entries` replace. `oci-layout` is written if missing.
    /// An `index.json` that is not an image index is refused, naming the file, and left as it is.
    public func mergeIndex(_ entries: [Descriptor], project: String) throws(StoreError) {
        if try read("oci-layout", limit: 4 << 10) == nil {
            try putFile("oci-layout", SnapshotManifest.encode(OCILayoutMarker(imageLayoutVersion: OCILayoutMarker.supportedVersion)))
        }
        var index = SnapshotIndex()
        if let bytes = try read("index.json", limit: SnapshotManifest.maximumSize) {
            do {
                index = try SnapshotIndex.parse(bytes)
            } catch {
                throw .malformedMetadata(file: root.path.appending("index.json"), reason: "\(error.description); move it away to start a new one")
            }
        }
        let before = index
        let written = try read("index.json", limit: SnapshotManifest.maximumSize) != nil
        index.removeEntries(project: { $0 == project })
        for entry in entries {
            let name = entry.annotations?[SnapshotManifest.Key.refName]
            let present = (0..<index.entryCount).contains { position in
                index.referenceName(at: position) == name
                    && (try? index.descriptor(at: position))?.digest == entry.digest
            }
            if !present { index.append(entry) }
        }
        if index != before || !written {
            try putFile("index.json", index.rendered())
        }
    }

    // MARK: Parts

    /// Whether `relative` holds `size` bytes hashing to `digest` (a regular file, not a link).
    private func holds(_ relative: String, digest: SHA256Digest, size: Int64) throws(StoreError) -> Bool {
        do {
            guard let status = try root.status(relative), status.type == .regular, status.size == size else { return false }
            let descriptor = try root.openFile(relative)
            defer { try? descriptor.close() }
            var hasher = SHA256()
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = try buffer.withUnsafeMutableBytes { try descriptor.read(into: $0) }
                if count == 0 { break }
                buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
            return hasher.finalize() == digest
        } catch let failure as DirectoryRoot.Failure {
            throw Self.failure(failure, "check")
        } catch {
            throw .io(operation: "read", path: root.path.appending(relative), error as? Errno ?? .ioError)
        }
    }

    /// A temp file beside `relative`, filled by `fill` (which hashes what it writes), checked
    /// against `digest` when there is one, flushed, renamed over `relative`.
    private func write(_ relative: String, digest: SHA256Digest?, size: Int64, _ fill: (FileDescriptor, inout SHA256) throws -> Void) throws(StoreError) {
        let parent = relative.split(separator: "/").dropLast().joined(separator: "/")
        let name = relative.split(separator: "/").last.map(String.init) ?? relative
        let temporary = (parent.isEmpty ? "" : parent + "/") + ".\(name).tmp-\(randomSuffix())"
        do {
            // Blobs are immutable: read-only, as in the store (a lock or index.json is replaced).
            let output = try root.createFile(temporary, permissions: digest == nil ? [.ownerReadWrite, .groupRead, .otherRead] : [.ownerRead, .groupRead, .otherRead])
            var hasher = SHA256()
            do {
                try fill(output, &hasher)
                let written = try output.seek(offset: 0, from: .current)
                if let digest {
                    let actual = hasher.finalize()
                    guard actual == digest, written == size else {
                        throw StoreError.digestMismatch(source: relative, expected: digest, actual: actual)
                    }
                }
                try output.sync()
                try output.close()
            } catch {
                try? output.close()
                _ = try? root.removeFile(temporary) { _ in true }
                throw error
            }
            try root.rename(temporary, to: relative)
            try root.sync(parent)
        } catch let error as StoreError {
            throw error
        } catch let failure as DirectoryRoot.Failure {
            throw Self.failure(failure, "write")
        } catch {
            throw .io(operation: "write", path: root.path.appending(relative), error as? Errno ?? .ioError)
        }
    }

    /// Temp files (`.<name>.tmp-<random>`, regular files only) a crashed writer left in DIR,
    /// `blobs/sha256/` and each `projects/<NAME>/`.
    private func removeLeftovers() throws(StoreError) {
        do {
            var directories = ["", "blobs/sha256"]
            directories += try root.list("projects").map { "projects/\($0)" }
            for directory in directories {
                if !directory.isEmpty {
                    guard try root.status(directory)?.type == .directory else { continue }
                }
                for name in try root.list(directory) where name.hasPrefix(".") && name.contains(".tmp-") {
                    let path = directory.isEmpty ? name : "\(directory)/\(name)"
                    _ = try root.removeFile(path) { $0.type == .regular }
                }
            }
        } catch {
            throw Self.failure(error, "clean")
        }
    }

    private static func failure(_ failure: DirectoryRoot.Failure, _ operation: String) -> StoreError {
        failure.symbolicLink
            ? .malformedMetadata(file: failure.path, reason: "a symbolic link (or other non-directory) where a mirror directory must be; modelpin never writes through one")
            : .io(operation: operation, path: failure.path, failure.errno)
    }
}

extension SnapshotIndex {
    /// Removes the entries whose `MirrorDirectory.projectKey` annotation `matches`.
    mutating func removeEntries(project matches: (String) -> Bool) {
        manifests.removeAll { entry in
            entry.object?["annotations"]?.object?[MirrorDirectory.projectKey]?.string.map(matches) ?? false
        }
    }

    /// Appends `entry` as it is (its annotations kept).
    mutating func append(_ entry: Descriptor) {
        var object: [String: JSONValue] = [
            "mediaType": .string(entry.mediaType),
            "digest": .string(entry.digest.description),
            "size": .integer(entry.size),
        ]
        if let annotations = entry.annotations, !annotations.isEmpty {
            object["annotations"] = .object(annotations.mapValues { .string($0) })
        }
        manifests.append(.object(object))
    }
}
