import PinModel

// The scan of a tar (see TarReader for how it is read): a legacy `torch.save` tar, a `.nemo`
// (NeMo's model archive), or any other tar a Python loader unpacks. Every member's content is
// scanned by content like a file, labelled with the member's name, except the three members a
// legacy torch tar unpickles, which are walked the way `torch.serialization.legacy_load` reads
// them. Link members are refused (extracting one follows it), and so are names that would be
// written outside the directory an archive is unpacked into.

enum TarScanner {
    static func scan<S: ByteSource>(
        _ source: S, member: String?, depth: Int, policy: ScanPolicy
    ) -> (format: String, findings: [Finding]) {
        let listing = TarReader.members(source)
        var findings: [Finding] = []
        let isTorch = listing.members.contains { $0.name == Array("storages".utf8) }
        for entry in listing.members {
            let label = [member, entry.label].compactMap { $0 }.joined(separator: "/")
            findings += judgeName(entry, label: label)
            guard entry.hasData else { continue }
            let content = SliceSource(source, start: entry.dataOffset, size: entry.size)
            if isTorch, let torch = TorchLegacyTar.scan(member: entry.name, content, label: label, policy: policy) {
                findings += torch
            } else if depth >= Scanner.maxDepth {
                findings.append(Scanner.malformed("archive nested more than \(Scanner.maxDepth) levels deep", offset: entry.headerOffset, member: label))
            } else {
                let scanned = Scanner.scanContent(content, member: label, depth: depth + 1, policy: policy)
                findings += scanned.findings
                findings += Scanner.memberNameExpectation(content, name: entry.label, format: scanned.format, label: label, policy: policy)
            }
        }
        if let error = listing.error {
            findings.append(Scanner.malformed("tar: \(error.detail)", offset: error.offset, member: member))
        }
        // torch.load reads a file as a pickle when tarfile fails on it, and `pickle.load` on a
        // tar unpickles its first header: a header that is also a pickle is judged as one. Only a
        // callable counts here; a tar that is no pickle (the usual case) adds nothing.
        if PickleScanner.looksLikePickle((try? source.read(at: 0, count: 16)) ?? []) {
            findings += PickleScanner.scan(source, member: member, policy: policy).filter { $0.verdict != .malformed && $0.callable != nil }
        }
        return (isTorch ? "pytorch-legacy-tar" : "tar", findings)
    }

    /// A link, an absolute name or a `..` component: unpacking the archive (NeMo extracts every
    /// member) would follow it or write outside the target directory.
    static func judgeName(_ entry: TarMember, label: String) -> [Finding] {
        if entry.isLink {
            return [Scanner.malformed(
                "tar member is a \(entry.type == TarReader.symlink ? "symbolic" : "hard") link: a loader that extracts it reads whatever it points to",
                kind: "tar-link", offset: entry.headerOffset, member: label)]
        }
        let parts = entry.name.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if entry.name.first == UInt8(ascii: "/") || parts.contains(where: { $0.elementsEqual("..".utf8) }) {
            return [Finding(
                verdict: .unsafe, kind: "path-traversal",
                detail: "tar member name `\(entry.label)` points outside the directory it is unpacked into",
                offset: entry.headerOffset, member: label)]
        }
        return []
    }
}

/// `torch.serialization.legacy_load` with `weights_only=False`: `storages` is a pickled count,
/// then per storage a pickled `(key, location, storage_type)`, an int64 element count and the raw
/// elements, then a pickled list of views; `tensors` is a pickled count, then per tensor a pickled
/// `(key, storage_id, type)` and its raw shape; `pickle` is the object, one pickle. Every pickle is
/// scanned; the raw parts are skipped by the sizes torch reads. What cannot be followed is
/// `malformed`: a scanner that loses its place would miss the pickles after it.
enum TorchLegacyTar {
    /// The findings of a member torch unpickles, or nil for a member it never reads.
    static func scan<S: ByteSource>(member name: [UInt8], _ content: S, label: String, policy: ScanPolicy) -> [Finding]? {
        switch String(decoding: name, as: UTF8.self) {
        case "pickle": PickleScanner.scan(content, member: label, policy: policy)
        case "storages": storages(content, label: label, policy: policy)
        case "tensors": tensors(content, label: label, policy: policy)
        default: nil
        }
    }

    static func storages<S: ByteSource>(_ content: S, label: String, policy: ScanPolicy) -> [Finding] {
        var findings: [Finding] = []
        do throws(FormatError) {
            var at: Int64 = 0
            let count = try countPickle(content, at: &at, label: label, policy: policy, findings: &findings)
            for _ in 0..<count {
                let start = at
                let args = try pickle(content, at: &at, label: label, policy: policy, findings: &findings)
                guard let elementSize = storageElementSize(args) else {
                    throw FormatError("storage record names no torch storage type modelpin knows the element size of", offset: start)
                }
                let header = try bytes(content, at: at, count: 8)
                let numel = Int64(bitPattern: LittleEndian.u64(header, 0))
                let (length, overflow) = numel.multipliedReportingOverflow(by: elementSize)
                guard numel >= 0, !overflow, length <= content.size - at - 8 else {
                    throw FormatError("storage of \(numel) elements runs past the end of `storages`", offset: at)
                }
                at += 8 + length
            }
            _ = try pickle(content, at: &at, label: label, policy: policy, findings: &findings)  // the storage views
        } catch {
            findings.append(Scanner.malformed("legacy torch `storages`: \(error.detail)", offset: error.offset, member: label))
        }
        return findings
    }

    static func tensors<S: ByteSource>(_ content: S, label: String, policy: ScanPolicy) -> [Finding] {
        var findings: [Finding] = []
        do throws(FormatError) {
            var at: Int64 = 0
            let count = try countPickle(content, at: &at, label: label, policy: policy, findings: &findings)
            for _ in 0..<count {
                _ = try pickle(content, at: &at, label: label, policy: policy, findings: &findings)
                let ndim = Int64(Int32(bitPattern: LittleEndian.u32(try bytes(content, at: at, count: 4), 0)))
                guard ndim >= 0, ndim <= 64 else { throw FormatError("tensor with \(ndim) dimensions", offset: at) }
                let length = 8 + 16 * ndim + 8  // ndim (as 8 bytes), sizes, strides, storage offset
                guard length <= content.size - at else { throw FormatError("tensor record runs past the end of `tensors`", offset: at) }
                at += length
            }
        } catch {
            findings.append(Scanner.malformed("legacy torch `tensors`: \(error.detail)", offset: error.offset, member: label))
        }
        return findings
    }

    /// Scans the pickle at `at` and moves past it; returns its bytes.
    private static func pickle<S: ByteSource>(
        _ content: S, at: inout Int64, label: String, policy: ScanPolicy, findings: inout [Finding]
    ) throws(FormatError) -> [UInt8] {
        guard let end = PickleExtent.end(of: content, from: at) else {
            findings += PickleScanner.scan(SliceSource(content, start: at, size: content.size - at), member: label, policy: policy)
            throw FormatError("a pickle torch reads here does not end", offset: at)
        }
        let slice = SliceSource(content, start: at, size: end - at)
        findings += PickleScanner.scan(slice, member: label, policy: policy)
        let data = try bytes(content, at: at, count: Int(min(end - at, 1 << 20)))
        at = end
        return data
    }

    /// The pickled count torch writes (`pickle.dump(len(...))`, protocol 2): an int and STOP.
    private static func countPickle<S: ByteSource>(
        _ content: S, at: inout Int64, label: String, policy: ScanPolicy, findings: inout [Finding]
    ) throws(FormatError) -> Int64 {
        let start = at
        let data = try pickle(content, at: &at, label: label, policy: policy, findings: &findings)
        guard let count = smallInt(data), count >= 0, count <= content.size / 9 else {
            throw FormatError("the record count is not a plain pickled integer", offset: start)
        }
        return count
    }

    /// `[PROTO n] (K b | M h | J i) STOP` or protocol 0 `I<digits>\n.`.
    static func smallInt(_ p: [UInt8]) -> Int64? {
        var i = 0
        if p.count >= 2, p[0] == 0x80 { i = 2 }
        guard i < p.count, p.last == 0x2E else { return nil }
        let body = Array(p[(i + 1)..<(p.count - 1)])
        switch p[i] {
        case 0x4B where body.count == 1: return Int64(body[0])
        case 0x4D where body.count == 2: return Int64(LittleEndian.u16(body, 0))
        case 0x4A where body.count == 4: return Int64(Int32(bitPattern: LittleEndian.u32(body, 0)))
        case 0x49 where body.last == 0x0A:
            return Int64(String(decoding: body.dropLast(), as: UTF8.self))
        default: return nil
        }
    }

    /// The element size of the storage class a `(key, location, storage_type)` pickle names
    /// (`GLOBAL 'torch FloatStorage'`, as torch writes it at protocol 2).
    static func storageElementSize(_ pickle: [UInt8]) -> Int64? {
        var found: Int64?
        for module in ["ctorch\n", "ctorch.cuda\n"].map({ Array($0.utf8) }) {
            var i = 0
            while i + module.count <= pickle.count {
                defer { i += 1 }
                guard pickle[i..<i + module.count].elementsEqual(module) else { continue }
                let name = pickle[(i + module.count)...].prefix { $0 != 0x0A }
                if let size = elementSizes[String(decoding: name, as: UTF8.self)] { found = size }
            }
        }
        return found
    }

    static let elementSizes: [String: Int64] = [
        "DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "LongStorage": 8,
        "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1,
        "ComplexDoubleStorage": 16, "ComplexFloatStorage": 8, "QUInt8Storage": 1, "QInt8Storage": 1,
        "QInt32Storage": 4, "QUInt4x2Storage": 1, "QUInt2x4Storage": 1,
    ]

    private static func bytes<S: ByteSource>(_ content: S, at: Int64, count: Int) throws(FormatError) -> [UInt8] {
        let data: [UInt8]
        do { data = try content.read(at: at, count: count) } catch {
            throw FormatError("cannot read: \(error.description)", offset: at)
        }
        guard data.count == count else { throw FormatError("unexpected end of data", offset: at + Int64(data.count)) }
        return data
    }
}
