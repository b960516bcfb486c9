public import PinModel
public import SystemPackage
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's SHA-256 and length, as `modelpin hash` reports them.
public struct FileDigest: Sendable, Equatable {
    public let path: FilePath
    public let digest: SHA256Digest
    public let size: Int64

    public init(path: FilePath, digest: SHA256Digest, size: Int64) {
        self.path = path
        self.digest = digest
        self.size = size
    }
}

/// A file could not be read to the end.
public struct FileReadError: ModelpinError, Equatable {
    public enum Reason: Sendable, Equatable {
        case notFound
        case isDirectory
        case permissionDenied
        /// A FIFO, socket or device where a regular file was needed (its kind, for a person).
        case notRegular(String)
        /// Larger than the reader's limit (bytes) for a file of its kind; read no further.
        case tooLarge(Int)
        case io(Errno)
    }

    public let path: FilePath
    public let reason: Reason

    public init(path: FilePath, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public init(path: FilePath, errno: Errno) {
        switch errno {
        case .noSuchFileOrDirectory: self.init(path: path, reason: .notFound)
        case .isDirectory: self.init(path: path, reason: .isDirectory)
        case .permissionDenied: self.init(path: path, reason: .permissionDenied)
        default: self.init(path: path, reason: .io(errno))
        }
    }

    public var kind: FailureKind { .operational }

    public var description: String {
        switch reason {
        case .notFound: "no such file: `\(path)`"
        case .isDirectory: "`\(path)` is a directory, not a file"
        case .permissionDenied: "cannot read `\(path)`: permission denied"
        case .notRegular(let what): "`\(path)` is \(what), not a regular file"
        case .tooLarge(let limit): "`\(path)` is larger than \(limit) bytes, more than a file of its kind holds"
        case .io: "cannot read `\(path)`"
        }
    }

    public var causes: [String] {
        if case .io(let errno) = reason { return [errno.description] }
        return []
    }

    public var hint: String? {
        switch reason {
        case .isDirectory: "name the files inside it, for example `\(path)/*`"
        case .notFound: "check the path; relative paths are taken from the current directory"
        case .notRegular: "only regular files are read; nothing was read from it"
        case .tooLarge: "check that the path names the right file"
        default: nil
        }
    }
}

/// Hashes files by streaming them through SHA-256; never holds a file in memory.
public enum FileHasher {
    /// Bytes per read. Large enough that syscall and per-call overheads vanish next to the
    /// hashing, small enough to stay in L2 cache.
    public static let chunkSize = 1 << 20

    /// The SHA-256 and size of the file at `path`. Only a regular file is read, unless
    /// `streams` (then FIFOs and character devices are read to their end like any stream;
    /// `modelpin hash` of a named pipe). With `readAhead`, a second thread reads while this one
    /// hashes (worth it when a core would otherwise sit idle).
    public static func sha256(file path: FilePath, readAhead: Bool = false, streams: Bool = false) throws(FileReadError) -> FileDigest {
        let descriptor = try RegularFile.open(path, streams: streams)
        defer { try? descriptor.close() }
        let (digest, size) = try sha256(reading: descriptor, path: path, readAhead: readAhead)
        return FileDigest(path: path, digest: digest, size: size)
    }

    /// The SHA-256 and length of everything `descriptor` yields until end of file.
    /// `path` only names the source in errors.
    public static func sha256(
        reading descriptor: FileDescriptor, path: FilePath, readAhead: Bool = false
    ) throws(FileReadError) -> (SHA256Digest, Int64) {
        var hasher = SHA256()
        let size = try stream(descriptor, path: path, readAhead: readAhead) { chunk in
            hasher.update(chunk)
            return true
        }
        return (hasher.finalize(), size)
    }

    /// Reads `descriptor` to its end in `chunkSize` pieces and hands each to `body`, which
    /// returns false to stop early. Returns the number of bytes read.
    public static func stream(
        _ descriptor: FileDescriptor, path: FilePath, readAhead: Bool = false,
        _ body: (UnsafeRawBufferPointer) -> Bool
    ) throws(FileReadError) -> Int64 {
        let status: Stat
        do {
            status = try descriptor.stat()
        } catch {
            throw FileReadError(path: path, errno: error)
        }
        if status.type == .directory {
            throw FileReadError(path: path, reason: .isDirectory)
        }
        if status.type == .regular {
            // A hint only: the kernel reads ahead further. Failure changes nothing.
            _ = posix_fadvise(descriptor.rawValue, 0, 0, POSIX_FADV_SEQUENTIAL)
        }

        if readAhead {
            switch ReadAheadRing(chunkSize: chunkSize).run(descriptor, body) {
            case .success(let total): return total
            case .failure(let errno): throw FileReadError(path: path, errno: errno)
            }
        }

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let count: Int
            do {
                count = try descriptor.read(into: buffer)
            } catch {
                throw FileReadError(path: path, errno: error as? Errno ?? .ioError)
            }
            if count == 0 { return total }
            total += Int64(count)
            if !body(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) { return total }
        }
    }

    /// Hashes several files at once, `concurrency` at a time (default: one per CPU core), and
    /// returns one result per path in the order given. SHA-256 of one stream cannot be split
    /// across cores, so files are the unit of parallelism; when there are fewer files than
    /// workers, the spare cores read ahead instead.
    public static func sha256(
        files paths: [FilePath], concurrency: Int = DigestConcurrency.defaultWidth, streams: Bool = false
    ) -> [Result<FileDigest, FileReadError>] {
        let readAhead = paths.count < concurrency
        return DigestConcurrency.map(paths, width: concurrency) { path in
            Result { () throws(FileReadError) in try sha256(file: path, readAhead: readAhead, streams: streams) }
        }
    }
}

/// Runs CPU-bound work over many inputs on a fixed number of threads.
///
/// Hashing is CPU work on page-cached data, so plain threads pulling indexes from one counter
/// keep every core busy with the fewest moving parts; results come back in input order.
public enum DigestConcurrency: Sendable {
    /// One worker per core this process may use.
    public static var defaultWidth: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    public static func map<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], width: Int, _ transform: @Sendable (Input) -> Output
    ) -> [Output] {
        guard !inputs.isEmpty else { return [] }
        let workers = max(1, min(width, inputs.count))
        if workers == 1 { return inputs.map(transform) }

        let next = Atomic<Int>(0)
        let results = Mutex<[Output?]>(Array(repeating: nil, count: inputs.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < inputs.count else { return }
                let output = transform(inputs[index])
                results.withLock { $0[index] = output }
            }
        }
        return results.withLock { $0.map { $0! } }
    }
}
