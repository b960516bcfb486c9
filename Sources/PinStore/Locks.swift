import PinModel
import SystemPackage

extension Store {
    /// Runs `body` holding `store.lock`: shared for writers (many may add blobs at once),
    /// exclusive for GC (which must not delete a blob between its ingest and its pin).
    func withStoreLock<T>(_ kind: FileDescriptor.LockKind, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try withLock(file: storeLockFile, kind, body)
    }

    /// Runs `body` holding `locks/<hex>.lock`, so that two processes fetching the same blob do
    /// the work once: the second waits, then finds the blob present. Correctness never rests
    /// on this lock (flock can be a no-op on network filesystems): racing writers produce the
    /// same bytes under the same name.
    func withBlobLock<T>(_ digest: SHA256Digest, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try withLock(file: locksDirectory.appending(digest.hex + ".lock"), .exclusive, body)
    }

    /// Takes `store.lock` shared and returns the descriptor holding it; closing it releases it.
    /// For locks that outlive one call (a quarantine open across a whole download).
    func acquireSharedStoreLock() throws(StoreError) -> FileDescriptor {
        try acquire(file: storeLockFile, .shared)
    }

    /// Takes an exclusive lock on `file` (created if needed) and returns the descriptor holding it.
    func acquireExclusiveLock(_ file: FilePath) throws(StoreError) -> FileDescriptor {
        try acquire(file: file, .exclusive)
    }

    private func withLock<T>(
        file: FilePath, _ kind: FileDescriptor.LockKind, _ body: () throws(StoreError) -> T
    ) throws(StoreError) -> T {
        let descriptor = try acquire(file: file, kind)
        // Closing the descriptor releases the lock, also when the process dies.
        defer { try? descriptor.close() }
        return try body()
    }

    private func acquire(file: FilePath, _ kind: FileDescriptor.LockKind) throws(StoreError) -> FileDescriptor {
        let descriptor: FileDescriptor
        do {
            descriptor = try systemCall {
                try FileDescriptor.open(
                    file, .readWrite, options: [.create, .closeOnExec, .noFollow],
                    permissions: [.ownerReadWrite, .groupRead, .otherRead])
            }
        } catch {
            throw .writing(error, operation: "open lock file", path: file, root: root)
        }
        do {
            try descriptor.lock(kind)
        } catch {
            try? descriptor.close()
            throw .io(operation: "lock", path: file, error)
        }
        return descriptor
    }
}
