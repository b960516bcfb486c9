import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations the log needs, each failing with an `AuditError` that names the
/// file. Every open is `O_NOFOLLOW`: a symlink planted in `audit/` is refused, not followed.
enum AuditIO {
    static func open(_ path: FilePath, _ mode: FileDescriptor.AccessMode, create: Bool = false, permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]) throws(AuditError) -> FileDescriptor {
        var options: FileDescriptor.OpenOptions = [.closeOnExec, .noFollow]
        if create { options.insert(.create) }
        do {
            return try FileDescriptor.open(path, mode, options: options, permissions: create ? permissions : nil, retryOnInterrupt: true)
        } catch {
            throw .io(operation: "open", path: path, errno(error))
        }
    }

    /// The Errno a swift-system call threw (it throws only Errno).
    static func errno(_ error: any Error) -> Errno {
        error as? Errno ?? .ioError
    }

    /// nil when the file does not exist.
    static func openIfPresent(_ path: FilePath, _ mode: FileDescriptor.AccessMode) throws(AuditError) -> FileDescriptor? {
        do {
            return try FileDescriptor.open(path, mode, options: [.closeOnExec, .noFollow], retryOnInterrupt: true)
        } catch Errno.noSuchFileOrDirectory {
            return nil
        } catch {
            throw .io(operation: "open", path: path, errno(error))
        }
    }

    static func size(_ descriptor: FileDescriptor, _ path: FilePath) throws(AuditError) -> Int {
        var status = stat()
        guard fstat(descriptor.rawValue, &status) == 0 else { throw .io(operation: "stat", path: path, Errno(rawValue: Glibc.errno)) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .malformed(what: "audit file", file: path, line: nil, reason: "not a regular file")
        }
        return Int(status.st_size)
    }

    static func read(_ descriptor: FileDescriptor, _ path: FilePath, at offset: Int, count: Int) throws(AuditError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got: Int
            do {
                got = try bytes.withUnsafeMutableBytes { buffer in
                    try descriptor.read(fromAbsoluteOffset: Int64(offset + done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), retryOnInterrupt: true)
                }
            } catch {
                throw .io(operation: "read", path: path, errno(error))
            }
            guard got > 0 else {
                throw .malformed(what: "audit file", file: path, line: nil, reason: "ends at byte \(offset + done), before byte \(offset + count)")
            }
            done += got
        }
        return bytes
    }

    static func write(_ descriptor: FileDescriptor, _ path: FilePath, _ bytes: [UInt8], at offset: Int) throws(AuditError) {
        do {
            _ = try bytes.withUnsafeBytes { try descriptor.writeAll(toAbsoluteOffset: Int64(offset), $0) }
        } catch {
            throw .io(operation: "write", path: path, errno(error))
        }
    }

    static func sync(_ descriptor: FileDescriptor, _ path: FilePath) throws(AuditError) {
        guard fdatasync(descriptor.rawValue) == 0 else { throw .io(operation: "fsync", path: path, Errno(rawValue: Glibc.errno)) }
    }

    static func truncate(_ descriptor: FileDescriptor, _ path: FilePath, to size: Int) throws(AuditError) {
        guard ftruncate(descriptor.rawValue, off_t(size)) == 0 else { throw .io(operation: "truncate", path: path, Errno(rawValue: Glibc.errno)) }
    }

    static func rename(_ from: FilePath, to: FilePath) throws(AuditError) {
        let result = from.withPlatformString { from in to.withPlatformString { Glibc.rename(from, $0) } }
        guard result == 0 else { throw .io(operation: "rename", path: from, Errno(rawValue: Glibc.errno)) }
    }

    /// Makes `directory` (and its parents) if absent.
    static func makeDirectory(_ directory: FilePath) throws(AuditError) {
        var path = FilePath(root: directory.root)
        for component in directory.components {
            path.append(component)
            let result = path.withPlatformString { mkdir($0, 0o755) }
            guard result == 0 || Glibc.errno == EEXIST else { throw .io(operation: "create", path: path, Errno(rawValue: Glibc.errno)) }
        }
    }

    /// Throws unless `directory` is a real directory (not a symlink to one): the log's files
    /// are opened without following links, and so is the folder that holds them.
    static func requireDirectory(_ directory: FilePath) throws(AuditError) {
        var status = stat()
        guard directory.withPlatformString({ lstat($0, &status) }) == 0 else {
            throw .io(operation: "inspect", path: directory, Errno(rawValue: Glibc.errno))
        }
        guard (status.st_mode & S_IFMT) == S_IFDIR else {
            throw .malformed(what: "audit directory", file: directory, line: nil, reason: "not a directory (a symbolic link is not followed)")
        }
    }

    static func syncDirectory(_ directory: FilePath) throws(AuditError) {
        let descriptor = try open(directory, .readOnly)
        defer { try? descriptor.close() }
        guard fsync(descriptor.rawValue) == 0 else { throw .io(operation: "fsync", path: directory, Errno(rawValue: Glibc.errno)) }
    }

    /// The names in `directory`.
    static func names(in directory: FilePath) throws(AuditError) -> [String] {
        guard let stream = directory.withPlatformString({ opendir($0) }) else {
            if Glibc.errno == ENOENT { return [] }
            throw .io(operation: "list", path: directory, Errno(rawValue: Glibc.errno))
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Holds an exclusive `flock` on `path` until the returned descriptor is closed. Waits by
    /// polling for at most `timeout` seconds, so a stuck holder ends in an error, not a hang.
    static func lock(_ path: FilePath, timeout: Int = 60) throws(AuditError) -> FileDescriptor {
        let descriptor = try open(path, .readWrite, create: true)
        var waited = 0
        while flock(descriptor.rawValue, LOCK_EX | LOCK_NB) != 0 {
            let failure = Glibc.errno
            guard failure == EWOULDBLOCK || failure == EINTR else {
                try? descriptor.close()
                throw .lock(path: path, reason: Errno(rawValue: failure).description)
            }
            guard waited < timeout * 1000 else {
                try? descriptor.close()
                throw .lock(path: path, reason: "another modelpin process held it for over \(timeout) s")
            }
            usleep(1000)
            waited += 1
        }
        return descriptor
    }
}
