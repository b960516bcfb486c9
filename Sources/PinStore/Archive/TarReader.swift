public import PinModel
public import SystemPackage

/// Reads a POSIX tar archive (ustar, pax extended headers, GNU long names) from a file
/// descriptor, one member at a time, streaming: a member's body is handed to the caller in
/// 1 MiB chunks and never held whole, so an archive of any size is read in constant memory.
///
/// The archive is hostile input (an air-gap bundle carried on a USB stick), so the reader is
/// strict where tar readers are usually lenient:
/// - every header's checksum is verified, and its number fields must be octal (or base-256 for
///   sizes) with no stray bytes;
/// - only regular files and directories are members; links, devices and FIFOs are refused;
/// - a member's name is a relative path below the archive's root: no `..`, no absolute path,
///   no NUL, no `.git`, nothing `PathSafety` refuses (a leading `./` is dropped);
/// - a name appears once; sizes are bounded (`memberSizeLimit`, `paxLimit`);
/// - the archive ends with its two zero blocks, and nothing but zeros follows them.
///
/// Hand-written rather than through libarchive: libarchive sits behind PinScan only (one C
/// library per module, and PinScan reads model files, not archives), and the subset an OCI
/// layout needs is small enough to check exhaustively here, with a fuzz target (FuzzTar).
public struct TarReader {
    /// A member's header, as the pax and GNU records before it amended it.
    public struct Member: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case file
            case directory
        }
        /// Relative, normalised (no `./`, no trailing `/`).
        public let name: String
        public let kind: Kind
        public let size: Int64
    }

    public struct Failure: ModelpinError, Equatable {
        public let archive: String
        /// The member being read, when the failure is about one.
        public let member: String?
        public let reason: String

        public var kind: FailureKind { .refused }
        public var description: String {
            "\(archive)" + (member.map { ": member `\($0.escapedForDisplay)`" } ?? "") + ": \(reason)"
        }
        public var hint: String? { "the archive is damaged or was not written as an OCI layout tar; nothing of it was admitted" }
    }

    public static let blockSize = 512
    /// pax and GNU long-name records are small; a larger one is an attack on memory.
    public static let paxLimit = 64 << 10

    let input: FileDescriptor
    let archive: String
    let memberSizeLimit: Int64
    /// The body of the member last returned that is still unread, plus its padding.
    private var pendingBody: Int64 = 0
    private var pendingPadding: Int64 = 0
    private var seen: Set<String> = []
    private var ended = false
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    /// Bytes consumed so far (for error messages).
    public private(set) var offset: Int64 = 0

    /// `archive`: names the input in errors. `memberSizeLimit`: the largest member accepted.
    public init(input: FileDescriptor, archive: String, memberSizeLimit: Int64 = FileSizeLimit.maximum) {
        self.input = input
        self.archive = archive
        self.memberSizeLimit = memberSizeLimit
    }

    /// The next member's header, or nil at the end of the archive (after its zero blocks, and
    /// having checked nothing but zeros follows). The previous member's body, if unread, is
    /// skipped first.
    public mutating func next() throws(Failure) -> Member? {
        if ended { return nil }
        try skipPending()
        var overrides: [String: String] = [:]
        var longName: String?
        while true {
            guard let block = try readBlock(allowEnd: true) else {
                throw fail(nil, "the archive ends without its end-of-archive blocks (truncated)")
            }
            if block.allSatisfy({ $0 == 0 }) {
                try finishEnd(after: block)
                guard overrides.isEmpty, longName == nil else { throw fail(nil, "an extended header is followed by the end of the archive") }
                return nil
            }
            let header = try Header(block, reader: self)
            switch header.type {
            case UInt8(ascii: "x"):
                let body = try readRecord(size: header.size, what: "pax extended header")
                for (key, value) in try Self.paxRecords(body, reader: self) { overrides[key] = value }
            case UInt8(ascii: "L"):
                let body = try readRecord(size: header.size, what: "GNU long name")
                longName = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "0"), 0, UInt8(ascii: "5"):
                // The archive's own root (`./`, as `tar -C DIR .` writes it) names nothing.
                guard let member = try member(header, overrides: overrides, longName: longName) else {
                    overrides = [:]
                    longName = nil
                    continue
                }
                return member
            case UInt8(ascii: "g"):
                throw fail(header.name, "a pax global header (type g) changes every later member; it is not accepted")
            case UInt8(ascii: "1"), UInt8(ascii: "2"):
                throw fail(header.name, "a link (type \(Character(Unicode.Scalar(header.type)))): only regular files and directories are accepted")
            default:
                throw fail(header.name, "a member of type \(Self.typeName(header.type)): only regular files and directories are accepted")
            }
        }
    }

    /// Streams the current member's body to `sink` in chunks of at most 1 MiB.
    public mutating func readBody(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while pendingBody > 0 {
            let want = Int(min(Int64(chunk.count), pendingBody))
            let count = try fill(&chunk, want)
            guard count > 0 else { throw fail(nil, "the archive ends inside a member's body (truncated)") }
            pendingBody -= Int64(count)
            try chunk.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        try skipPending()
    }

    // MARK: Members

    /// The member a header (with its pax and GNU records) describes; nil for the root directory.
    private mutating func member(_ header: Header, overrides: [String: String], longName: String?) throws(Failure) -> Member? {
        var name = overrides["path"] ?? longName ?? header.name
        var size = header.size
        if let text = overrides["size"] {
            guard let value = Int64(text), value >= 0, String(value) == text else {
                throw fail(name, "the pax size `\(text.escapedForDisplay)` is not a byte count")
            }
            size = value
        }
        let isDirectory = header.type == UInt8(ascii: "5")
        if isDirectory, size != 0 { throw fail(name, "a directory member with a body (\(size) bytes)") }
        if name.contains("\u{0}") { throw fail(name, "the name contains a NUL byte") }
        while name.hasPrefix("./") { name.removeFirst(2) }
        if name.hasSuffix("/") { name.removeLast() }
        guard !name.isEmpty, name != "." else {
            if isDirectory { return nil }
            throw fail(header.name, "a file member without a name")
        }
        if let problem = PathSafety.reason(name) { throw fail(name, "unsafe name: \(problem)") }
        guard seen.insert(name).inserted else { throw fail(name, "the name appears twice; a second copy could replace what was checked") }
        guard size <= memberSizeLimit else {
            throw fail(name, "\(size) bytes, more than the \(memberSizeLimit) a member may have")
        }
        pendingBody = size
        pendingPadding = (Int64(Self.blockSize) - size % Int64(Self.blockSize)) % Int64(Self.blockSize)
        return Member(name: name, kind: isDirectory ? .directory : .file, size: size)
    }

    /// A pax or GNU record's body, read whole (bounded by `paxLimit`).
    private mutating func readRecord(size: Int64, what: String) throws(Failure) -> [UInt8] {
        guard size <= Int64(Self.paxLimit) else { throw fail(nil, "a \(what) of \(size) bytes (at most \(Self.paxLimit))") }
        var body = [UInt8](repeating: 0, count: Int(size))
        let padded = (Int(size) + Self.blockSize - 1) / Self.blockSize * Self.blockSize
        var read = 0
        while read < Int(size) {
            var chunk = [UInt8](repeating: 0, count: Int(size) - read)
            let count = try fill(&chunk, chunk.count)
            guard count > 0 else { throw fail(nil, "the archive ends inside a \(what) (truncated)") }
            body.replaceSubrange(read..<(read + count), with: chunk[..<count])
            read += count
        }
        try skip(Int64(padded - Int(size)))
        return body
    }

    /// `"<length> <key>=<value>\n"` records; the length counts the whole record.
    static func paxRecords(_ body: [UInt8], reader: TarReader) throws(Failure) -> [(String, String)] {
        var records: [(String, String)] = []
        var index = 0
        while index < body.count {
            if body[index] == 0, body[index...].allSatisfy({ $0 == 0 }) { break }
            guard let space = body[index...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: body[index..<space], as: UTF8.self)), length > space - index + 1,
                  index + length <= body.count, body[index + length - 1] == UInt8(ascii: "\n")
            else { throw reader.fail(nil, "a malformed pax record at byte \(index) of its header") }
            let record = body[(space + 1)..<(index + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw reader.fail(nil, "a pax record without `=` at byte \(index) of its header")
            }
            let key = String(decoding: record[..<equals], as: UTF8.self)
            let value = String(decoding: record[(equals + 1)...], as: UTF8.self)
            guard !key.isEmpty else { throw reader.fail(nil, "a pax record with an empty key") }
            // Keys that change what a member is must be ones this reader applies; the rest
            // (times, owners, charsets, SCHILY/LIBARCHIVE extras) describe it and are ignored.
            if ["linkpath", "GNU.sparse.name", "GNU.sparse.size", "GNU.sparse.map", "GNU.sparse.major"].contains(key) {
                throw reader.fail(nil, "the pax key `\(key)` (a link or sparse file) is not accepted")
            }
            records.append((key, value))
            index += length
        }
        return records
    }

    // MARK: End of archive

    /// After the first zero block: a second one, then only zeros (tar pads to its record size,
    /// 10240 bytes by default) up to the end of the file.
    private mutating func finishEnd(after first: [UInt8]) throws(Failure) {
        guard let second = try readBlock(allowEnd: true), second.allSatisfy({ $0 == 0 }) else {
            throw fail(nil, "a single zero block is not the end of an archive (truncated or corrupt)")
        }
        while let block = try readBlock(allowEnd: true) {
            guard block.allSatisfy({ $0 == 0 }) else { throw fail(nil, "data after the end-of-archive blocks, at byte \(offset - Int64(Self.blockSize))") }
        }
        ended = true
    }

    // MARK: Bytes

    private mutating func skipPending() throws(Failure) {
        try skip(pendingBody + pendingPadding)
        pendingBody = 0
        pendingPadding = 0
    }

    private mutating func skip(_ count: Int64) throws(Failure) {
        var left = count
        var scratch = [UInt8](repeating: 0, count: Int(min(left, 1 << 20)))
        while left > 0 {
            let got = try fill(&scratch, Int(min(Int64(scratch.count), left)))
            guard got > 0 else { throw fail(nil, "the archive ends inside a member (truncated)") }
            left -= Int64(got)
        }
    }

    /// One whole block, or nil at a clean end of file (when `allowEnd`).
    private mutating func readBlock(allowEnd: Bool) throws(Failure) -> [UInt8]? {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        var read = 0
        while read < Self.blockSize {
            var rest = [UInt8](repeating: 0, count: Self.blockSize - read)
            let count = try fill(&rest, rest.count)
            if count == 0 {
                if read == 0, allowEnd { return nil }
                throw fail(nil, "the archive ends inside a header block (truncated)")
            }
            block.replaceSubrange(read..<(read + count), with: rest[..<count])
            read += count
        }
        return block
    }

    /// Up to `count` bytes into `target` (from the read-ahead buffer, else the descriptor).
    private mutating func fill(_ target: inout [UInt8], _ count: Int) throws(Failure) -> Int {
        if bufferStart == buffer.count {
            buffer = [UInt8](repeating: 0, count: 1 << 20)
            let got: Int
            do {
                got = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            } catch {
                throw fail(nil, "cannot read: \(error)")
            }
            buffer.removeSubrange(got...)
            bufferStart = 0
            if got == 0 { return 0 }
        }
        let take = min(count, buffer.count - bufferStart)
        target.replaceSubrange(0..<take, with: buffer[bufferStart..<(bufferStart + take)])
        bufferStart += take
        offset += Int64(take)
        return take
    }

    func fail(_ member: String?, _ reason: String) -> Failure {
        Failure(archive: archive, member: member, reason: reason)
    }

    static func typeName(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "3"): "3 (character device)"
        case UInt8(ascii: "4"): "4 (block device)"
        case UInt8(ascii: "6"): "6 (FIFO)"
        case UInt8(ascii: "7"): "7 (contiguous file)"
        case UInt8(ascii: "S"): "S (GNU sparse file)"
        case 32...126: String(Character(Unicode.Scalar(type)))
        default: "byte \(type)"
        }
    }
}

/// One ustar header block, checked.
private struct Header {
    let name: String
    let type: UInt8
    let size: Int64

    init(_ block: [UInt8], reader: TarReader) throws(TarReader.Failure) {
        let rawName = Self.string(block[0..<100])
        // ustar ("ustar\0" "00") and GNU ("ustar  \0") both mark their headers; pre-POSIX v7
        // headers carry no magic and are not accepted (no way to tell them from garbage).
        let magic = Array(block[257..<265])
        guard magic == Array("ustar\u{0}00".utf8) || magic == Array("ustar  \u{0}".utf8) else {
            throw reader.fail(rawName.isEmpty ? nil : rawName, "a header without the ustar magic at byte \(reader.offset - 512)")
        }
        let stored = try Self.octal(block[148..<156], field: "checksum", reader: reader, name: rawName)
        var sum: Int64 = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 32 : Int64(byte) }
        guard stored == sum else { throw reader.fail(rawName, "header checksum \(stored) does not match its bytes (\(sum))") }
        let prefix = magic == Array("ustar\u{0}00".utf8) ? Self.string(block[345..<500]) : ""
        name = prefix.isEmpty ? rawName : prefix + "/" + rawName
        type = block[156]
        size = try Self.size(block[124..<136], reader: reader, name: name)
    }

    /// NUL-terminated text of a field.
    static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A size: octal, or base-256 (high bit set on the first byte) for sizes over 8 GiB.
    static func size(_ field: ArraySlice<UInt8>, reader: TarReader, name: String) throws(TarReader.Failure) -> Int64 {
        guard let first = field.first, first & 0x80 != 0 else {
            return try octal(field, field: "size", reader: reader, name: name)
        }
        guard first == 0x80, field.dropFirst().prefix(3).allSatisfy({ $0 == 0 }) else {
            throw reader.fail(name, "a base-256 size that is negative or does not fit 64 bits")
        }
        return field.dropFirst(4).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    /// An octal number field: optional leading spaces, digits, then NULs or spaces to the end.
    static func octal(_ field: ArraySlice<UInt8>, field label: String, reader: TarReader, name: String) throws(TarReader.Failure) -> Int64 {
        var value: Int64 = 0
        var digits = 0
        var ended = false
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7") where !ended:
                guard value <= (Int64.max >> 3) else { throw reader.fail(name, "the \(label) field overflows") }
                value = value << 3 | Int64(byte - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: " ") where digits == 0 && !ended:
                continue
            case 0, UInt8(ascii: " "):
                ended = true
            default:
                throw reader.fail(name, "the \(label) field is not an octal number")
            }
        }
        guard digits > 0 else { throw reader.fail(name, "the \(label) field is empty") }
        return value
    }
}
