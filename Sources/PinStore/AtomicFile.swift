public import SystemPackage

/// Writes a small file outside the store (a manifest, a lockfile) so that readers see the old
/// bytes or the new ones, never a mix: a temp file beside it (same directory, so the rename is
/// atomic), fsync, rename, fsync the directory. A failure leaves the old file untouched.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: FilePath, permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]) throws(Errno) {
        let directory = path.removingLastComponent()
        let temporary = directory.appending(".\(path.lastComponent?.string ?? "file").\(randomSuffix()).tmp")
        try replace(path, with: bytes, via: temporary, permissions: permissions)
        try FileSystem.syncDirectory(directory.isEmpty ? "." : directory)
    }

    /// Writes `bytes` to the new file `temporary` (on the same file system as `path`), flushes
    /// it and renames it over `path`; on any failure the temp file is removed. The caller syncs
    /// the directory. `durable: false` skips the flush, for caches whose loss or damage in a
    /// crash only costs recomputing them (they are read strictly).
    static func replace(
        _ path: FilePath, with bytes: [UInt8], via temporary: FilePath,
        permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead], durable: Bool = true
    ) throws(Errno) {
        do throws(Errno) {
            let descriptor = try systemCall {
                try FileDescriptor.open(
                    temporary, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec, .noFollow], permissions: permissions)
            }
            do throws(Errno) {
                _ = try systemCall { try descriptor.writeAll(bytes) }
                if durable { try descriptor.sync() }
                try systemCall { try descriptor.close() }
            } catch {
                try? descriptor.close()
                throw error
            }
            try FileSystem.rename(temporary, to: path)
        } catch {
            try? FileSystem.unlink(temporary)
            throw error
        }
    }

    /// The whole file, or nil if it does not exist.
    public static func read(_ path: FilePath) throws(Errno) -> [UInt8]? {
        let descriptor: FileDescriptor
        do {
            descriptor = try systemCall { try FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) }
        } catch .noSuchFileOrDirectory {
            return nil
        }
        defer { try? descriptor.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = try systemCall { try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) } }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }
}
