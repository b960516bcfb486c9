// safetensors validation, following huggingface/safetensors `tensor.rs` (checked against 0.8.0)
// and stricter where the crate is lenient (a `{` first byte, duplicate keys):
//   - file ≥ 8 bytes; header length N (u64 LE) with 0 < N ≤ 100 000 000 and 8 + N ≤ file size;
//   - the header is UTF-8 JSON: an object of name → {dtype, shape, data_offsets} (exactly those
//     fields) plus an optional `__metadata__` object of string → string;
//   - dtype is a known safetensors dtype; shape holds non-negative integers; data_offsets is
//     [begin, end] of non-negative integers with begin ≤ end;
//   - numel × dtype bits (checked) is a whole number of bytes equal to end − begin;
//   - sorted by offset, tensors tile the data region exactly: no gap, no overlap, the first at 0,
//     the last ending at file size − 8 − N.
// Tensor data is never read.

enum SafeTensorsValidator {
    static let maxHeader: UInt64 = 100_000_000
    /// Reported problems per file; more are summarised.
    static let maxFindings = 20

    /// Bits per element of each safetensors dtype.
    static let dtypeBits: [String: Int] = [
        "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8,
        "F8_E8M0": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
        "C64": 64, "F64": 64, "I64": 64, "U64": 64,
    ]

    /// A u64 header length then `{`, where the first 8 bytes are not text (a JSON document
    /// starting with `{` has printable bytes there).
    static func looksLikeSafeTensors(_ prefix: [UInt8]) -> Bool {
        guard prefix.count >= 9, prefix[8] == 0x7B else { return false }
        return prefix[0..<8].contains { $0 == 0 || $0 >= 0x80 }
    }

    static func validate<S: ByteSource>(_ source: S, member: String?) -> [Finding] {
        var problems: [FormatError] = []
        do {
            try validate(source, problems: &problems)
        } catch {
            problems.append(error)
        }
        var findings = problems.prefix(maxFindings).map {
            Scanner.malformed("invalid safetensors: \($0.detail)", offset: $0.offset, member: member)
        }
        if problems.count > maxFindings {
            findings.append(Scanner.malformed("invalid safetensors: \(problems.count - maxFindings) more problems", member: member))
        }
        return findings
    }

    private static func validate<S: ByteSource>(_ source: S, problems: inout [FormatError]) throws(FormatError) {
        let size = source.size
        guard size >= 8 else { throw FormatError("file is \(size) bytes, shorter than the 8-byte header length", offset: 0) }
        var cursor = FormatCursor(source)
        let n = try cursor.u64()
        guard n > 0 else { throw FormatError("header length is 0", offset: 0) }
        guard n <= maxHeader else { throw FormatError("header length \(n) exceeds \(maxHeader) bytes", offset: 0) }
        guard 8 + Int64(n) <= size else {
            throw FormatError("header length \(n) runs past the end of the \(size)-byte file", offset: 0)
        }
        let headerBytes = try cursor.bytes(Int(n), "header")
        guard headerBytes.first == 0x7B else { throw FormatError("header does not start with `{`", offset: 8) }
        let header = try ScanJSONParser.parse(headerBytes, base: 8, maxDepth: 8)
        guard case .object(let members) = header else { throw FormatError("header is not a JSON object", offset: 8) }
        let dataStart = 8 + Int64(n)
        let dataSize = size - dataStart

        var tensors: [(name: String, begin: Int64, end: Int64)] = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let entries) = value else {
                    problems.append(FormatError("`__metadata__` is not an object", offset: 8))
                    continue
                }
                for (key, item) in entries where item.stringValue == nil {
                    problems.append(FormatError("`__metadata__` value of `\(key)` is not a string", offset: 8))
                }
                continue
            }
            do {
                tensors.append(try tensor(name, value, dataSize: dataSize))
            } catch {
                problems.append(error)
            }
        }
        guard problems.isEmpty else { return }

        tensors.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected: Int64 = 0
        for t in tensors {
            if t.begin > expected {
                problems.append(FormatError(
                    "gap before tensor `\(t.name)`: data [\(expected), \(t.begin)) belongs to no tensor", offset: dataStart + expected))
            } else if t.begin < expected {
                problems.append(FormatError(
                    "tensor `\(t.name)` [\(t.begin), \(t.end)) overlaps the previous tensor (which ends at \(expected))",
                    offset: dataStart + t.begin))
            }
            expected = max(expected, t.end)
        }
        if expected != dataSize {
            problems.append(FormatError(
                "tensors cover \(expected) bytes but the data region holds \(dataSize): the file has trailing or missing data",
                offset: dataStart + min(expected, dataSize)))
        }
    }

    private static func tensor(_ name: String, _ value: ScanJSON, dataSize: Int64) throws(FormatError) -> (name: String, begin: Int64, end: Int64) {
        guard case .object(let fields) = value else { throw FormatError("tensor `\(name)` is not an object", offset: 8) }
        let keys = Set(fields.map(\.key))
        guard keys == ["dtype", "shape", "data_offsets"] else {
            throw FormatError("tensor `\(name)` has fields \(fields.map(\.key).sorted()), not dtype, shape and data_offsets", offset: 8)
        }
        guard let dtype = value["dtype"]?.stringValue, let bits = dtypeBits[dtype] else {
            throw FormatError("tensor `\(name)` has an unknown dtype", offset: 8)
        }
        guard case .array(let dims) = value["shape"]! else { throw FormatError("tensor `\(name)` shape is not an array", offset: 8) }
        var numel: Int64 = 1
        for dim in dims {
            guard case .integer(let d) = dim, d >= 0 else {
                throw FormatError("tensor `\(name)` shape holds something other than a non-negative integer", offset: 8)
            }
            let (p, overflow) = numel.multipliedReportingOverflow(by: d)
            guard !overflow else { throw FormatError("tensor `\(name)` element count overflows", offset: 8) }
            numel = p
        }
        guard case .array(let offsets) = value["data_offsets"]!, offsets.count == 2,
            case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1], begin >= 0, end >= 0
        else {
            throw FormatError("tensor `\(name)` data_offsets is not [begin, end] of non-negative integers", offset: 8)
        }
        guard begin <= end else { throw FormatError("tensor `\(name)` data_offsets [\(begin), \(end)] ends before it begins", offset: 8) }
        guard end <= dataSize else {
            throw FormatError("tensor `\(name)` data_offsets end \(end) is past the data region (\(dataSize) bytes)", offset: 8)
        }
        let (totalBits, overflow) = numel.multipliedReportingOverflow(by: Int64(bits))
        guard !overflow else { throw FormatError("tensor `\(name)` size overflows", offset: 8) }
        guard totalBits % 8 == 0 else { throw FormatError("tensor `\(name)` of \(dtype) is not a whole number of bytes", offset: 8) }
        guard totalBits / 8 == end - begin else {
            throw FormatError(
                "tensor `\(name)` has \(end - begin) bytes but shape \(numel) × \(dtype) needs \(totalBits / 8)", offset: 8)
        }
        return (name, begin, end)
    }
}
