// Legacy (pre-1.6, non-zip) PyTorch checkpoints: five pickles back to back — the magic number
// 0x1950a86a20f9469cfc6c (a LONG1), the protocol version, sys_info, the main object, the list of
// storage keys — followed by raw storage bytes. `torch.load` unpickles all five, so all five are
// scanned (stopping at the first, as some tools did, misses payloads in the later ones); the
// storage bytes are never unpickled and are skipped. When the five pickles cannot be delimited
// the whole file is scanned as a pickle stream, which reports why.

enum TorchLegacy {
    static let magicNumber: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// PROTO n, (FRAME,) LONG1 10 <magic>.
    static func hasMagic(_ p: [UInt8]) -> Bool {
        guard p.count >= 2, p[0] == 0x80, (2...5).contains(p[1]) else { return false }
        var i = 2
        if p.count > i, p[i] == 0x95 { i += 9 }
        guard p.count >= i + 12, p[i] == 0x8A, p[i + 1] == 0x0A else { return false }
        return p[(i + 2)..<(i + 12)].elementsEqual(magicNumber)
    }

    static func scan<S: ByteSource>(_ source: S, member: String?, policy: ScanPolicy) -> [Finding] {
        var end: Int64 = 0
        for _ in 0..<5 {
            guard let next = PickleExtent.end(of: source, from: end) else {
                return PickleScanner.scan(source, member: member, policy: policy)
            }
            end = next
        }
        return PickleScanner.scan(SliceSource(source, start: 0, size: end), member: member, policy: policy)
    }
}

/// Finds where a pickle ends (just past its STOP opcode) by walking opcode arguments only; it
/// interprets nothing. Used to delimit the pickles of container formats; the pickles themselves
/// are analysed by `PickleScanner`.
enum PickleExtent {
    static func end<S: ByteSource>(of source: S, from start: Int64) -> Int64? {
        var cursor = FormatCursor(source, at: start)
        do {
            while true {
                let op = try cursor.u8()
                switch op {
                case 0x2E: return cursor.position  // STOP
                // No argument.
                case 0x28, 0x30, 0x31, 0x32, 0x4E, 0x88, 0x89, 0x52, 0x62, 0x61, 0x65, 0x64, 0x7D, 0x6C, 0x5D, 0x74,
                    0x29, 0x85, 0x86, 0x87, 0x73, 0x75, 0x6F, 0x81, 0x92, 0x93, 0x94, 0x8F, 0x90, 0x91, 0x51, 0x97, 0x98:
                    continue
                // One newline-terminated line.
                case 0x49, 0x4C, 0x46, 0x53, 0x56, 0x50, 0x67, 0x70:
                    try line(&cursor)
                // Two lines: GLOBAL, INST.
                case 0x63, 0x69:
                    try line(&cursor)
                    try line(&cursor)
                case 0x4B, 0x68, 0x71, 0x80, 0x82: try cursor.skip(1)
                case 0x4D, 0x83: try cursor.skip(2)
                case 0x4A, 0x6A, 0x72, 0x84: try cursor.skip(4)
                case 0x47, 0x95: try cursor.skip(8)
                case 0x55, 0x43, 0x8C, 0x8A: try cursor.skip(Int64(try cursor.u8()))
                case 0x54, 0x42, 0x58, 0x8B:
                    let n = Int32(bitPattern: try cursor.u32())
                    guard n >= 0 else { return nil }
                    try cursor.skip(Int64(n))
                case 0x8D, 0x8E, 0x96:
                    let n = try cursor.u64()
                    guard n <= UInt64(Int64.max) else { return nil }
                    try cursor.skip(Int64(n))
                default:
                    return nil
                }
            }
        } catch {
            return nil
        }
    }

    private static func line<S: ByteSource>(_ cursor: inout FormatCursor<S>) throws(FormatError) {
        var length = 0
        while try cursor.u8() != 0x0A {
            length += 1
            guard length < 1 << 20 else { throw FormatError("line too long") }
        }
    }
}
