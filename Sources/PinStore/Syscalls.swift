internal import CPinSystem
public import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The few POSIX calls the store needs that swift-system 1.8 does not wrap (fsync, fchmod,
// rename, flock, statvfs, readdir, utimensat…), with swift-system's conventions: EINTR retried,
// failures as typed `Errno`.

/// Calls `body` until it stops failing with EINTR; a -1 result becomes the current errno.
func syscall(_ body: () -> Int32) -> Result<Int32, Errno> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let error = Errno(rawValue: errno)
        if error != .interrupted { return .failure(error) }
    }
}

@discardableResult
func retryingInterrupts(_ body: () -> Int32) throws(Errno) -> Int32 {
    try syscall(body).get()
}

extension FileDescriptor {
    /// Flushes the file's data and metadata to stable storage.
    func sync() throws(Errno) {
        try retryingInterrupts { fsync(rawValue) }
    }

    func setPermissions(_ permissions: FilePermissions) throws(Errno) {
        try retryingInterrupts { fchmod(rawValue, permissions.rawValue) }
    }

    enum LockKind {
        case shared, exclusive

        var operation: Int32 { self == .shared ? LOCK_SH : LOCK_EX }
    }

    /// Blocks until the advisory lock is held.
    func lock(_ kind: LockKind) throws(Errno) {
        try retryingInterrupts { flock(rawValue, kind.operation) }
    }

    /// Takes the advisory lock if nobody holds a conflicting one; false otherwise.
    func tryLock(_ kind: LockKind) throws(Errno) -> Bool {
        do {
            try retryingInterrupts { flock(rawValue, kind.operation | LOCK_NB) }
            return true
        } catch .wouldBlock {
            return false
        }
    }
}

// File-scope forwarders: inside `FileSystem` the C names are shadowed by its own methods.
private func posixRename(_ from: UnsafePointer<CChar>, _ to: UnsafePointer<CChar>) -> Int32 { rename(from, to) }
private func posixUnlink(_ path: UnsafePointer<CChar>) -> Int32 { unlink(path) }
private func posixPwrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ offset: Int64) -> Int {
    pwrite(fd, bytes, count, off_t(offset))
}
private func posixPread(_ fd: Int32, _ bytes: UnsafeMutableRawPointer, _ count: Int, _ offset: Int64) -> Int {
    pread(fd, bytes, count, off_t(offset))
}

/// Public only for `listDirectory`: the one wrapper other modules need (`modelpin scan DIR`).
public enum FileSystem {
    static func rename(_ source: FilePath, to destination: FilePath) throws(Errno) {
        _ = try source.withPlatformString { from in
            destination.withPlatformString { to in syscall { posixRename(from, to) } }
        }.get()
    }

    static func unlink(_ path: FilePath) throws(Errno) {
        _ = try path.withPlatformString { path in syscall { posixUnlink(path) } }.get()
    }

    /// Creates the directory; an existing directory is fine, an existing non-directory is not.
    static func makeDirectory(_ path: FilePath, permissions: FilePermissions = [.ownerReadWriteExecute, .groupReadExecute, .otherReadExecute]) throws(Errno) {
        do {
            _ = try path.withPlatformString { path in syscall { mkdir(path, permissions.rawValue) } }.get()
        } catch .fileExists {
            guard try Stat(path).type == .directory else { throw .notDirectory }
        }
    }

    /// `mkdir -p`: creates every missing ancestor, then the directory itself.
    static func makeDirectories(_ path: FilePath) throws(Errno) {
        var partial = FilePath(root: path.root)
        for component in path.components {
            partial.append(component)
            try makeDirectory(partial)
        }
    }

    /// fsyncs a directory so that entries just created, renamed or removed in it are durable.
    static func syncDirectory(_ path: FilePath) throws(Errno) {
        let descriptor = try systemCall {
            try FileDescriptor.open(path, .readOnly, options: [.directory, .closeOnExec])
        }
        defer { try? descriptor.close() }
        try descriptor.sync()
    }

    /// lstat: the entry itself, not what a symlink points at. nil when nothing is there.
    static func entry(at path: FilePath) throws(Errno) -> Stat? {
        do {
            return try Stat(path, followTargetSymlink: false)
        } catch .noSuchFileOrDirectory {
            return nil
        }
    }

    /// The names in a directory, without `.` and `..`, sorted for stable output.
    /// A missing directory lists as empty.
    public static func listDirectory(_ path: FilePath) throws(Errno) -> [String] {
        let stream: OpaquePointer? = path.withPlatformString { opendir($0) }
        guard let stream else {
            let error = Errno(rawValue: errno)
            if error == .noSuchFileOrDirectory { return [] }
            throw error
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw Errno(rawValue: errno) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Bytes an unprivileged writer can still put on the filesystem holding `path`.
    static func availableBytes(at path: FilePath) throws(Errno) -> Int64 {
        var info = statvfs()
        _ = try path.withPlatformString { path in syscall { statvfs(path, &info) } }.get()
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Sets the modification time to now (a blob's age is what GC's grace period measures).
    static func touch(_ path: FilePath) throws(Errno) {
        _ = try path.withPlatformString { path in syscall { utimensat(AT_FDCWD, path, nil, 0) } }.get()
    }

    /// Whether this process may write into `path` (EROFS and permission checks included).
    static func isWritable(_ path: FilePath) throws(Errno) {
        _ = try path.withPlatformString { path in syscall { access(path, W_OK) } }.get()
    }
}

extension Stat {
    /// Seconds since the epoch of the last content change.
    var modificationTime: Int64 { Int64(st_mtim.tv_sec) }

    var isWritableByAnyone: Bool {
        !permissions.intersection([.ownerWrite, .groupWrite, .otherWrite]).isEmpty
    }
}

/// 16 random hex digits, for temp names that never collide across processes.
func randomSuffix() -> String {
    var generator = SystemRandomNumberGenerator()
    let value = generator.next() as UInt64
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// Seconds since the epoch, now.
func currentTime() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec)
}

/// Runs a swift-system call and rethrows its failure as the typed `Errno` it always is.
/// (swift-system 1.8 declares most calls with untyped `throws`.)
func systemCall<T>(_ body: () throws -> T) throws(Errno) -> T {
    do {
        return try body()
    } catch let error as Errno {
        throw error
    } catch {
        throw .ioError
    }
}

extension FileDescriptor {
    /// Writes all of `bytes` at `offset` (pwrite, retrying short writes and EINTR).
    func write(all bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) {
        var written = 0
        while written < bytes.count {
            let result = posixPwrite(rawValue, bytes.baseAddress! + written, bytes.count - written, offset + Int64(written))
            if result < 0 {
                let error = Errno(rawValue: errno)
                if error == .interrupted { continue }
                throw error
            }
            written += result
        }
    }

    /// Reads up to `buffer.count` bytes at `offset` (pread, retrying EINTR).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        while true {
            let result = posixPread(rawValue, buffer.baseAddress!, buffer.count, offset)
            if result >= 0 { return result }
            let error = Errno(rawValue: errno)
            if error != .interrupted { throw error }
        }
    }

    /// Sets the file's length (sparse when growing).
    func truncate(to size: Int64) throws(Errno) {
        try retryingInterrupts { ftruncate(rawValue, off_t(size)) }
    }

    /// Starts writeback of a range without waiting for it, so that the final fsync of a large
    /// download has little left to do.
    func startWriteback(offset: Int64, length: Int64) {
        _ = cpin_start_writeback(rawValue, offset, length)
    }
}

/// Runs `body` on a new thread of its own (not a cooperative-pool thread: the work blocks).
func spawnThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        // @unchecked: handed from the creating thread to the new one exactly once.
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    precondition(result == 0, "pthread_create failed: \(result)")
    pthread_detach(thread)
}
