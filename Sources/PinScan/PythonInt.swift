// Python's `int(text, base)` grammar, by hand because the fields that use it are read by Python
// and nothing else: joblib's old `ZF` header (`int(length, 16)`) and the numeric fields of a tar
// header (`int(field.strip() or "0", 8)` in tarfile's `nti`). To read those bytes the way the
// loader does, the scanner must accept what Python accepts: surrounding whitespace, a sign, a
// `0x`/`0o` prefix, and single underscores between digits (one may follow the prefix).

enum PythonInt {
    /// Python's `bytes.isspace()` / `Py_ISSPACE`: what `int(b"…", base)` skips.
    static let bytesWhitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
    /// `str.isspace()` on ASCII, which also holds the four separators 0x1C–0x1F: what tarfile's
    /// `s.strip()` removes from a field decoded as ASCII.
    static let stringWhitespace: Set<UInt8> = bytesWhitespace.union([0x1C, 0x1D, 0x1E, 0x1F])

    struct Parsed: Equatable {
        var value: Int64
        /// Only digits (and the surrounding whitespace): the form every other reader reads the same.
        var plain: Bool
    }

    /// The value Python reads, or nil where Python raises ValueError (or the value does not fit in
    /// 64 bits, which no field here can legitimately hold).
    static func parse(_ text: ArraySlice<UInt8>, base: Int, whitespace: Set<UInt8>) -> Parsed? {
        var bytes = text
        while let first = bytes.first, whitespace.contains(first) { bytes.removeFirst() }
        while let last = bytes.last, whitespace.contains(last) { bytes.removeLast() }
        var plain = true
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            bytes.removeFirst()
            plain = false
        }
        let marker: UInt8? = base == 16 ? UInt8(ascii: "x") : base == 8 ? UInt8(ascii: "o") : nil
        if let marker, bytes.count >= 2, bytes.first == UInt8(ascii: "0"), bytes[bytes.startIndex + 1] | 0x20 == marker {
            bytes.removeFirst(2)
            plain = false
            if bytes.first == UInt8(ascii: "_") { bytes.removeFirst() }
        }
        guard let first = bytes.first, first != UInt8(ascii: "_"), bytes.last != UInt8(ascii: "_") else { return nil }
        var value: Int64 = 0
        var previousUnderscore = false
        for byte in bytes {
            if byte == UInt8(ascii: "_") {
                guard !previousUnderscore else { return nil }
                previousUnderscore = true
                plain = false
                continue
            }
            previousUnderscore = false
            guard let digit = digitValue(byte), digit < base else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: Int64(base))
            let (sum, o2) = shifted.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return Parsed(value: negative ? -value : value, plain: plain)
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
