// A small, bounded DEFLATE decoder (RFC 1951: stored, fixed and dynamic Huffman blocks), in the
// style of zlib's `contrib/puff`: PinScan links no zlib and no Foundation. It only ever runs on
// archive members that must be inspected (pickles, npy headers, config.json) and on zlib-wrapped
// files (gzip goes through libarchive, Decompressor.swift), and it stops at a caller-given output size: nothing is decoded that will not be
// looked at, and no input can make it allocate more than the limit.

enum Inflater {
    /// The most a member is inflated to for inspection.
    static let memberLimit = 64 << 20

    enum Outcome {
        /// The whole stream, which ended within the limit.
        case complete([UInt8])
        /// The first `limit` bytes; the stream has more.
        case truncated([UInt8])
        case failed(FormatError)
    }

    /// Raw DEFLATE data (a zip member with method 8).
    static func inflate<S: ByteSource>(_ source: S, limit: Int) -> Outcome {
        var state = InflateState(FormatCursor(source), limit: limit)
        return state.run()
    }

    /// A zlib stream (RFC 1950): 2-byte header, DEFLATE data, Adler-32 (not checked).
    static func zlib<S: ByteSource>(_ source: S, limit: Int) -> Outcome {
        guard let header = try? source.read(at: 0, count: 2), header.count == 2,
            header[0] & 0x0F == 8, (Int(header[0]) << 8 | Int(header[1])) % 31 == 0
        else { return .failed(FormatError("not a zlib stream", offset: 0)) }
        if header[1] & 0x20 != 0 { return .failed(FormatError("zlib preset dictionary is not supported", offset: 1)) }
        return inflate(SliceSource(source, start: 2, size: source.size - 2), limit: limit)
    }
}

/// Canonical Huffman code: `count[len]` codes of each length, `symbol` in canonical order.
private struct Huffman {
    var count = [Int](repeating: 0, count: 16)
    var symbol: [Int]

    /// Builds the code from code lengths. Returns 0 for a complete code, > 0 for an incomplete
    /// one, < 0 for an over-subscribed one.
    init(lengths: ArraySlice<Int>, left: inout Int) {
        symbol = [Int](repeating: 0, count: lengths.count)
        for len in lengths { count[len] += 1 }
        left = 1
        if count[0] == lengths.count { left = 0; return }
        for len in 1..<16 {
            left <<= 1
            left -= count[len]
            if left < 0 { return }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for len in 1..<15 { offsets[len + 1] = offsets[len] + count[len] }
        for (i, len) in lengths.enumerated() where len != 0 {
            symbol[offsets[len]] = i
            offsets[len] += 1
        }
    }
}

private enum InflateTables {
    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    static let fixed: (Huffman, Huffman) = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        var left = 0
        let lit = Huffman(lengths: lengths[...], left: &left)
        let dist = Huffman(lengths: [Int](repeating: 5, count: 30)[...], left: &left)
        return (lit, dist)
    }()
}

private struct InflateState<S: ByteSource> {
    var input: FormatCursor<S>
    let limit: Int
    var output: [UInt8] = []
    var bitBuffer: UInt64 = 0
    var bitCount = 0
    /// Set when the output reached the limit before the stream ended.
    var full = false

    init(_ input: FormatCursor<S>, limit: Int) {
        self.input = input
        self.limit = limit
        output.reserveCapacity(min(limit, 1 << 20))
    }

    mutating func run() -> Inflater.Outcome {
        do throws(FormatError) {
            var last = false
            while !last && !full {
                last = try bits(1) == 1
                switch try bits(2) {
                case 0: try stored()
                case 1: try codes(InflateTables.fixed.0, InflateTables.fixed.1)
                case 2: try dynamic()
                default: throw FormatError("invalid DEFLATE block type 3", offset: input.position)
                }
            }
        } catch {
            return .failed(error)
        }
        return full ? .truncated(output) : .complete(output)
    }

    private mutating func bits(_ need: Int) throws(FormatError) -> Int {
        while bitCount < need {
            guard !input.atEnd else { throw FormatError("DEFLATE data ends early", offset: input.position) }
            bitBuffer |= UInt64(try input.u8()) << UInt64(bitCount)
            bitCount += 8
        }
        let value = Int(bitBuffer & ((1 << UInt64(need)) - 1))
        bitBuffer >>= UInt64(need)
        bitCount -= need
        return value
    }

    private mutating func emit(_ byte: UInt8) {
        if output.count >= limit { full = true; return }
        output.append(byte)
    }

    private mutating func stored() throws(FormatError) {
        bitBuffer = 0
        bitCount = 0
        let length = Int(try input.u16())
        let complement = Int(try input.u16())
        guard length == ~complement & 0xFFFF else {
            throw FormatError("DEFLATE stored block length check fails", offset: input.position - 4)
        }
        let room = limit - output.count
        let take = min(length, room)
        output += try input.bytes(take, "DEFLATE stored block")
        if take < length { full = true }
    }

    private mutating func decode(_ h: Huffman) throws(FormatError) -> Int {
        var code = 0, first = 0, index = 0
        for len in 1..<16 {
            code |= try bits(1)
            let count = h.count[len]
            if code - count < first { return h.symbol[index + (code - first)] }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        throw FormatError("invalid DEFLATE Huffman code", offset: input.position)
    }

    private mutating func codes(_ lit: Huffman, _ dist: Huffman) throws(FormatError) {
        while !full {
            var symbol = try decode(lit)
            if symbol < 256 {
                emit(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                symbol -= 257
                guard symbol < 29 else { throw FormatError("invalid DEFLATE length symbol", offset: input.position) }
                let length = InflateTables.lengthBase[symbol] + (try bits(InflateTables.lengthExtra[symbol]))
                let ds = try decode(dist)
                guard ds < 30 else { throw FormatError("invalid DEFLATE distance symbol", offset: input.position) }
                let distance = InflateTables.distanceBase[ds] + (try bits(InflateTables.distanceExtra[ds]))
                guard distance <= output.count else {
                    throw FormatError("DEFLATE distance points before the start of the data", offset: input.position)
                }
                for _ in 0..<length {
                    emit(output[output.count - distance])
                    if full { return }
                }
            }
        }
    }

    private mutating func dynamic() throws(FormatError) {
        let nlen = try bits(5) + 257
        let ndist = try bits(5) + 1
        let ncode = try bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw FormatError("invalid DEFLATE dynamic block counts", offset: input.position) }
        var lengths = [Int](repeating: 0, count: 320)
        for i in 0..<ncode { lengths[InflateTables.codeLengthOrder[i]] = try bits(3) }
        var left = 0
        let lencode = Huffman(lengths: lengths[0..<19], left: &left)
        guard left == 0 else { throw FormatError("incomplete DEFLATE code-length code", offset: input.position) }
        var index = 0
        while index < nlen + ndist {
            var symbol = try decode(lencode)
            if symbol < 16 {
                lengths[index] = symbol
                index += 1
                continue
            }
            var value = 0
            if symbol == 16 {
                guard index > 0 else { throw FormatError("DEFLATE repeat with no previous length", offset: input.position) }
                value = lengths[index - 1]
                symbol = 3 + (try bits(2))
            } else if symbol == 17 {
                symbol = 3 + (try bits(3))
            } else {
                symbol = 11 + (try bits(7))
            }
            guard index + symbol <= nlen + ndist else { throw FormatError("too many DEFLATE code lengths", offset: input.position) }
            for _ in 0..<symbol {
                lengths[index] = value
                index += 1
            }
        }
        guard lengths[256] != 0 else { throw FormatError("DEFLATE block has no end-of-block code", offset: input.position) }
        let lit = Huffman(lengths: lengths[0..<nlen], left: &left)
        if left < 0 || (left > 0 && nlen - lit.count[0] != 1) {
            throw FormatError("invalid DEFLATE literal/length code", offset: input.position)
        }
        let dist = Huffman(lengths: lengths[nlen..<nlen + ndist], left: &left)
        if left < 0 || (left > 0 && ndist - dist.count[0] != 1) {
            throw FormatError("invalid DEFLATE distance code", offset: input.position)
        }
        try codes(lit, dist)
    }
}
