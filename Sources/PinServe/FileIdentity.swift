#if canImport(Glibc)
import Glibc
#endif

/// What `fstat` says a descriptor is. In a file of its own, without NIO: where NIOCore is
/// imported, a release build takes `stat` for CNIOLinux's struct and refuses its members
/// (MemberImportVisibility), and CNIOLinux is not a module PinServe may import.
struct FileIdentity: Equatable {
    let regular: Bool
    let device: UInt64
    let inode: UInt64
    let size: Int64

    /// nil with `errno` set when fstat fails.
    init?(descriptor: Int32) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        regular = (status.st_mode & S_IFMT) == S_IFREG
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
    }
}
