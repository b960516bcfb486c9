public import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way modelpin opens a file it did not create (a mirror's blob, `store add`'s input,
/// a file in a model's directory, a lockfile) for reading.
///
/// A plain `open` of a FIFO blocks until a writer appears — forever, and beyond the reach of
/// Ctrl-C, which only sets a flag the blocked thread never checks — and a character device
/// (`/dev/zero`) never ends. So the file is opened with `O_NONBLOCK` (an open that cannot
/// block), its type checked with `fstat` on the descriptor itself (no window between check and
/// use), and only then, for a regular file, made blocking again for ordinary reads.
public enum RegularFile {
    /// Opens `path` for reading. `streams`: also accept a FIFO or a character device (`hash`
    /// of a named pipe the user made on purpose); a directory or anything else is refused.
    public static func open(_ path: FilePath, streams: Bool = false) throws(FileReadError) -> FileDescriptor {
        let raw: Int32 = path.withPlatformString { path in
            var descriptor: Int32
            repeat {
                descriptor = posixOpen(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            } while descriptor < 0 && errno == EINTR
            return descriptor
        }
        guard raw >= 0 else { throw FileReadError(path: path, errno: Errno(rawValue: errno)) }
        let descriptor = FileDescriptor(rawValue: raw)
        do throws(FileReadError) {
            let status: Stat
            do {
                status = try descriptor.stat()
            } catch {
                throw FileReadError(path: path, errno: error)
            }
            switch status.type {
            case .regular: break
            case .directory: throw FileReadError(path: path, reason: .isDirectory)
            case .fifo where streams, .characterSpecial where streams: break
            default: throw FileReadError(path: path, reason: .notRegular(label(status.type)))
            }
            let flags = fcntl(raw, F_GETFL)
            guard flags >= 0, fcntl(raw, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
                throw FileReadError(path: path, errno: Errno(rawValue: errno))
            }
            return descriptor
        } catch {
            try? descriptor.close()
            throw error
        }
    }

    /// The whole content of a small file someone else may have written (modelpin.toml, a lock,
    /// an allowlist, a key), opened as `open` opens it, so a FIFO or a device named there is an
    /// error naming the file, never a read that blocks. nil when the file does not exist;
    /// past `limit` bytes, reading stops and the file is refused.
    public static func contents(of path: FilePath, limit: Int) throws(FileReadError) -> [UInt8]? {
        let descriptor: FileDescriptor
        do {
            descriptor = try open(path)
        } catch where error.reason == .notFound {
            return nil
        }
        defer { try? descriptor.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0, retryOnInterrupt: true) }
            } catch {
                throw FileReadError(path: path, errno: error as? Errno ?? .ioError)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            guard bytes.count <= limit else { throw FileReadError(path: path, reason: .tooLarge(limit)) }
        }
    }

    /// What a file of `type` is, for a message that says why it was not read.
    public static func label(_ type: FileType) -> String {
        switch type {
        case .fifo: "a FIFO (named pipe)"
        case .socket: "a socket"
        case .characterSpecial: "a character device"
        case .blockSpecial: "a block device"
        case .symbolicLink: "a symbolic link"
        default: "not a regular file"
        }
    }
}

// File scope: inside `RegularFile` the C name is shadowed by its own `open`.
private func posixOpen(_ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 { open(path, flags) }
