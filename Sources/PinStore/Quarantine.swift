public import PinModel
public import SystemPackage
import PinDigest

/// A blob on its way into the store: a private temp file in `tmp/` that hashes every byte as
/// it is written. Only `Store.promote` can move it under a digest name, after checking it.
///
/// While it is open it holds the store lock shared, so `gc` (which takes it exclusively) never
/// runs between a blob's arrival and its promotion. If it is dropped without being promoted,
/// its temp file is removed.
public final class Quarantine {
    public let path: FilePath
    /// Names the input in errors (a file path, `-`, a URL).
    public let source: String
    /// Writes past this many bytes are refused: an endless or oversized input is cut off.
    public let sizeLimit: Int64?
    public private(set) var bytesWritten: Int64 = 0

    private var descriptor: FileDescriptor?
    private var storeLock: FileDescriptor?
    private var hasher = SHA256()
    let directory: FilePath
    /// The store's root, for error messages.
    private var root: FilePath { directory.removingLastComponent() }
    private var state: State = .writing

    enum State {
        case writing
        case sealed(SHA256Digest)
        case promoted
        case discarded
    }

    /// The digest of the bytes written, once sealed.
    public var digest: SHA256Digest? {
        if case .sealed(let digest) = state { return digest }
        return nil
    }

    /// `storeLock`: the shared store lock this quarantine holds and releases; nil when the
    /// caller holds one for many quarantines at once (an archive's blobs staged together).
    init(directory: FilePath, storeLock: FileDescriptor?, source: String, sizeLimit: Int64?) throws(StoreError) {
        self.directory = directory
        self.storeLock = storeLock
        self.source = source
        self.sizeLimit = sizeLimit
        path = directory.appending("ingest-\(randomSuffix()).part")
        do {
            // Exclusive create with owner-only permissions: nobody else can open or swap it.
            descriptor = try systemCall {
                try FileDescriptor.open(
                    path, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec, .noFollow],
                    permissions: [.ownerReadWrite])
            }
        } catch {
            releaseStoreLock()
            throw .writing(error, operation: "create a temp file in", path: directory, root: root)
        }
    }

    deinit {
        switch state {
        case .promoted, .discarded: break
        case .writing, .sealed: discard()
        }
    }

    /// Hashes and writes `bytes`. On any failure the temp file is removed and nothing more
    /// can be written.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(StoreError) {
        guard case .writing = state, let descriptor else {
            preconditionFailure("write to a quarantine that is no longer open")
        }
        if let sizeLimit, bytesWritten + Int64(bytes.count) > sizeLimit {
            discard()
            throw .exceedsExpectedSize(source: source, limit: sizeLimit)
        }
        hasher.update(bytes)
        do {
            _ = try systemCall { try descriptor.writeAll(bytes) }
        } catch {
            discard()
            throw .writing(error, operation: "write", path: path, root: root)
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Finishes writing: makes the file read-only and flushes it to disk. Returns its digest.
    @discardableResult
    public func seal() throws(StoreError) -> SHA256Digest {
        if case .sealed(let digest) = state { return digest }
        guard case .writing = state, let descriptor else {
            preconditionFailure("seal of a quarantine that is no longer open")
        }
        do {
            // Read-only before the rename: the final name never points at a writable file.
            try descriptor.setPermissions([.ownerRead, .groupRead, .otherRead])
            try descriptor.sync()
            try systemCall { try descriptor.close() }
            self.descriptor = nil
        } catch {
            discard()
            throw .writing(error, operation: "flush", path: path, root: root)
        }
        let digest = hasher.finalize()
        state = .sealed(digest)
        return digest
    }

    /// Removes the temp file. Safe to call more than once.
    public func discard() {
        if let descriptor {
            try? descriptor.close()
            self.descriptor = nil
        }
        if case .promoted = state { return }
        // Best effort by design: this runs on failure paths, and a temp file left behind
        // is harmless (never under a digest name) and reclaimed by `store gc`.
        try? FileSystem.unlink(path)
        state = .discarded
        releaseStoreLock()
    }

    func markPromoted() {
        state = .promoted
        releaseStoreLock()
    }

    private func releaseStoreLock() {
        // Closing the descriptor drops the shared flock.
        try? storeLock?.close()
        storeLock = nil
    }
}

/// What a caller expects a blob to be. Empty means "whatever it hashes to".
public struct BlobExpectation: Sendable, Equatable {
    public var digest: SHA256Digest?
    public var size: Int64?

    public init(digest: SHA256Digest? = nil, size: Int64? = nil) {
        self.digest = digest
        self.size = size
    }
}

/// The outcome of putting bytes into the store.
public struct IngestResult: Sendable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// A new blob.
        case added
        /// The store already held this blob; nothing changed.
        case present
        /// Something damaged sat under this digest's name (writable, wrong size or not a
        /// file); the verified bytes replaced it.
        case replaced
    }

    public let digest: SHA256Digest
    public let size: Int64
    public let outcome: Outcome
}
