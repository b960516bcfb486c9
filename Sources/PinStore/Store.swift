public import PinModel
import PinDigest
public import SystemPackage

/// The content-addressed store: an OCI image layout plus modelpin's own working folders.
///
/// ```
/// <root>/oci-layout            {"imageLayoutVersion": "1.0.0"}
/// <root>/index.json            OCI image index (tagged manifests; GC roots)
/// <root>/blobs/sha256/<hex>    read-only blobs; a blob under a digest name was verified
/// <root>/tmp/                  quarantine: every write starts here, on the same filesystem
/// <root>/locks/                per-digest lock files (deduplicate concurrent ingests)
/// <root>/roots/                GC roots (pins now; lockfiles later)
/// <root>/store.lock            shared by writers, exclusive for GC
/// ```
///
/// Invariant: a file exists at `blobs/sha256/<hex>` only if its bytes were hashed on the way
/// in and hashed to `<hex>`. Writes go to `tmp/`, are checked, fsynced, made read-only and
/// renamed into place; a crash at any point leaves at most a temp file.
public struct Store: Sendable {
    public enum Access: Sendable {
        /// Reading only: nothing is created, a missing store reads as empty.
        case readOnly
        /// Creates the layout if needed and checks that it can be written.
        case readWrite
    }

    public let root: FilePath
    /// How this process waits for locks other processes hold (see `LockWait`).
    public var lockWait = LockWait()

    public var blobsDirectory: FilePath { root.appending("blobs").appending("sha256") }
    public var temporaryDirectory: FilePath { root.appending("tmp") }
    public var locksDirectory: FilePath { root.appending("locks") }
    public var rootsDirectory: FilePath { root.appending("roots") }
    var layoutFile: FilePath { root.appending("oci-layout") }
    var indexFile: FilePath { root.appending("index.json") }
    var storeLockFile: FilePath { root.appending("store.lock") }

    /// Opens the store at `root`, creating its layout first when `access` is `.readWrite`.
    public static func open(at root: FilePath, access: Access) throws(StoreError) -> Store {
        let root = root.lexicallyNormalized()
        let store = Store(root: root)
        let status: Stat?
        do {
            status = try FileSystem.entry(at: root)
        } catch {
            throw .io(operation: "inspect", path: root, error)
        }
        if let status, status.type != .directory {
            // A symlink to a directory is a fine store root; anything else is not.
            let target = try? Stat(root)
            if target?.type != .directory { throw .notADirectory(root) }
        }

        switch access {
        case .readOnly:
            if status != nil { try store.checkLayoutVersion() }
        case .readWrite:
            try store.createLayout()
        }
        return store
    }

    /// Where the blob with this digest lives (whether or not it is present).
    public func blobPath(_ digest: SHA256Digest) -> FilePath {
        blobsDirectory.appending(digest.hex)
    }

    /// The path of a present blob whose bytes are still the ones admitted under its name;
    /// `.blobNotFound` when absent, `.blobChanged` when something replaced its bytes. Free on
    /// the usual path (the blob's stamp matches); a blob whose file changed is re-hashed first.
    public func path(of digest: SHA256Digest) throws(StoreError) -> FilePath {
        let path = blobPath(digest)
        let status: Stat?
        do {
            status = try FileSystem.entry(at: path)
        } catch {
            throw .io(operation: "inspect", path: path, error)
        }
        guard let status, status.type == .regular else { throw .blobNotFound(digest) }
        try checkIntact(digest, at: path, status)
        return path
    }

    /// One blob as listed in `blobs/sha256/`.
    public struct BlobEntry: Sendable, Equatable {
        public let digest: SHA256Digest
        public let size: Int64
        /// Seconds since the epoch.
        public let modified: Int64
        public let isWritable: Bool
    }

    /// Every well-formed blob in the store, sorted by digest. Entries whose names are not
    /// digests, or that are not regular files, are left to `verify` to report.
    public func blobs() throws(StoreError) -> [BlobEntry] {
        try blobEntries().compactMap { entry in
            guard case .blob(let blob) = entry else { return nil }
            return blob
        }
    }

    enum DirectoryEntry {
        case blob(BlobEntry)
        case stray(name: String, reason: String)
    }

    func blobEntries() throws(StoreError) -> [DirectoryEntry] {
        let names: [String]
        do {
            names = try FileSystem.listDirectory(blobsDirectory)
        } catch {
            throw .io(operation: "list", path: blobsDirectory, error)
        }
        var entries: [DirectoryEntry] = []
        for name in names {
            let path = blobsDirectory.appending(name)
            let status: Stat?
            do {
                status = try FileSystem.entry(at: path)
            } catch {
                throw .io(operation: "inspect", path: path, error)
            }
            guard let status else { continue }  // removed while listing
            guard let digest = try? SHA256Digest(parsing: SHA256Digest.algorithm + ":" + name) else {
                entries.append(.stray(name: name, reason: "not a sha256 digest name"))
                continue
            }
            guard status.type == .regular else {
                entries.append(.stray(name: name, reason: "not a regular file (\(status.type.label))"))
                continue
            }
            entries.append(.blob(BlobEntry(
                digest: digest, size: status.size, modified: status.modificationTime,
                isWritable: status.isWritableByAnyone)))
        }
        return entries
    }

    // MARK: Layout

    private func createLayout() throws(StoreError) {
        for directory in [root, blobsDirectory, temporaryDirectory, locksDirectory, rootsDirectory] {
            do {
                try FileSystem.makeDirectories(directory)
            } catch .notDirectory {
                throw .notADirectory(directory)
            } catch {
                throw .writing(error, operation: "create directory", path: directory, root: root)
            }
        }
        // The folders may all exist on a read-only mount; find out now, before any input is read.
        do {
            try FileSystem.isWritable(temporaryDirectory)
        } catch {
            throw .notWritable(root, error)
        }

        if try readIfPresent(layoutFile) == nil {
            try writeMetadata(OCILayoutMarker(imageLayoutVersion: OCILayoutMarker.supportedVersion), to: layoutFile)
        }
        try checkLayoutVersion()
        if try readIfPresent(indexFile) == nil {
            try writeMetadata(ImageIndex(), to: indexFile)
        }
    }

    func checkLayoutVersion() throws(StoreError) {
        guard let bytes = try readIfPresent(layoutFile) else { return }
        let marker: OCILayoutMarker
        do {
            marker = try StoreJSON.decode(OCILayoutMarker.self, from: bytes)
        } catch {
            throw .malformedMetadata(file: layoutFile, reason: StoreJSON.explain(error))
        }
        guard marker.imageLayoutVersion == OCILayoutMarker.supportedVersion else {
            throw .unsupportedLayout(file: layoutFile, found: marker.imageLayoutVersion)
        }
    }

    /// The image index, or nil when the store has none (a missing store).
    func readIndex() throws(StoreError) -> ImageIndex? {
        guard let bytes = try readIfPresent(indexFile) else { return nil }
        do {
            return try StoreJSON.decode(ImageIndex.self, from: bytes)
        } catch {
            throw .malformedMetadata(file: indexFile, reason: StoreJSON.explain(error))
        }
    }

    // MARK: Small files

    /// The whole content of a small metadata file, or nil if it does not exist.
    func readIfPresent(_ path: FilePath, limit: Int = 16 << 20) throws(StoreError) -> [UInt8]? {
        let descriptor: FileDescriptor
        do {
            // Not a plain open: a FIFO planted among the roots or records would block gc forever.
            descriptor = try RegularFile.open(path)
        } catch {
            switch error.reason {
            case .notFound: return nil
            case .io(let errno): throw .io(operation: "open", path: path, errno)
            case .permissionDenied: throw .io(operation: "open", path: path, .permissionDenied)
            case .notRegular(let kind): throw .malformedMetadata(file: path, reason: "\(kind), not a regular file")
            case .isDirectory: throw .malformedMetadata(file: path, reason: "a directory, not a regular file")
            case .tooLarge: throw .malformedMetadata(file: path, reason: "larger than \(limit) bytes")
            }
        }
        defer { try? descriptor.close() }
        var bytes: [UInt8] = []
        // Sized to the limit: stamps and verdict records are read a thousand at a time, and a
        // zeroed 64 KiB buffer for each cost more than reading them.
        var chunk = [UInt8](repeating: 0, count: min(64 << 10, limit + 1))
        while true {
            let count: Int
            do {
                count = try systemCall { try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) } }
            } catch {
                throw .io(operation: "read", path: path, error)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            if bytes.count > limit {
                throw .malformedMetadata(file: path, reason: "larger than \(limit) bytes")
            }
        }
    }

    /// Replaces a small file atomically: temp in `tmp/` → fsync → rename → fsync the folder.
    /// Readers see the old content or the new one, never a mix, even across a crash.
    /// `durable: false` for caches (stamps, verdicts): no fsyncs; a record a crash damages is
    /// read as absent, which costs a re-hash or a rescan, never trust.
    func writeMetadata(_ value: some Encodable, to path: FilePath, durable: Bool = true) throws(StoreError) {
        let bytes: [UInt8]
        do {
            bytes = try StoreJSON.encode(value)
        } catch {
            throw .malformedMetadata(file: path, reason: "cannot encode: \(error)")
        }
        try writeAtomically(bytes, to: path, durable: durable)
    }

    func writeAtomically(_ bytes: [UInt8], to path: FilePath, durable: Bool = true) throws(StoreError) {
        // The temp file lives in the store's tmp/, where GC reclaims what a crash leaves.
        do {
            try AtomicFile.replace(path, with: bytes, via: temporaryDirectory.appending("write-\(randomSuffix()).tmp"), durable: durable)
        } catch {
            throw .writing(error, operation: "write", path: path, root: root)
        }
        guard durable else { return }
        do {
            try FileSystem.syncDirectory(path.removingLastComponent())
        } catch {
            throw .io(operation: "sync directory of", path: path, error)
        }
    }
}

extension FileType {
    var label: String {
        switch self {
        case .directory: "directory"
        case .symbolicLink: "symbolic link"
        case .regular: "regular file"
        case .fifo: "fifo"
        case .socket: "socket"
        case .characterSpecial: "character device"
        case .blockSpecial: "block device"
        default: "unknown type"
        }
    }
}
