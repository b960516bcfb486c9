public import PinModel
public import SystemPackage
internal import CPinSystem

#if canImport(Glibc)
import Glibc
#endif

/// How a blob appears in a user's directory.
public enum LinkMode: String, Sendable, CaseIterable {
    /// An independent file: a reflink (shared blocks, copy-on-write) where the filesystem can,
    /// else a byte copy. Nothing written to it can reach the store — not even by root, for
    /// whom a read-only mode bit is no protection. The default.
    case copy
    /// A symbolic link to the read-only blob: no extra disk, but a process running as root that
    /// opens the file for writing writes into the store. Opt-in only.
    case symlink
}

/// How a file was actually materialized.
public enum MaterializeMethod: String, Sendable, Codable {
    case reflink, copy, symlink
}

extension Store {
    /// Places blob `digest` at `destination` (creating parent directories): a temp file beside
    /// it, renamed over whatever was there, so no reader sees a half-written file.
    @discardableResult
    public func materialize(_ digest: SHA256Digest, at destination: FilePath, mode: LinkMode) throws(StoreError) -> MaterializeMethod {
        let source = try path(of: digest)
        guard let name = destination.lastComponent else {
            throw .malformedMetadata(file: destination, reason: "not a file path")
        }
        let directory = destination.removingLastComponent()
        do {
            try FileSystem.makeDirectories(directory)
        } catch {
            throw .writing(error, operation: "create directory", path: directory, root: directory)
        }
        let temporary = directory.appending(".\(name.string).modelpin-\(randomSuffix())")
        let method: MaterializeMethod
        do throws(Errno) {
            switch mode {
            case .symlink:
                try FileSystem.symlink(target: source, at: temporary)
                method = .symlink
            case .copy:
                method = try copy(from: source, to: temporary)
            }
            try FileSystem.rename(temporary, to: destination)
        } catch {
            try? FileSystem.unlink(temporary)
            throw .writing(error, operation: "write", path: destination, root: directory)
        }
        return method
    }

    /// Flushes a directory's entries (after materializing into it).
    public func syncDirectory(_ directory: FilePath) throws(StoreError) {
        do {
            try FileSystem.syncDirectory(directory)
        } catch {
            throw .io(operation: "sync", path: directory, error)
        }
    }

    private func copy(from source: FilePath, to destination: FilePath) throws(Errno) -> MaterializeMethod {
        let input = try systemCall { try FileDescriptor.open(source, .readOnly, options: [.closeOnExec]) }
        defer { try? input.close() }
        let output = try systemCall {
            try FileDescriptor.open(
                destination, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec, .noFollow],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        }
        defer { try? output.close() }
        // No fsync here, unlike a blob: the copy is re-creatable from the store, and flushing
        // every copied GiB to disk doubled a pull's time (measured: +6 s for 2 GiB). A crash can
        // leave a short or empty file under the final name; its size then no longer matches
        // the directory's record, so the next pull copies it again.
        if cpin_clone_file(output.rawValue, input.rawValue) == 0 {
            return .reflink
        }
        // read/write rather than copy_file_range: on ext4 here the latter measured ~5x slower.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try input.read(into: buffer, at: offset)
            if count == 0 { break }
            try output.write(all: UnsafeRawBufferPointer(rebasing: buffer[..<count]), at: offset)
            offset += Int64(count)
        }
        return .copy
    }
}

extension FileSystem {
    static func symlink(target: FilePath, at path: FilePath) throws(Errno) {
        _ = try target.withPlatformString { target in
            path.withPlatformString { path in syscall { posixSymlink(target, path) } }
        }.get()
    }
}

private func posixSymlink(_ target: UnsafePointer<CChar>, _ path: UnsafePointer<CChar>) -> Int32 { symlink(target, path) }
