import PinModel

// A hand-written, read-only zip reader (no zip library is available to PinScan, and it must not
// trust one: loaders disagree about malformed zips, and those disagreements are the bypasses).
//
// It reads what PyTorch's miniz reader reads — the End Of Central Directory record (ZIP64 too),
// the central directory, and each entry's LOCAL header for the data position — and reports,
// as `malformed` findings of kind `zip-inconsistent`, every place where a different loader
// (Python's zipfile, miniz, numpy, Keras) could see a different archive:
//   - local header name, method, CRC or sizes differ from the central directory (CVE-2025-1944);
//   - encryption and other flag bits PyTorch ignores but zipfile refuses (CVE-2025-1945);
//   - entries that overlap, run past the end of the file or into the central directory;
//   - duplicate names (each loader may pick a different one);
//   - more than `maxEntries` entries, multi-disk archives, an entry count or directory size
//     that does not match the directory, data prepended before the archive.
// CRCs are not checked (PyTorch does not check them either, CVE-2025-10156): content is
// scanned as the loader would read it.

struct ZipEntry {
    var name: String
    var nameBytes: [UInt8]
    var flags: UInt16
    var method: UInt16
    var crc: UInt32
    var compressedSize: Int64
    var uncompressedSize: Int64
    var localHeaderOffset: Int64
    /// Where the member's (possibly compressed) data starts, from the local header; nil when
    /// the local header is unreadable.
    var dataOffset: Int64?

    var isDirectory: Bool { name.hasSuffix("/") && compressedSize == 0 }
}

struct ZipArchive<S: ByteSource> {
    let source: S
    private(set) var entries: [ZipEntry] = []
    private(set) var findings: [Finding] = []
    /// Where the central directory starts (entries must end before it).
    private(set) var centralDirectoryOffset: Int64 = 0

    static var maxEntries: Int { 100_000 }

    private let member: String?

    init(_ source: S, member: String?) {
        self.source = source
        self.member = member
        do {
            try read()
        } catch {
            findings.append(inconsistent(error.detail, offset: error.offset))
        }
    }

    private func inconsistent(_ detail: String, offset: Int64? = nil, entry: String? = nil) -> Finding {
        let name = [member, entry].compactMap { $0 }.joined(separator: "/")
        return Finding(verdict: .malformed, kind: "zip-inconsistent", detail: detail, offset: offset, member: name.isEmpty ? nil : name)
    }

    // MARK: End of central directory

    private mutating func read() throws(FormatError) {
        let size = source.size
        guard size >= 22 else { throw FormatError("too short to be a zip archive (\(size) bytes)", offset: 0) }
        let tailStart = max(0, size - (65_535 + 22))
        var cursor = FormatCursor(source, at: tailStart)
        let tail = try cursor.bytes(Int(size - tailStart), "zip tail")
        // The last signature wins, as in miniz and Python's zipfile.
        var eocdIndex: Int?
        var i = tail.count - 22
        while i >= 0 {
            if tail[i] == 0x50, tail[i + 1] == 0x4B, tail[i + 2] == 0x05, tail[i + 3] == 0x06 {
                eocdIndex = i
                break
            }
            i -= 1
        }
        guard let e = eocdIndex else {
            throw FormatError("no end-of-central-directory record in the last \(tail.count) bytes (truncated archive?)", offset: size)
        }
        let eocdOffset = tailStart + Int64(e)
        let disk = LittleEndian.u16(tail, e + 4), cdDisk = LittleEndian.u16(tail, e + 6)
        let diskEntries = LittleEndian.u16(tail, e + 8)
        var total = UInt64(LittleEndian.u16(tail, e + 10))
        var cdSize = UInt64(LittleEndian.u32(tail, e + 12))
        var cdOffset = UInt64(LittleEndian.u32(tail, e + 16))
        let commentLength = Int(LittleEndian.u16(tail, e + 20))
        if e + 22 + commentLength != tail.count {
            findings.append(inconsistent(
                "the archive comment length (\(commentLength)) does not match the bytes after the end record (\(tail.count - e - 22))",
                offset: eocdOffset))
        }
        var directoryEnd = eocdOffset

        // ZIP64: a locator right before the end record points at the ZIP64 end record.
        if eocdOffset >= 20 {
            var locator = FormatCursor(source, at: eocdOffset - 20)
            let loc = try locator.bytes(20)
            if LittleEndian.u32(loc, 0) == 0x0706_4B50 {
                let recordOffset = LittleEndian.u64(loc, 8)
                guard eocdOffset - 20 >= 56, recordOffset <= UInt64(eocdOffset - 20 - 56) else {
                    throw FormatError("ZIP64 end record offset \(recordOffset) is outside the file", offset: eocdOffset - 20)
                }
                var recordCursor = FormatCursor(source, at: Int64(recordOffset))
                let record = try recordCursor.bytes(56, "ZIP64 end record")
                guard LittleEndian.u32(record, 0) == 0x0606_4B50 else {
                    throw FormatError("ZIP64 end record signature missing", offset: Int64(recordOffset))
                }
                if LittleEndian.u32(record, 16) != 0 || LittleEndian.u32(record, 20) != 0 {
                    throw FormatError("multi-disk zip archives are not supported", offset: Int64(recordOffset))
                }
                total = LittleEndian.u64(record, 32)
                if LittleEndian.u64(record, 24) != total {
                    findings.append(inconsistent("ZIP64 entry counts disagree", offset: Int64(recordOffset)))
                }
                cdSize = LittleEndian.u64(record, 40)
                cdOffset = LittleEndian.u64(record, 48)
                directoryEnd = Int64(recordOffset)
            } else if total == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
                throw FormatError("ZIP64 values without a ZIP64 end record locator", offset: eocdOffset)
            }
        }
        if directoryEnd == eocdOffset {
            if disk != 0 || cdDisk != 0 { throw FormatError("multi-disk zip archives are not supported", offset: eocdOffset) }
            if UInt64(diskEntries) != total { findings.append(inconsistent("entry counts in the end record disagree", offset: eocdOffset)) }
        }
        guard total <= UInt64(Self.maxEntries) else {
            throw FormatError("the archive claims \(total) entries (more than \(Self.maxEntries))", offset: eocdOffset)
        }
        guard cdOffset <= UInt64(directoryEnd), cdSize <= UInt64(directoryEnd) - cdOffset else {
            throw FormatError("the central directory (offset \(cdOffset), size \(cdSize)) lies outside the file", offset: eocdOffset)
        }
        if cdOffset + cdSize != UInt64(directoryEnd) {
            // Python's zipfile shifts every offset by the difference ("prepended data"); miniz does not.
            findings.append(inconsistent(
                "the central directory ends at \(cdOffset + cdSize), not at the end record (\(directoryEnd)): loaders disagree on where entries are",
                offset: eocdOffset))
        }
        centralDirectoryOffset = Int64(cdOffset)
        try readCentralDirectory(offset: Int64(cdOffset), size: Int64(cdSize), expected: Int(total))
        try checkLocalHeaders()
        checkLayout()
    }

    // MARK: Central directory

    private mutating func readCentralDirectory(offset: Int64, size: Int64, expected: Int) throws(FormatError) {
        var cursor = FormatCursor(source, at: offset, limit: offset + size)
        var seen: [[UInt8]: Int] = [:]
        // miniz (PyTorch) looks names up ASCII-case-insensitively (TorchZipRecords).
        var seenFolded: [String: Int] = [:]
        while !cursor.atEnd {
            let at = cursor.position
            guard entries.count < Self.maxEntries else {
                throw FormatError("more than \(Self.maxEntries) entries", offset: at)
            }
            let h = try cursor.bytes(46, "central directory entry")
            guard LittleEndian.u32(h, 0) == 0x0201_4B50 else {
                throw FormatError("central directory entry signature missing", offset: at)
            }
            let nameBytes = try cursor.bytes(Int(LittleEndian.u16(h, 28)), "entry name")
            let extra = try cursor.bytes(Int(LittleEndian.u16(h, 30)), "entry extra field")
            try cursor.skip(Int64(LittleEndian.u16(h, 32)), "entry comment")
            var uncompressed = UInt64(LittleEndian.u32(h, 24))
            var compressed = UInt64(LittleEndian.u32(h, 20))
            var local = UInt64(LittleEndian.u32(h, 42))
            var startDisk = UInt32(LittleEndian.u16(h, 34))
            if uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF || startDisk == 0xFFFF {
                guard let z = Self.zip64Field(extra) else {
                    throw FormatError("entry needs a ZIP64 extra field and has none", offset: at)
                }
                var k = 0
                func next() throws(FormatError) -> UInt64 {
                    guard k + 8 <= z.count else { throw FormatError("ZIP64 extra field too short", offset: at) }
                    defer { k += 8 }
                    return LittleEndian.u64(z, k)
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                if compressed == 0xFFFF_FFFF { compressed = try next() }
                if local == 0xFFFF_FFFF { local = try next() }
                if startDisk == 0xFFFF {
                    guard k + 4 <= z.count else { throw FormatError("ZIP64 extra field too short", offset: at) }
                    startDisk = LittleEndian.u32(z, k)
                }
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            guard compressed <= UInt64(Int64.max), uncompressed <= UInt64(Int64.max), local <= UInt64(Int64.max) else {
                throw FormatError("entry `\(name)` has an impossible size or offset", offset: at)
            }
            if startDisk != 0 { findings.append(inconsistent("entry is on another disk", offset: at, entry: name)) }
            let entry = ZipEntry(
                name: name, nameBytes: nameBytes, flags: LittleEndian.u16(h, 8), method: LittleEndian.u16(h, 10),
                crc: LittleEndian.u32(h, 16), compressedSize: Int64(compressed), uncompressedSize: Int64(uncompressed),
                localHeaderOffset: Int64(local))
            if let previous = seen[nameBytes] {
                findings.append(inconsistent(
                    "duplicate entry name (entries \(previous) and \(entries.count)): loaders may pick different ones",
                    offset: at, entry: name))
            } else {
                seen[nameBytes] = entries.count
                let folded = TorchZipRecords.lower(nameBytes)
                if let previous = seenFolded[folded] {
                    findings.append(inconsistent(
                        "entry name differs from entry \(previous)'s only in letter case: PyTorch's reader (miniz) finds either one under that name, Python's zipfile tells them apart",
                        offset: at, entry: name))
                } else {
                    seenFolded[folded] = entries.count
                }
            }
            if entry.flags & 0x0001 != 0 || entry.flags & 0x0040 != 0 || entry.flags & 0x2000 != 0 {
                findings.append(inconsistent(
                    "entry is marked encrypted (flags 0x\(String(entry.flags, radix: 16))): Python's zipfile refuses it, PyTorch reads it as plain data",
                    offset: at, entry: name))
            }
            if entry.flags & 0x0020 != 0 {
                findings.append(inconsistent("entry is marked as compressed patched data (flag 0x20)", offset: at, entry: name))
            }
            entries.append(entry)
        }
        if entries.count != expected {
            findings.append(inconsistent(
                "the end record counts \(expected) entries but the central directory holds \(entries.count)",
                offset: offset))
        }
    }

    /// The data of the ZIP64 extended information extra field (id 1), if any.
    static func zip64Field(_ extra: [UInt8]) -> [UInt8]? {
        var i = 0
        while i + 4 <= extra.count {
            let id = LittleEndian.u16(extra, i), length = Int(LittleEndian.u16(extra, i + 2))
            let end = min(extra.count, i + 4 + length)
            if id == 1 { return Array(extra[(i + 4)..<end]) }
            i += 4 + length
        }
        return nil
    }

    // MARK: Local headers

    private mutating func checkLocalHeaders() throws(FormatError) {
        for index in entries.indices {
            let entry = entries[index]
            var cursor = FormatCursor(source, at: entry.localHeaderOffset)
            do {
                let h = try cursor.bytes(30, "local header")
                guard LittleEndian.u32(h, 0) == 0x0403_4B50 else {
                    findings.append(inconsistent("local header signature missing", offset: entry.localHeaderOffset, entry: entry.name))
                    continue
                }
                let localName = try cursor.bytes(Int(LittleEndian.u16(h, 26)), "local entry name")
                let extra = try cursor.bytes(Int(LittleEndian.u16(h, 28)), "local extra field")
                entries[index].dataOffset = cursor.position
                var problems: [String] = []
                if localName != entry.nameBytes {
                    problems.append("its local header names it `\(String(decoding: localName, as: UTF8.self))`")
                }
                let method = LittleEndian.u16(h, 8)
                if method != entry.method { problems.append("local method \(method) ≠ central \(entry.method)") }
                let localFlags = LittleEndian.u16(h, 6)
                if localFlags & 0x0001 != 0 && entry.flags & 0x0001 == 0 {
                    problems.append("the local header is marked encrypted and the central directory is not")
                }
                if entry.flags & 0x0008 == 0 && localFlags & 0x0008 == 0 {
                    let crc = LittleEndian.u32(h, 14)
                    var compressed = UInt64(LittleEndian.u32(h, 18)), uncompressed = UInt64(LittleEndian.u32(h, 22))
                    if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF, let z = Self.zip64Field(extra), z.count >= 16 {
                        uncompressed = LittleEndian.u64(z, 0)
                        compressed = LittleEndian.u64(z, 8)
                    }
                    if crc != entry.crc { problems.append("local CRC ≠ central CRC") }
                    if compressed != UInt64(entry.compressedSize) {
                        problems.append("local compressed size \(compressed) ≠ central \(entry.compressedSize)")
                    }
                    if uncompressed != UInt64(entry.uncompressedSize) {
                        problems.append("local size \(uncompressed) ≠ central \(entry.uncompressedSize)")
                    }
                }
                if !problems.isEmpty {
                    findings.append(inconsistent(
                        "local header disagrees with the central directory: " + problems.joined(separator: "; "),
                        offset: entry.localHeaderOffset, entry: entry.name))
                }
            } catch {
                findings.append(inconsistent(error.detail, offset: error.offset, entry: entry.name))
            }
        }
    }

    /// Entry ranges [local header, end of data) must not overlap, run past the end of the file
    /// or into the central directory.
    private mutating func checkLayout() {
        var ranges: [(start: Int64, end: Int64, name: String)] = []
        for entry in entries {
            guard let data = entry.dataOffset else { continue }
            let (end, overflow) = data.addingReportingOverflow(entry.compressedSize)
            if overflow || end > source.size {
                findings.append(inconsistent(
                    "entry data (\(entry.compressedSize) bytes at \(data)) runs past the end of the file (\(source.size) bytes)",
                    offset: entry.localHeaderOffset, entry: entry.name))
                continue
            }
            if end > centralDirectoryOffset {
                findings.append(inconsistent(
                    "entry data runs into the central directory (ends at \(end), directory at \(centralDirectoryOffset))",
                    offset: entry.localHeaderOffset, entry: entry.name))
            }
            if entry.method == 0, entry.compressedSize != entry.uncompressedSize {
                findings.append(inconsistent(
                    "stored entry has compressed size \(entry.compressedSize) ≠ size \(entry.uncompressedSize)",
                    offset: entry.localHeaderOffset, entry: entry.name))
            }
            ranges.append((entry.localHeaderOffset, end, entry.name))
        }
        ranges.sort { $0.start < $1.start }
        for i in ranges.indices.dropFirst() where ranges[i].start < ranges[i - 1].end {
            findings.append(inconsistent(
                "entry overlaps `\(ranges[i - 1].name)` (starts at \(ranges[i].start), before its end at \(ranges[i - 1].end))",
                offset: ranges[i].start, entry: ranges[i].name))
        }
    }

    // MARK: Member content

    enum Content {
        /// The member's bytes: a window of the archive (stored) or inflated into memory.
        case stored(SliceSource<S>)
        case inflated(MemorySource)
        case failed(Finding)
    }

    /// The first bytes of a member's uncompressed content (nil when it cannot be decoded).
    func prefix(of entry: ZipEntry, count: Int) -> [UInt8]? {
        guard let data = entry.dataOffset else { return nil }
        let raw = SliceSource(source, start: data, size: entry.compressedSize)
        switch entry.method {
        case 0: return try? raw.read(at: 0, count: count)
        case 8:
            switch Inflater.inflate(raw, limit: count) {
            case .complete(let bytes), .truncated(let bytes): return bytes
            case .failed: return nil
            }
        default: return nil
        }
    }

    /// The whole content of a member that must be inspected.
    func content(of entry: ZipEntry) -> Content {
        let label = [member, entry.name].compactMap { $0 }.joined(separator: "/")
        guard let data = entry.dataOffset else {
            return .failed(Scanner.malformed("member has no readable local header", member: label))
        }
        let raw = SliceSource(source, start: data, size: entry.compressedSize)
        switch entry.method {
        case 0:
            return .stored(raw)
        case 8:
            switch Inflater.inflate(raw, limit: Inflater.memberLimit) {
            case .complete(let bytes):
                if Int64(bytes.count) != entry.uncompressedSize, entry.flags & 0x0008 == 0 || entry.uncompressedSize != 0 {
                    return .failed(Finding(
                        verdict: .malformed, kind: "zip-inconsistent",
                        detail: "member inflates to \(bytes.count) bytes, the directory says \(entry.uncompressedSize)",
                        offset: entry.localHeaderOffset, member: label))
                }
                return .inflated(MemorySource(bytes))
            case .truncated:
                return .failed(Scanner.malformed(
                    "member too large to inspect (inflates to more than \(Inflater.memberLimit >> 20) MiB)",
                    offset: entry.localHeaderOffset, member: label))
            case .failed(let error):
                return .failed(Scanner.malformed(
                    "member cannot be inflated: \(error.detail)", offset: error.offset.map { $0 + data }, member: label))
            }
        default:
            return .failed(Scanner.malformed(
                "unsupported compression method \(entry.method)", offset: entry.localHeaderOffset, member: label))
        }
    }
}
