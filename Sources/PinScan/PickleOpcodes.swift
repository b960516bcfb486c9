#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pickle opcodes, protocols 0–5 (CPython `Lib/pickletools.py`).
enum PickleOp {
    static var mark: UInt8 { 0x28 }  // (
    static var stop: UInt8 { 0x2E }  // .
    static var pop: UInt8 { 0x30 }  // 0
    static var popMark: UInt8 { 0x31 }  // 1
    static var dup: UInt8 { 0x32 }  // 2
    static var float: UInt8 { 0x46 }  // F
    static var int: UInt8 { 0x49 }  // I
    static var binInt: UInt8 { 0x4A }  // J
    static var binInt1: UInt8 { 0x4B }  // K
    static var long: UInt8 { 0x4C }  // L
    static var binInt2: UInt8 { 0x4D }  // M
    static var none: UInt8 { 0x4E }  // N
    static var persId: UInt8 { 0x50 }  // P
    static var binPersId: UInt8 { 0x51 }  // Q
    static var reduce: UInt8 { 0x52 }  // R
    static var string: UInt8 { 0x53 }  // S
    static var binString: UInt8 { 0x54 }  // T
    static var shortBinString: UInt8 { 0x55 }  // U
    static var unicode: UInt8 { 0x56 }  // V
    static var binUnicode: UInt8 { 0x58 }  // X
    static var append: UInt8 { 0x61 }  // a
    static var build: UInt8 { 0x62 }  // b
    static var global: UInt8 { 0x63 }  // c
    static var dict: UInt8 { 0x64 }  // d
    static var emptyDict: UInt8 { 0x7D }  // }
    static var appends: UInt8 { 0x65 }  // e
    static var get: UInt8 { 0x67 }  // g
    static var binGet: UInt8 { 0x68 }  // h
    static var inst: UInt8 { 0x69 }  // i
    static var longBinGet: UInt8 { 0x6A }  // j
    static var list: UInt8 { 0x6C }  // l
    static var emptyList: UInt8 { 0x5D }  // ]
    static var obj: UInt8 { 0x6F }  // o
    static var put: UInt8 { 0x70 }  // p
    static var binPut: UInt8 { 0x71 }  // q
    static var longBinPut: UInt8 { 0x72 }  // r
    static var setItem: UInt8 { 0x73 }  // s
    static var tuple: UInt8 { 0x74 }  // t
    static var emptyTuple: UInt8 { 0x29 }  // )
    static var setItems: UInt8 { 0x75 }  // u
    static var binFloat: UInt8 { 0x47 }  // G
    // Protocol 2
    static var proto: UInt8 { 0x80 }
    static var newObj: UInt8 { 0x81 }
    static var ext1: UInt8 { 0x82 }
    static var ext2: UInt8 { 0x83 }
    static var ext4: UInt8 { 0x84 }
    static var tuple1: UInt8 { 0x85 }
    static var tuple2: UInt8 { 0x86 }
    static var tuple3: UInt8 { 0x87 }
    static var newTrue: UInt8 { 0x88 }
    static var newFalse: UInt8 { 0x89 }
    static var long1: UInt8 { 0x8A }
    static var long4: UInt8 { 0x8B }
    // Protocol 3
    static var binBytes: UInt8 { 0x42 }  // B
    static var shortBinBytes: UInt8 { 0x43 }  // C
    // Protocol 4
    static var shortBinUnicode: UInt8 { 0x8C }
    static var binUnicode8: UInt8 { 0x8D }
    static var binBytes8: UInt8 { 0x8E }
    static var emptySet: UInt8 { 0x8F }
    static var addItems: UInt8 { 0x90 }
    static var frozenSet: UInt8 { 0x91 }
    static var newObjEx: UInt8 { 0x92 }
    static var stackGlobal: UInt8 { 0x93 }
    static var memoize: UInt8 { 0x94 }
    static var frame: UInt8 { 0x95 }
    // Protocol 5
    static var byteArray8: UInt8 { 0x96 }
    static var nextBuffer: UInt8 { 0x97 }
    static var readonlyBuffer: UInt8 { 0x98 }

    /// Every byte that is an opcode in some protocol.
    static let isOpcode: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in Array("(.012FIJKLMNPQRSTUVXabcd}eghijl]opqrst)uGBC".utf8) { table[Int(byte)] = true }
        for byte in 0x80...0x98 { table[byte] = true }
        return table
    }()

    /// Opcodes a protocol-0/1 pickle plausibly starts with (protocol 2+ starts with PROTO).
    static let plausibleFirst: Set<UInt8> = Set(Array("(]})cIiLFSVNPKJMGXUTBC".utf8)).union([0x88, 0x89, 0x8C, 0x95])
}

/// A forward reader over `[start, end)` of a byte source through a fixed window, so a large
/// pickle streams in bounded memory. Absolute offsets are those of the scanned source.
struct PickleInput {
    let source: any ByteSource
    let end: Int64
    let buffer: UnsafeMutablePointer<UInt8>
    let capacity: Int
    /// Absolute offset of `buffer[0]`.
    var bufferStart: Int64
    /// Valid bytes in the buffer.
    var count = 0
    /// Index of the next byte.
    var pos = 0
    var readError: ScanReadError?

    init(source: any ByteSource, start: Int64, end: Int64, capacity: Int) {
        self.source = source
        self.end = max(start, min(end, source.size))
        self.capacity = max(64, capacity)
        buffer = .allocate(capacity: self.capacity)
        bufferStart = start
    }

    func deallocate() { buffer.deallocate() }

    @inline(__always) var offset: Int64 { bufferStart + Int64(pos) }
    @inline(__always) var available: Int { count - pos }
    var remaining: Int64 { end - offset }

    /// Makes at least `needed` (≤ capacity) bytes available; false at the end of the range.
    mutating func fill(_ needed: Int) -> Bool {
        if count - pos >= needed { return true }
        let keep = count - pos
        if pos > 0 {
            if keep > 0 { memmove(buffer, buffer + pos, keep) }
            bufferStart += Int64(pos)
            pos = 0
            count = keep
        }
        while count < needed {
            let wanted = Int(min(Int64(capacity - count), end - (bufferStart + Int64(count))))
            if wanted <= 0 || readError != nil { break }
            let bytes: [UInt8]
            do {
                bytes = try source.read(at: bufferStart + Int64(count), count: wanted)
            } catch {
                readError = error
                break
            }
            if bytes.isEmpty { break }
            let copied = min(bytes.count, wanted)
            bytes.withUnsafeBufferPointer { (buffer + count).update(from: $0.baseAddress!, count: copied) }
            count += copied
        }
        return count - pos >= needed
    }

    /// Moves `length` bytes forward without reading them; false if that passes the end.
    mutating func skip(_ length: Int64) -> Bool {
        if length <= Int64(available) {
            pos += Int(length)
            return true
        }
        guard length <= remaining else { return false }
        bufferStart = offset + length
        count = 0
        pos = 0
        return true
    }

    /// Up to `length` bytes at absolute `at` (from the window when they are still in it).
    func peek(at: Int64, length: Int) -> [UInt8] {
        let clamped = Int(max(0, min(Int64(length), end - at)))
        if clamped == 0 { return [] }
        if at >= bufferStart, at + Int64(clamped) <= bufferStart + Int64(count) {
            let start = Int(at - bufferStart)
            return Array(UnsafeBufferPointer(start: buffer + start, count: clamped))
        }
        return (try? source.read(at: at, count: clamped)) ?? []
    }

    @inline(__always) func byte(_ index: Int) -> UInt8 { buffer[pos + index] }

    /// Little-endian unsigned integer of `width` bytes at the read position (must be available).
    @inline(__always) func uint(_ width: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in (0..<width).reversed() { value = value << 8 | UInt64(buffer[pos + index]) }
        return value
    }

    /// A text line (protocol 0 operands) without its `\n`: the first `keep` bytes and the full
    /// length. Nil when the range ends before the newline.
    mutating func readLine(keep: Int) -> (kept: [UInt8], length: Int64)? {
        var kept: [UInt8] = []
        var length: Int64 = 0
        while true {
            if available == 0, !fill(1) { return nil }
            let base = buffer + pos
            let span = available
            let found = memchr(base, 0x0A, span)
            let lineBytes = found.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? span
            let take = min(lineBytes, keep - kept.count)
            if take > 0 { kept.append(contentsOf: UnsafeBufferPointer(start: base, count: take)) }
            length += Int64(lineBytes)
            if found != nil {
                pos += lineBytes + 1
                return (kept, length)
            }
            pos += span
        }
    }
}
