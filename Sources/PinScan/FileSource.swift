public import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A file read with `pread`, never mapped or loaded whole: scanning a 1.5 GiB checkpoint reads
/// its directory and pickles, not its tensors.
public final class FileSource: ByteSource {
    // @unchecked-free: the descriptor is immutable and pread is safe from several threads.
    public let size: Int64
    private let descriptor: FileDescriptor
    public let path: FilePath

    /// Opens a regular file only. Opened non-blocking, then checked with fstat: a FIFO among
    /// the files to scan would otherwise block the open forever, beyond Ctrl-C's reach. (The
    /// same rule as PinDigest's `RegularFile`, which PinScan cannot import: it stays free of
    /// libcrypto so that the fuzz targets link it alone.)
    public init(_ path: FilePath) throws(ScanReadError) {
        do {
            descriptor = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch {
            throw ScanReadError("cannot open `\(path)`: \(error)")
        }
        let type = try? descriptor.stat().type
        let flags = fcntl(descriptor.rawValue, F_GETFL)
        guard type == .regular, flags >= 0, fcntl(descriptor.rawValue, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            try? descriptor.close()
            throw ScanReadError("cannot scan `\(path)`: " + (type == .regular ? "\(Errno(rawValue: errno))" : "not a regular file"))
        }
        self.path = path
        let end = lseek(descriptor.rawValue, 0, SEEK_END)
        guard end >= 0 else {
            try? descriptor.close()
            throw ScanReadError("cannot read `\(path)`: \(Errno(rawValue: errno))")
        }
        size = Int64(end)
    }

    deinit { try? descriptor.close() }

    public func read(at offset: Int64, count: Int) throws(ScanReadError) -> [UInt8] {
        guard offset >= 0, offset <= size, count > 0 else { return [] }
        let wanted = Int(min(Int64(count), size - offset))
        var bytes = [UInt8](repeating: 0, count: wanted)
        var done = 0
        while done < wanted {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor.rawValue, buffer.baseAddress! + done, wanted - done, off_t(offset) + off_t(done))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw ScanReadError("cannot read `\(path)` at offset \(offset + Int64(done)): \(Errno(rawValue: errno))")
            }
            if got == 0 { break }
            done += got
        }
        if done < wanted { bytes.removeLast(wanted - done) }
        return bytes
    }
}
