import Crypto
import PinTransport

#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 and MD5 of bytes or of a file region, for signing payloads and `Content-MD5`.
/// MD5 only because S3 speaks it (Content-MD5, a part's ETag); never for trust.
enum Digests {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// Both digests of `length` bytes of `path` from `offset`, read with pread in 1 MiB steps
    /// (constant memory); stops with `.cancelled` when `cancellation` is set.
    static func ofRegion(
        path: String, offset: Int64, length: Int64, cancellation: CancellationFlag
    ) throws(S3Error) -> (sha256: [UInt8], md5: [UInt8]) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .localFile(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var sha = SHA256()
        var md5 = Insecure.MD5()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var done: Int64 = 0
        while done < length {
            if cancellation.isCancelled { throw .cancelled }
            let want = Int(min(Int64(buffer.count), length - done))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw .localFile(path: path, reason: n == 0 ? "the file is shorter than \(offset + length) bytes" : String(cString: strerror(errno)))
            }
            buffer.withUnsafeBytes { chunk in
                let slice = UnsafeRawBufferPointer(rebasing: chunk[..<n])
                sha.update(bufferPointer: slice)
                md5.update(bufferPointer: slice)
            }
            done += Int64(n)
        }
        return (Array(sha.finalize()), Array(md5.finalize()))
    }
}
