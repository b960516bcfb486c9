// GGUF validation (ggml `docs/gguf.md`, checked against gguf-py 0.19.0). GGUF holds no code, so
// the risk is a parser bug in the loader: every count and length is checked against the file
// before it is used, and tensor data is never read.
//   - magic `GGUF`, version 2 or 3;
//   - tensor and metadata counts ≤ 1 000 000 each;
//   - keys and string values: u64 length inside the file (and ≤ 64 MiB); duplicate keys rejected;
//   - value types 0…12; arrays: element type valid, count bounded by the bytes left, nesting ≤ 4;
//   - `general.alignment` (if present) a u32 power of two;
//   - tensor infos: unique name, 1 ≤ n_dims ≤ 4, dimensions > 0 with a product that does not
//     overflow, a known ggml type, first dimension a multiple of the type's block size, offset a
//     multiple of the alignment; the data of each tensor (aligned data section start + offset +
//     size) inside the file.
// The one piece of GGUF that is code: `tokenizer.chat_template` (and the named
// `tokenizer.chat_template.<name>` variants), Jinja that llama.cpp's bindings render; each is
// checked by JinjaCheck, with findings at the template's byte offset in the file.

enum GGUFValidator {
    static let maxCount: UInt64 = 1_000_000
    static let maxString: UInt64 = 64 << 20
    static let maxArrayDepth = 4

    /// ggml type → (block size in elements, bytes per block). Removed types (4, 5, 31–33, 36–38
    /// in older files) are included where their layout is known.
    static let ggmlTypes: [UInt32: (block: Int64, bytes: Int64)] = [
        0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
        10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
        16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
        23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
        31: (32, 18), 32: (32, 18), 33: (32, 18), 34: (256, 54), 35: (256, 66), 36: (32, 18), 37: (32, 18),
        38: (32, 18), 39: (32, 17),
    ]

    static func validate<S: ByteSource>(_ source: S, member: String?) -> [Finding] {
        var templates: [(key: String, offset: Int64, length: Int64)] = []
        do {
            try check(source, templates: &templates)
        } catch {
            return [Scanner.malformed("invalid GGUF: \(error.detail)", offset: error.offset, member: member)]
        }
        var findings: [Finding] = []
        for template in templates {
            do {
                var cursor = FormatCursor(source, at: template.offset)
                let bytes = try cursor.bytes(Int(template.length), "chat template")
                findings += ConfigScanner.chatTemplate(bytes, name: "`\(template.key)`", at: template.offset, member: member, exactOffsets: true)
            } catch {
                findings.append(Scanner.malformed("cannot read `\(template.key)`: \(error.detail)", offset: error.offset, member: member))
            }
        }
        return findings
    }

    static func isChatTemplate(_ key: String) -> Bool {
        key == "tokenizer.chat_template" || key.hasPrefix("tokenizer.chat_template.")
    }

    private static func check<S: ByteSource>(
        _ source: S, templates: inout [(key: String, offset: Int64, length: Int64)]
    ) throws(FormatError) {
        var c = FormatCursor(source)
        let magic = try c.bytes(4, "magic")
        guard magic == Array("GGUF".utf8) else { throw FormatError("missing GGUF magic", offset: 0) }
        let version = try c.u32()
        guard version == 2 || version == 3 else { throw FormatError("unsupported version \(version)", offset: 4) }
        let tensorCount = try c.u64()
        let kvCount = try c.u64()
        guard tensorCount <= maxCount else { throw FormatError("tensor count \(tensorCount) exceeds \(maxCount)", offset: 8) }
        guard kvCount <= maxCount else { throw FormatError("metadata count \(kvCount) exceeds \(maxCount)", offset: 16) }
        // Each entry needs at least 8 (key length) + 4 (type) bytes; each tensor 8 + 4 + 4 + 8.
        guard kvCount * 12 + tensorCount * 24 <= UInt64(c.remaining) else {
            throw FormatError("\(kvCount) metadata entries and \(tensorCount) tensors cannot fit in the file", offset: 8)
        }

        var alignment: Int64 = 32
        var keys = Set<String>()
        for _ in 0..<kvCount {
            let at = c.position
            let key = try string(&c, "metadata key")
            guard keys.insert(key).inserted else { throw FormatError("duplicate metadata key `\(key)`", offset: at) }
            let type = try c.u32()
            if key == "general.alignment" {
                guard type == 4 else { throw FormatError("general.alignment is not a u32", offset: at) }
                let value = Int64(try c.u32())
                guard value > 0, value & (value - 1) == 0 else {
                    throw FormatError("general.alignment \(value) is not a power of two", offset: at)
                }
                alignment = value
            } else if isChatTemplate(key), type == 8 {
                let length = try c.u64()
                guard length <= maxString, length <= UInt64(c.remaining) else {
                    throw FormatError("`\(key)` length \(length) runs past the end of the file", offset: at)
                }
                templates.append((key, c.position, Int64(length)))
                try c.skip(Int64(length))
            } else {
                try skipValue(&c, type: type, depth: 0)
            }
        }

        var names = Set<String>()
        var tensors: [(name: String, offset: Int64, size: Int64, at: Int64)] = []
        for _ in 0..<tensorCount {
            let at = c.position
            let name = try string(&c, "tensor name")
            guard names.insert(name).inserted else { throw FormatError("duplicate tensor name `\(name)`", offset: at) }
            let nDims = try c.u32()
            guard (1...4).contains(nDims) else { throw FormatError("tensor `\(name)` has \(nDims) dimensions", offset: at) }
            var dims: [Int64] = []
            var count: Int64 = 1
            for _ in 0..<nDims {
                let d = try c.u64()
                guard d > 0, d <= UInt64(Int64.max) else { throw FormatError("tensor `\(name)` has dimension \(d)", offset: at) }
                let (p, overflow) = count.multipliedReportingOverflow(by: Int64(d))
                guard !overflow else { throw FormatError("tensor `\(name)` element count overflows", offset: at) }
                count = p
                dims.append(Int64(d))
            }
            let type = try c.u32()
            guard let layout = ggmlTypes[type] else { throw FormatError("tensor `\(name)` has unknown ggml type \(type)", offset: at) }
            guard dims[0] % layout.block == 0 else {
                throw FormatError("tensor `\(name)` first dimension \(dims[0]) is not a multiple of the block size \(layout.block)", offset: at)
            }
            let (size, overflow) = (count / layout.block).multipliedReportingOverflow(by: layout.bytes)
            guard !overflow else { throw FormatError("tensor `\(name)` size overflows", offset: at) }
            let offset = try c.u64()
            guard offset <= UInt64(Int64.max) else { throw FormatError("tensor `\(name)` offset \(offset) is impossible", offset: at) }
            tensors.append((name, Int64(offset), size, at))
        }

        let headerEnd = c.position
        let dataStart = (headerEnd + alignment - 1) / alignment * alignment
        guard dataStart <= source.size || tensors.isEmpty else {
            throw FormatError("the data section starts past the end of the file", offset: headerEnd)
        }
        let dataSize = source.size - dataStart
        for t in tensors {
            guard t.offset % alignment == 0 else {
                throw FormatError("tensor `\(t.name)` offset \(t.offset) is not a multiple of the alignment \(alignment)", offset: t.at)
            }
            let (end, overflow) = t.offset.addingReportingOverflow(t.size)
            guard !overflow, end <= dataSize else {
                throw FormatError(
                    "tensor `\(t.name)` data (\(t.size) bytes at data offset \(t.offset)) runs past the end of the file",
                    offset: t.at)
            }
        }
    }

    private static func string<S: ByteSource>(_ c: inout FormatCursor<S>, _ what: String) throws(FormatError) -> String {
        let at = c.position
        let length = try c.u64()
        guard length <= maxString, length <= UInt64(c.remaining) else {
            throw FormatError("\(what) length \(length) runs past the end of the file", offset: at)
        }
        return String(decoding: try c.bytes(Int(length), what), as: UTF8.self)
    }

    /// Fixed-size scalar value types → byte size.
    private static func scalarSize(_ type: UInt32) -> Int64? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 10, 11, 12: 8
        default: nil
        }
    }

    private static func skipValue<S: ByteSource>(_ c: inout FormatCursor<S>, type: UInt32, depth: Int) throws(FormatError) {
        let at = c.position
        if let size = scalarSize(type) {
            try c.skip(size, "metadata value")
            return
        }
        switch type {
        case 8:
            let length = try c.u64()
            guard length <= maxString, length <= UInt64(c.remaining) else {
                throw FormatError("string value length \(length) runs past the end of the file", offset: at)
            }
            try c.skip(Int64(length))
        case 9:
            guard depth < maxArrayDepth else { throw FormatError("arrays nested more than \(maxArrayDepth) deep", offset: at) }
            let elementType = try c.u32()
            let count = try c.u64()
            let minimum: Int64 = scalarSize(elementType) ?? (elementType == 8 ? 8 : 12)
            guard elementType <= 12 else { throw FormatError("array element type \(elementType) is not valid", offset: at) }
            guard count <= UInt64(c.remaining) / UInt64(minimum) else {
                throw FormatError("array of \(count) elements runs past the end of the file", offset: at)
            }
            if let size = scalarSize(elementType) {
                try c.skip(Int64(count) * size)
            } else {
                for _ in 0..<count { try skipValue(&c, type: elementType, depth: depth + 1) }
            }
        default:
            throw FormatError("metadata value type \(type) is not valid", offset: at)
        }
    }
}
