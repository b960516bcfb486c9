public import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A directory opened once, and every path below it reached from that descriptor, one
/// component at a time, with `O_NOFOLLOW | O_DIRECTORY`: neither `..`, an absolute path nor a
/// symbolic link planted anywhere below the root can lead a write or a delete outside it, and
/// nothing between the check and the use can swap a directory for a link (the descriptor is
/// what is used, not the name again). Every write and delete in a model's directory goes
/// through one of these.
///
/// Hand-written because swift-system 1.8 wraps none of openat, mkdirat, unlinkat, renameat,
/// symlinkat or fdopendir, and Foundation's FileManager follows symlinks.
public final class DirectoryRoot: @unchecked Sendable {
    // @unchecked: the descriptor is immutable after init and the calls made on it are
    // thread-safe; it is closed only in deinit.

    /// Where the root is, for messages (never reopened by name).
    public let path: FilePath
    let descriptor: FileDescriptor

    init(path: FilePath, descriptor: FileDescriptor) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { try? descriptor.close() }

    /// Why an operation below a root failed: the full path (for messages), the errno, and
    /// whether a symbolic link (or other non-directory) stood where a directory had to be.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let path: FilePath
        public let errno: Errno
        public let symbolicLink: Bool

        public init(path: FilePath, errno: Errno, symbolicLink: Bool) {
            self.path = path
            self.errno = errno
            self.symbolicLink = symbolicLink
        }

        public var description: String {
            if symbolicLink {
                return "`\(path)` is a symbolic link; modelpin never follows one inside a model's directory"
            }
            if errno == .notDirectory { return "`\(path)` exists and is not a directory" }
            return "`\(path)`: \(errno)"
        }
    }

    /// Opens `path` (following symbolic links in `path` itself: whoever gave it chose it) as a
    /// root; `create`: makes it and its missing ancestors first.
    public static func open(_ path: FilePath, create: Bool) throws(Failure) -> DirectoryRoot {
        if create {
            do {
                try FileSystem.makeDirectories(path)
            } catch {
                throw Failure(path: path, errno: error, symbolicLink: false)
            }
        }
        do {
            let descriptor = try systemCall {
                try FileDescriptor.open(path, .readOnly, options: [.directory, .closeOnExec])
            }
            return DirectoryRoot(path: path, descriptor: descriptor)
        } catch {
            throw Failure(path: path, errno: error, symbolicLink: false)
        }
    }

    /// The directory at `relative` as a root of its own; `create`: missing directories are
    /// made (0755). A symbolic link on the way is refused, never followed.
    public func directory(_ relative: String, create: Bool) throws(Failure) -> DirectoryRoot {
        let names = try components(relative)
        let descriptor = try openDirectory(names, create: create)
        return DirectoryRoot(path: path.appending(names.joined(separator: "/")), descriptor: descriptor)
    }

    // MARK: Entries

    /// lstat of the entry at `relative`; nil when it (or a directory above it) does not exist.
    public func status(_ relative: String) throws(Failure) -> Stat? {
        let names = try components(relative)
        do {
            return try inParent(names, create: false) { parent, name throws(Errno) in
                try Stat(FilePath(name), relativeTo: parent, flags: .symlinkNoFollow)
            }
        } catch let failure where failure.errno == .noSuchFileOrDirectory {
            return nil
        }
    }

    /// A new file at `relative` (exclusive, never through a link), its parents made as needed.
    public func createFile(_ relative: String, permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]) throws(Failure) -> FileDescriptor {
        let names = try components(relative)
        return try inParent(names, create: true) { parent, name throws(Errno) in
            try openAt(name, in: parent, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: permissions.rawValue)
        }
    }

    /// Opens the regular file at `relative` for reading; a link, a FIFO or a device is
    /// refused without blocking on it.
    public func openFile(_ relative: String) throws(Failure) -> FileDescriptor {
        let names = try components(relative)
        return try inParent(names, create: false) { parent, name throws(Errno) in
            let descriptor = try openAt(name, in: parent, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard (try? Stat(descriptor))?.type == .regular else {
                try? descriptor.close()
                throw Errno.notPermitted
            }
            return descriptor
        }
    }

    /// renameat between two paths below the root (the target's parents made as needed).
    public func rename(_ source: String, to target: String) throws(Failure) {
        let from = try components(source)
        let to = try components(target)
        try inParent(from, create: false) { sourceParent, sourceName throws(Failure) in
            try inParent(to, create: true) { targetParent, targetName throws(Errno) in
                _ = try syscall { Glibc.renameat(sourceParent.rawValue, sourceName, targetParent.rawValue, targetName) }.get()
            }
        }
    }

    /// Removes the file (or symbolic link) at `relative` only if `expected` says the entry
    /// there is still the one the caller checked (lstat: the same inode on the same device).
    /// Never a directory. Returns whether something was removed.
    @discardableResult
    public func removeFile(_ relative: String, ifStill expected: (Stat) -> Bool) throws(Failure) -> Bool {
        let names = try components(relative)
        do {
            return try inParent(names, create: false) { parent, name throws(Errno) in
                let status = try Stat(FilePath(name), relativeTo: parent, flags: .symlinkNoFollow)
                guard status.type != .directory, expected(status) else { return false }
                _ = try syscall { unlinkat(parent.rawValue, name, 0) }.get()
                return true
            }
        } catch let failure where failure.errno == .noSuchFileOrDirectory {
            return false
        }
    }

    /// Removes the directory at `relative` if it is empty (unlinkat AT_REMOVEDIR: never
    /// recursive). Returns whether it was removed; a non-empty or missing one is left.
    @discardableResult
    public func removeEmptyDirectory(_ relative: String) throws(Failure) -> Bool {
        let names = try components(relative)
        do {
            return try inParent(names, create: false) { parent, name throws(Errno) in
                do throws(Errno) {
                    _ = try syscall { unlinkat(parent.rawValue, name, AT_REMOVEDIR) }.get()
                    return true
                } catch .directoryNotEmpty, .fileExists, .noSuchFileOrDirectory, .notDirectory {
                    return false
                }
            }
        } catch let failure where failure.errno == .noSuchFileOrDirectory {
            return false
        }
    }

    /// A new symbolic link at `relative` pointing at `target` (a store blob).
    public func symlink(target: FilePath, at relative: String) throws(Failure) {
        let names = try components(relative)
        try inParent(names, create: true) { parent, name throws(Errno) in
            _ = try target.withPlatformString { target in syscall { symlinkat(target, parent.rawValue, name) } }.get()
        }
    }

    /// A hard link at `relative` to `source`, a file outside the root (a store blob) named by
    /// the caller; `source` itself is not followed if it is a link (linkat without
    /// AT_SYMLINK_FOLLOW). Never replaces an entry: one already there fails with `.fileExists`,
    /// another filesystem with `.improperLink` (EXDEV).
    public func hardLink(from source: FilePath, at relative: String) throws(Failure) {
        let names = try components(relative)
        try inParent(names, create: true) { parent, name throws(Errno) in
            _ = try source.withPlatformString { source in syscall { linkat(AT_FDCWD, source, parent.rawValue, name, 0) } }.get()
        }
    }

    /// A second name `target` for the file at `source`, both below the root: how a finished
    /// temp file takes its final name without replacing one that appeared meanwhile (rename
    /// would replace it). Fails with `.fileExists` when `target` exists.
    public func hardLink(_ source: String, to target: String) throws(Failure) {
        let from = try components(source)
        let to = try components(target)
        try inParent(from, create: false) { sourceParent, sourceName throws(Failure) in
            try inParent(to, create: true) { targetParent, targetName throws(Errno) in
                _ = try syscall { linkat(sourceParent.rawValue, sourceName, targetParent.rawValue, targetName, 0) }.get()
            }
        }
    }

    /// The target of the symbolic link at `relative`.
    public func linkTarget(_ relative: String) throws(Failure) -> String {
        let names = try components(relative)
        return try inParent(names, create: false) { parent, name throws(Errno) in
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlinkat(parent.rawValue, name, &buffer, buffer.count - 1)
            guard count >= 0 else { throw Errno(rawValue: errno) }
            return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The names in the directory at `relative` ("" for the root itself), sorted; a missing
    /// directory lists as empty.
    public func list(_ relative: String) throws(Failure) -> [String] {
        let names = relative.isEmpty ? [] : try components(relative)
        let directory: FileDescriptor
        do {
            directory = try openDirectory(names, create: false)
        } catch let failure where failure.errno == .noSuchFileOrDirectory {
            return []
        }
        // fdopendir takes the descriptor over; closedir closes it.
        guard let stream = fdopendir(directory.rawValue) else {
            let error = Errno(rawValue: errno)
            try? directory.close()
            throw Failure(path: path.appending(relative), errno: error, symbolicLink: false)
        }
        defer { closedir(stream) }
        var entries: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { entries.append(name) }
        }
        return entries.sorted()
    }

    /// fsyncs the directory at `relative` ("" for the root) so entries created, renamed or
    /// removed in it are durable.
    public func sync(_ relative: String) throws(Failure) {
        let names = relative.isEmpty ? [] : try components(relative)
        let directory = try openDirectory(names, create: false)
        defer { try? directory.close() }
        do {
            try directory.sync()
        } catch {
            throw Failure(path: path.appending(relative), errno: error, symbolicLink: false)
        }
    }

    /// Opens (creating it if missing) the file at `relative` and holds an exclusive flock on
    /// it, waiting for a holder to let go; closing the descriptor releases it, and so does the
    /// kernel when the holder dies, however it dies.
    public func lockExclusively(_ relative: String) throws(Failure) -> FileDescriptor {
        let names = try components(relative)
        return try inParent(names, create: true) { parent, name throws(Errno) in
            let descriptor: FileDescriptor
            do throws(Errno) {
                descriptor = try openAt(name, in: parent, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode: 0o644)
            } catch .readOnlyFileSystem, .permissionDenied {
                // A directory this process cannot write (a read-only checkout): flock works on a
                // descriptor opened for reading, and a pull with nothing to do needs no more.
                descriptor = try openAt(name, in: parent, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            }
            do throws(Errno) {
                guard try descriptor.stat().type == .regular else { throw Errno.notPermitted }
                try descriptor.lock(.exclusive)
            } catch {
                try? descriptor.close()
                throw error
            }
            return descriptor
        }
    }

    // MARK: Walking

    /// The components of a path below the root. Callers validate paths from outside with
    /// `PathSafety` first; this refuses what would leave the root regardless.
    func components(_ relative: String) throws(Failure) -> [String] {
        let names = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !relative.hasPrefix("/"), !names.isEmpty,
              !names.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.utf8.contains(0) })
        else {
            throw Failure(path: path.appending(relative), errno: .invalidArgument, symbolicLink: false)
        }
        return names
    }

    /// Opens the directory `names` below the root, one component at a time; the caller closes
    /// the result (for no names: a duplicate of the root's descriptor).
    func openDirectory(_ names: [String], create: Bool) throws(Failure) -> FileDescriptor {
        var current: FileDescriptor
        do {
            current = try systemCall { try descriptor.duplicate() }
        } catch {
            throw Failure(path: path, errno: error, symbolicLink: false)
        }
        for (index, name) in names.enumerated() {
            do {
                let next = try Self.openChild(name, in: current, create: create)
                try? current.close()
                current = next
            } catch {
                try? current.close()
                let here = path.appending(names[...index].joined(separator: "/"))
                throw Failure(path: here, errno: error, symbolicLink: isLink(names[...index]))
            }
        }
        return current
    }

    /// Runs `body` with the parent directory of `names` opened and the last name.
    func inParent<T, E: Error>(
        _ names: [String], create: Bool, _ body: (FileDescriptor, String) throws(E) -> T
    ) throws(Failure) -> T {
        let parent = try openDirectory(Array(names.dropLast()), create: create)
        defer { try? parent.close() }
        do {
            return try body(parent, names.last!)
        } catch let error as Failure {
            throw error
        } catch let error as Errno {
            throw Failure(path: path.appending(names.joined(separator: "/")), errno: error, symbolicLink: error == .tooManySymbolicLinkLevels)
        } catch {
            throw Failure(path: path.appending(names.joined(separator: "/")), errno: .ioError, symbolicLink: false)
        }
    }

    private func isLink(_ names: ArraySlice<String>) -> Bool {
        guard let parent = try? openDirectory(Array(names.dropLast()), create: false) else { return false }
        defer { try? parent.close() }
        return (try? Stat(FilePath(names.last!), relativeTo: parent, flags: .symlinkNoFollow))?.type == .symbolicLink
    }

    /// One step down: `name` in `parent`, made first if asked, opened without following a link.
    static func openChild(_ name: String, in parent: FileDescriptor, create: Bool) throws(Errno) -> FileDescriptor {
        var notMade: Errno?
        if create {
            do {
                _ = try syscall { mkdirat(parent.rawValue, name, 0o755) }.get()
            } catch .fileExists {
                // Whatever is there is checked by the open below (a link fails it).
            } catch {
                notMade = error  // read-only or not ours: fine if it exists already
            }
        }
        do throws(Errno) {
            return try openAt(name, in: parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        } catch .noSuchFileOrDirectory where notMade != nil {
            throw notMade!
        }
    }
}

/// openat, retrying EINTR.
private func openAt(_ name: String, in parent: FileDescriptor, _ flags: Int32, mode: mode_t = 0) throws(Errno) -> FileDescriptor {
    FileDescriptor(rawValue: try syscall { openat(parent.rawValue, name, flags, mode) }.get())
}
