// A tar reader that lists members the way Python's `tarfile` does, because the loaders that
// open tars here are Python's: `torch.load` tries `tarfile.open(mode="r:")` first on any
// non-zip file (the legacy `torch.save` tar: `sys_info`, `pickle`, `tensors`, `storages`), and
// NeMo unpacks a `.nemo` with `tarfile`. Written by hand since no Swift library reads tar, and
// libarchive's tar reader follows GNU tar's rules, which differ from Python's exactly where an
// attacker would hide a member.
//
// What it does as tarfile does: 512-byte headers whose checksum is the unsigned or the signed sum;
// numeric fields through `nti` (octal text, or base-256 after 0x80/0xFF); names cut at NUL, the
// ustar prefix joined with `/` whatever the magic; GNU long names (`L`/`K`) and pax headers
// (`x`, and `g` whose values carry over to every later member) overriding name and size; a
// regular or unknown-type member's data skipped by its size rounded up to 512.
//
// Where tarfile and other readers diverge, it refuses (a `FormatError`, reported `malformed`):
// an invalid header after the first (tarfile silently ends the archive there, GNU tar reports
// it and reads on); any bytes but zeros after the end-of-archive block; numeric fields in a form
// only Python reads (sign, `0o`, underscores) and pax numbers that are not plain digits (Python
// reads a bad pax size as 0); a long name and a pax path on one member, or two of either
// (readers disagree on which wins); pax path, size or linkpath in a global header; sparse
// members; link, device and directory members that carry data; data past the end of the file.
// Links themselves are listed (the scan refuses them: extracting one follows it).

struct TarMember: Sendable, Equatable {
    /// The name tarfile gives the member (bytes; decoded lossily only for labels).
    var name: [UInt8]
    var type: UInt8
    /// Where the header that starts this member (its first extension header) is.
    var headerOffset: Int64
    var dataOffset: Int64
    var size: Int64

    var label: String { String(decoding: name, as: UTF8.self) }
    /// Regular files, and (as tarfile reads them) types it does not know.
    var hasData: Bool { ![TarReader.directory, TarReader.symlink, TarReader.hardlink, TarReader.fifo, TarReader.charDevice, TarReader.blockDevice].contains(type) }
    var isLink: Bool { type == TarReader.symlink || type == TarReader.hardlink }
}

enum TarReader {
    static let block: Int64 = 512
    /// The most members (and extension headers) one archive may have.
    static let maxMembers = 100_000
    /// The largest GNU long name or pax header accepted.
    static let maxExtension = 1 << 20

    static let regular = UInt8(ascii: "0"), hardlink = UInt8(ascii: "1"), symlink = UInt8(ascii: "2")
    static let charDevice = UInt8(ascii: "3"), blockDevice = UInt8(ascii: "4"), directory = UInt8(ascii: "5")
    static let fifo = UInt8(ascii: "6"), contiguous = UInt8(ascii: "7")
    static let longName = UInt8(ascii: "L"), longLink = UInt8(ascii: "K"), sparse = UInt8(ascii: "S")
    static let pax = UInt8(ascii: "x"), solarisPax = UInt8(ascii: "X"), globalPax = UInt8(ascii: "g")

    /// True when tarfile would open this as a tar: the first block is a header it parses.
    static func looksLikeTar(_ prefix: [UInt8]) -> Bool {
        guard prefix.count >= Int(block) else { return false }
        let first = Array(prefix[0..<Int(block)])
        guard first.contains(where: { $0 != 0 }) else { return false }
        return (try? Header(first, at: 0)) != nil
    }

    /// The members, in order, and the error that stopped the listing (members before it are
    /// still returned so that their content is scanned too).
    static func members<S: ByteSource>(_ source: S) -> (members: [TarMember], error: FormatError?) {
        var members: [TarMember] = []
        var cursor = FormatCursor(source)
        var global = PaxValues()
        do throws(FormatError) {
            while true {
                if cursor.atEnd { return (members, nil) }  // tarfile accepts a missing end marker
                guard cursor.remaining >= block else {
                    throw FormatError("\(cursor.remaining) trailing bytes that are not a whole 512-byte tar block", offset: cursor.position)
                }
                guard members.count < maxMembers else {
                    throw FormatError("more than \(maxMembers) tar members", offset: cursor.position)
                }
                let start = cursor.position
                let first = try cursor.bytes(Int(block), "tar header")
                if !first.contains(where: { $0 != 0 }) {
                    try expectOnlyZeros(&cursor)
                    return (members, nil)
                }
                members.append(try member(first, at: start, cursor: &cursor, global: &global))
            }
        } catch {
            return (members, error)
        }
    }

    /// After tarfile's end of archive (one zero block), anything but zeros would be read by a
    /// reader that skips zero blocks (GNU tar `-i`, libarchive) and never by tarfile.
    private static func expectOnlyZeros<S: ByteSource>(_ cursor: inout FormatCursor<S>) throws(FormatError) {
        while !cursor.atEnd {
            let at = cursor.position
            let chunk = try cursor.bytes(Int(min(cursor.remaining, 1 << 16)), "trailing blocks")
            if let i = chunk.firstIndex(where: { $0 != 0 }) {
                throw FormatError(
                    "data after the tar end-of-archive block: Python's tarfile stops at the first zero block, other readers go on",
                    offset: at + Int64(i))
            }
        }
    }

    /// One member: its extension headers (GNU long names, pax), then the header they apply to.
    private static func member<S: ByteSource>(
        _ firstBlock: [UInt8], at start: Int64, cursor: inout FormatCursor<S>, global: inout PaxValues
    ) throws(FormatError) -> TarMember {
        var blockBytes = firstBlock
        var headerAt = start
        var gnuName: [UInt8]?
        var sawLongLink = false
        var local: PaxValues?
        var extensions = 0
        while true {
            let header: Header
            do { header = try Header(blockBytes, at: headerAt) } catch {
                throw FormatError(
                    "\(error.detail) (Python's tarfile would silently end the archive here; other readers go on)",
                    offset: error.offset ?? headerAt)
            }
            if let odd = header.oddField { throw odd }
            switch header.type {
            case longName, longLink, pax, solarisPax, globalPax:
                extensions += 1
                guard extensions <= 4 else { throw FormatError("too many extension headers for one tar member", offset: headerAt) }
                let data = try extensionData(header, cursor: &cursor)
                if header.type == longName {
                    guard gnuName == nil else { throw FormatError("two GNU long-name headers for one member: readers disagree which applies", offset: headerAt) }
                    gnuName = cutAtNUL(data[...])
                } else if header.type == longLink {
                    guard !sawLongLink else { throw FormatError("two GNU long-link headers for one member", offset: headerAt) }
                    sawLongLink = true
                } else if header.type == globalPax {
                    let values = try PaxValues(data, at: headerAt + block)
                    guard values.path == nil, values.size == nil, !values.linkpath else {
                        throw FormatError(
                            "global pax header sets a path, size or link for every later member: tarfile applies it, other readers ignore it",
                            offset: headerAt)
                    }
                    global = values
                } else {
                    guard local == nil else { throw FormatError("two pax headers for one member: readers disagree which applies", offset: headerAt) }
                    local = try PaxValues(data, at: headerAt + block)
                }
                guard !cursor.atEnd, cursor.remaining >= block else {
                    throw FormatError("tar extension header with no member after it", offset: headerAt)
                }
                headerAt = cursor.position
                blockBytes = try cursor.bytes(Int(block), "tar header")
                guard blockBytes.contains(where: { $0 != 0 }) else {
                    throw FormatError("tar extension header followed by the end of the archive", offset: headerAt)
                }
                continue
            case sparse:
                throw FormatError("GNU sparse tar member: its data is not laid out as stored", offset: headerAt)
            default:
                break
            }
            _ = global  // a global header may only carry values tarfile and others treat alike
            if gnuName != nil, local?.path != nil {
                throw FormatError("tar member named by both a GNU long name and a pax path: readers disagree which applies", offset: start)
            }
            var name = header.name
            if let gnuName { name = header.type == directory ? stripTrailingSlashes(gnuName, all: false) : gnuName }
            if let path = local?.path { name = stripTrailingSlashes(path, all: true) }
            let size = local?.size ?? header.size
            let member = TarMember(name: name, type: header.type, headerOffset: start, dataOffset: cursor.position, size: size)
            if member.hasData {
                guard size <= cursor.remaining else {
                    throw FormatError("tar member `\(member.label)` (\(size) bytes) runs past the end of the file", offset: headerAt)
                }
                let padded = (size + block - 1) / block * block
                try cursor.skip(min(padded, cursor.remaining), "tar member data")
            } else if size != 0 {
                // tarfile does not skip data for these types (it reads it as the next header);
                // GNU tar does. Either way, no legitimate writer puts data there.
                throw FormatError("tar member `\(member.label)` of type `\(Character(Unicode.Scalar(header.type)))` carries \(size) bytes of data", offset: headerAt)
            }
            return member
        }
    }

    private static func extensionData<S: ByteSource>(_ header: Header, cursor: inout FormatCursor<S>) throws(FormatError) -> [UInt8] {
        guard header.size <= Int64(maxExtension) else {
            throw FormatError("tar extension header of \(header.size) bytes (the limit is \(maxExtension))", offset: header.offset)
        }
        let data = try cursor.bytes(Int(header.size), "tar extension header data")
        let padding = (block - header.size % block) % block
        try cursor.skip(min(padding, cursor.remaining), "tar padding")
        return data
    }

    static func cutAtNUL(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(bytes.prefix { $0 != 0 })
    }

    /// tarfile: `rstrip("/")` for directories and pax paths, `removesuffix("/")` for a
    /// directory's long name.
    static func stripTrailingSlashes(_ name: [UInt8], all: Bool) -> [UInt8] {
        var name = name
        while name.last == UInt8(ascii: "/") {
            name.removeLast()
            if !all { break }
        }
        return name
    }

    /// One 512-byte header as `TarInfo.frombuf` reads it.
    struct Header {
        var name: [UInt8]
        var type: UInt8
        var size: Int64
        var offset: Int64

        /// A numeric field in a form only Python reads (a sign, `0o`, underscores, a negative or
        /// oversized base-256 value): the header parses, as tarfile would, and the reader refuses it.
        var oddField: FormatError?

        init(_ b: [UInt8], at offset: Int64) throws(FormatError) {
            self.offset = offset
            var odd: FormatError?
            let checksum = try Self.number(b[148..<156], "checksum", at: offset + 148, odd: &odd)
            var unsigned: Int64 = 256, signed: Int64 = 256
            for i in 0..<512 where !(148..<156).contains(i) {
                unsigned += Int64(b[i])
                signed += Int64(Int8(bitPattern: b[i]))
            }
            guard checksum == unsigned || checksum == signed else {
                throw FormatError("tar header checksum does not match", offset: offset + 148)
            }
            // tarfile parses every numeric field; one it cannot parse makes the header invalid.
            for (range, what) in [(100..<108, "mode"), (108..<116, "uid"), (116..<124, "gid"), (136..<148, "mtime"),
                                  (329..<337, "devmajor"), (337..<345, "devminor")] {
                _ = try Self.number(b[range], what, at: offset + Int64(range.lowerBound), odd: &odd)
            }
            size = try Self.number(b[124..<136], "size", at: offset + 124, odd: &odd)
            oddField = odd
            type = b[156]
            var name = cutAtNUL(b[0..<100])
            if type == 0, name.last == UInt8(ascii: "/") { type = directory }
            if type == directory { name = stripTrailingSlashes(name, all: true) }
            let prefix = cutAtNUL(b[345..<500])
            if !prefix.isEmpty, ![longName, longLink, sparse].contains(type) {
                name = prefix + [UInt8(ascii: "/")] + name
            }
            self.name = name
        }

        /// tarfile's `nti`: base-256 after 0x80 (0xFF: negative), else octal text up to the first
        /// NUL, stripped, through `int(…, 8)`. Throws where tarfile fails; a value only Python
        /// reads sets `odd` (and reads as 0 here, which is never used: the reader refuses it).
        static func number(_ field: ArraySlice<UInt8>, _ what: String, at offset: Int64, odd: inout FormatError?) throws(FormatError) -> Int64 {
            let first = field[field.startIndex]
            if first == 0x80 || first == 0xFF {
                var value: Int64 = 0
                for byte in field.dropFirst() {
                    guard value < Int64.max >> 8, first == 0x80 else {
                        odd = odd ?? FormatError("tar \(what) field is a negative or oversized base-256 number", offset: offset)
                        return 0
                    }
                    value = value << 8 | Int64(byte)
                }
                return value
            }
            let text = field.prefix { $0 != 0 }
            // `int(s.strip() or "0", 8)`: an empty or blank field is 0.
            if text.allSatisfy({ PythonInt.stringWhitespace.contains($0) }) { return 0 }
            guard text.allSatisfy({ $0 < 0x80 }),
                let parsed = PythonInt.parse(text, base: 8, whitespace: PythonInt.stringWhitespace)
            else { throw FormatError("tar \(what) field is not a number", offset: offset) }
            guard parsed.plain, parsed.value >= 0 else {
                odd = odd ?? FormatError("tar \(what) field `\(String(decoding: text, as: UTF8.self))` is a number only Python's tarfile reads", offset: offset)
                return 0
            }
            return parsed.value
        }
    }

    /// The pax records tarfile acts on: `path`, `linkpath`, `size`. Every record must be framed
    /// exactly (`LEN KEY=VALUE\n`, LEN counting itself); sparse files are refused.
    struct PaxValues {
        var path: [UInt8]?
        var size: Int64?
        var linkpath = false

        init() {}

        init(_ data: [UInt8], at offset: Int64) throws(FormatError) {
            var position = 0
            while position < data.count, data[position] != 0 {
                let recordAt = offset + Int64(position)
                guard let space = data[position...].firstIndex(of: UInt8(ascii: " ")), space > position, space - position <= 20,
                    data[position..<space].allSatisfy({ (0x30...0x39).contains($0) }),
                    let length = Int(String(decoding: data[position..<space], as: UTF8.self)), length >= 5,
                    position + length <= data.count, data[position + length - 1] == 0x0A
                else { throw FormatError("invalid pax record", offset: recordAt) }
                let body = data[(space + 1)..<(position + length - 1)]
                guard let equals = body.firstIndex(of: UInt8(ascii: "=")), equals > body.startIndex else {
                    throw FormatError("pax record without a keyword", offset: recordAt)
                }
                let key = String(decoding: body[body.startIndex..<equals], as: UTF8.self)
                let value = Array(body[(equals + 1)...])
                if key.hasPrefix("GNU.sparse.") {
                    throw FormatError("pax header of a GNU sparse member", offset: recordAt)
                }
                switch key {
                case "path": path = value
                case "linkpath": linkpath = true
                case "size":
                    // tarfile reads `int(value)` and uses 0 when that fails; only plain digits
                    // mean the same to every reader.
                    guard !value.isEmpty, value.count <= 18, value.allSatisfy({ (0x30...0x39).contains($0) }),
                        let n = Int64(String(decoding: value, as: UTF8.self))
                    else { throw FormatError("pax size `\(String(decoding: value, as: UTF8.self))` is not a plain decimal number", offset: recordAt) }
                    size = n
                default: break
                }
                position += length
            }
            guard data[position...].allSatisfy({ $0 == 0 }) else {
                throw FormatError("bytes after the pax records", offset: offset + Int64(position))
            }
        }
    }
}
