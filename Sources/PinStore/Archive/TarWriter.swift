public import SystemPackage

/// Writes a POSIX tar (ustar, with pax extended headers for names over 100 bytes and sizes
/// over 8 GiB) to a file descriptor, streaming: a file member is copied from its file in 1 MiB
/// chunks, never held whole. Deterministic: mtime 0, uid/gid 0, no user names, fixed modes, so
/// the same members in the same order give the same bytes.
///
/// Hand-written rather than libarchive because libarchive sits behind PinScan only (one C
/// library per module), and writing the few member kinds an OCI layout needs (directories,
/// regular files) is ~100 lines with no parsing of untrusted input.
public struct TarWriter {
    public enum Failure: Error, Sendable, Equatable {
        case io(Errno)
        /// A member's source file was not `size` bytes when read (it changed under the writer).
        case sizeChanged(FilePath, expected: Int64, read: Int64)
    }

    let output: FileDescriptor
    public private(set) var bytesWritten: Int64 = 0

    public init(output: FileDescriptor) {
        self.output = output
    }

    public mutating func addDirectory(_ path: String) throws(Failure) {
        let name = path.hasSuffix("/") ? path : path + "/"
        try writeHeader(name: name, size: 0, type: UInt8(ascii: "5"), mode: 0o755)
    }

    public mutating func addFile(_ path: String, bytes: [UInt8]) throws(Failure) {
        try writeHeader(name: path, size: Int64(bytes.count), type: UInt8(ascii: "0"), mode: 0o644)
        try write(bytes)
        try pad(Int64(bytes.count))
    }

    /// A member with the bytes of `source`, which must be `size` bytes long.
    public mutating func addFile(_ path: String, from source: FilePath, size: Int64) throws(Failure) {
        try writeHeader(name: path, size: size, type: UInt8(ascii: "0"), mode: 0o644)
        let input: FileDescriptor
        do {
            input = try FileDescriptor.open(source, .readOnly, options: [.closeOnExec, .noFollow])
        } catch {
            throw .io(error as? Errno ?? .ioError)
        }
        defer { try? input.close() }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var copied: Int64 = 0
        while copied < size {
            let want = Int(min(Int64(chunk.count), size - copied))
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try input.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<want])) }
            } catch {
                throw .io(error as? Errno ?? .ioError)
            }
            if count == 0 { throw .sizeChanged(source, expected: size, read: copied) }
            try write(Array(chunk[..<count]))
            copied += Int64(count)
        }
        try pad(size)
    }

    /// The end-of-archive marker: two zero blocks.
    public mutating func finish() throws(Failure) {
        try write([UInt8](repeating: 0, count: 1024))
    }

    // MARK: Headers

    mutating func writeHeader(name: String, size: Int64, type: UInt8, mode: Int) throws(Failure) {
        var pax: [(String, String)] = []
        let nameBytes = Array(name.utf8)
        if nameBytes.count > 100 { pax.append(("path", name)) }
        if size > 0o77777777777 { pax.append(("size", String(size))) }
        if !pax.isEmpty {
            let body = pax.flatMap { Self.paxRecord($0.0, $0.1) }
            try write(Self.header(name: Array("PaxHeaders/\(nameBytes.count > 100 ? "long" : name)".utf8.prefix(100)),
                                  size: Int64(body.count), type: UInt8(ascii: "x"), mode: 0o644))
            try write(body)
            try pad(Int64(body.count))
        }
        try write(Self.header(name: Array(nameBytes.prefix(100)), size: min(size, 0o77777777777), type: type, mode: mode))
    }

    /// One 512-byte ustar header.
    static func header(name: [UInt8], size: Int64, type: UInt8, mode: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) {
            for (index, byte) in bytes.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.utf8.count)) + digits).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(Int64(mode), width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)
        block[156] = type
        put(Array("ustar\u{0}00".utf8), at: 257)
        let checksum = block.reduce(Int64(0)) { $0 + Int64($1) }
        put(octal(checksum, width: 7) + [UInt8(ascii: " ")], at: 148)
        return block
    }

    /// `"<length> <key>=<value>\n"`, where length counts itself.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let rest = " \(key)=\(value)\n".utf8.count
        var length = rest + 1
        while String(length).utf8.count + rest != length { length += 1 }
        return Array("\(length) \(key)=\(value)\n".utf8)
    }

    mutating func pad(_ size: Int64) throws(Failure) {
        let remainder = Int(size % 512)
        if remainder != 0 { try write([UInt8](repeating: 0, count: 512 - remainder)) }
    }

    mutating func write(_ bytes: [UInt8]) throws(Failure) {
        do {
            _ = try output.writeAll(bytes)
        } catch {
            throw .io(error as? Errno ?? .ioError)
        }
        bytesWritten += Int64(bytes.count)
    }
}
