import PinModel

// Datasets' binary formats: Parquet and Arrow IPC (the file form, also Feather v2, and the
// stream form `datasets` writes its `.arrow` shards in). Their readers (pyarrow, polars,
// DuckDB, pandas through pyarrow) decode columns of values and run no code — with one
// exception, which is what this scanner looks for: an Arrow extension type registered as
// `arrow.py_extension_type` carries a pickled Python object, and pyarrow 0.14–14.0.0
// unpickled it while reading IPC, Feather or Parquet data (CVE-2023-47248).
//
// What is checked, by structure rather than by name:
//  - Parquet: `PAR1` at both ends, and the footer length (the u32 before the closing `PAR1`)
//    within the file. An encrypted footer (`PARE`) is not recognised here.
//  - Arrow IPC file: `ARROW1` at both ends, and the footer length within the file.
//  - Arrow IPC stream: a first message that opens with the continuation marker `FFFFFFFF`
//    and a metadata length within the file, and the end-of-stream marker (`FFFFFFFF 00000000`)
//    at the end.
// Then the schema (the Parquet footer, where pyarrow keeps the Arrow schema base64-encoded
// under `ARROW:schema`; the Arrow schema message and footer) is searched for the extension name,
// raw and in each of its three base64 alignments. A hit is `unsafe`. A schema larger than
// `schemaLimit` is not searched: `unsupported`, as any content modelpin did not check.
// Column data is never read.

/// Parquet and Arrow IPC recognition and the pickled-extension-type check.
enum ColumnarScanner {
    enum Kind: String {
        case parquet
        case arrowFile = "arrow"
        case arrowStream = "arrow-stream"
    }

    static let parquetMagic = Array("PAR1".utf8)
    static let arrowMagic = Array("ARROW1".utf8)
    static let continuation: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
    static let endOfStream: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
    /// The most schema bytes searched (Parquet footers with row-group statistics of wide tables
    /// reach megabytes; a schema past this is not checked).
    static let schemaLimit: Int64 = 64 << 20

    /// The extension type whose metadata is a pickle, and its base64 spellings at offsets 0, 1
    /// and 2 mod 3 (the characters no neighbouring byte can change), as pyarrow stores the
    /// Arrow schema in a Parquet footer. Precomputed because PinScan has no base64 encoder and
    /// needs only these; `ColumnarTests` checks them against Foundation's.
    static let pickledExtension = "arrow.py_extension_type"
    static let pickledExtensionBase64 = ["YXJyb3cucHlfZXh0ZW5zaW9uX3R5c", "Fycm93LnB5X2V4dGVuc2lvbl90eX", "hcnJvdy5weV9leHRlbnNpb25fdHlw"]

    /// The format `source` is in, when it is one of these (`prefix`: its first bytes).
    static func recognise<S: ByteSource>(_ source: S, prefix: [UInt8]) -> Kind? {
        let size = source.size
        if Scanner.startsWith(prefix, parquetMagic), size >= 12, tail(source, 4) == parquetMagic { return .parquet }
        if Scanner.startsWith(prefix, arrowMagic), size >= 16, tail(source, 6) == arrowMagic { return .arrowFile }
        if Scanner.startsWith(prefix, continuation), prefix.count >= 8, size >= 16, tail(source, 8) == endOfStream { return .arrowStream }
        return nil
    }

    static func scan<S: ByteSource>(_ source: S, kind: Kind, member: String?) -> [Finding] {
        let regions: [(start: Int64, end: Int64)]
        switch region(source, kind: kind) {
        case .failure(let error): return [Scanner.malformed(error.detail, offset: error.offset, member: member)]
        case .success(let found): regions = found
        }
        for (start, end) in regions {
            guard end - start <= schemaLimit else {
                return [Finding(
                    verdict: .unsupported, kind: "unsupported",
                    detail: "\(kind.rawValue) schema of \(end - start) bytes: larger than modelpin searches for pickled extension types (refused with --strict)",
                    offset: start, member: member)]
            }
            guard let bytes = try? source.read(at: start, count: Int(end - start)), Int64(bytes.count) == end - start else {
                return [Scanner.malformed("cannot read the \(kind.rawValue) schema", offset: start, member: member)]
            }
            let needles = [pickledExtension] + (kind == .parquet ? pickledExtensionBase64 : [])
            for needle in needles {
                if let hit = ConfigScanner.find(Array(needle.utf8), in: bytes) {
                    return [Finding(
                        verdict: .unsafe, kind: "pickled-extension-type",
                        detail: "the schema declares the Arrow extension type `\(pickledExtension)`, whose metadata is a pickle that pyarrow before 14.0.1 loads when it reads the file (CVE-2023-47248)",
                        offset: start + Int64(hit), member: member)]
                }
            }
        }
        return []
    }

    /// Where the schema is, checked against the file's size: the Parquet footer; the Arrow
    /// file's first message and footer; the Arrow stream's first message.
    static func region<S: ByteSource>(_ source: S, kind: Kind) -> Result<[(start: Int64, end: Int64)], FormatError> {
        let size = source.size
        switch kind {
        case .parquet:
            let length = Int64(LittleEndian.u32(tail(source, 8), 0))
            guard length >= 1, length <= size - 12 else {
                return .failure(FormatError("Parquet footer length \(length) does not fit in a \(size)-byte file", offset: size - 8))
            }
            return .success([(size - 8 - length, size - 8)])
        case .arrowFile:
            let length = Int64(Int32(bitPattern: LittleEndian.u32(tail(source, 10), 0)))
            guard length >= 1, length <= size - 18 else {
                return .failure(FormatError("Arrow footer length \(length) does not fit in a \(size)-byte file", offset: size - 10))
            }
            let footer = (start: size - 10 - length, end: size - 10)
            // The stream that follows the 8-byte magic and padding starts with the schema message.
            switch message(source, at: 8, before: footer.start) {
            case .failure(let error): return .failure(error)
            case .success(let schema): return .success([schema, footer])
            }
        case .arrowStream:
            return message(source, at: 0, before: size - 8).map { [$0] }
        }
    }

    /// The metadata of the IPC message at `offset`: the continuation marker, a length, then
    /// that many bytes, all before `end`.
    static func message<S: ByteSource>(_ source: S, at offset: Int64, before end: Int64) -> Result<(start: Int64, end: Int64), FormatError> {
        guard let head = try? source.read(at: offset, count: 8), head.count == 8, Array(head[0..<4]) == continuation else {
            return .failure(FormatError("no Arrow IPC message (continuation marker) where the schema belongs", offset: offset))
        }
        let length = Int64(Int32(bitPattern: LittleEndian.u32(head, 4)))
        guard length >= 1, length <= end - offset - 8 else {
            return .failure(FormatError("Arrow schema message length \(length) does not fit before offset \(end)", offset: offset + 4))
        }
        return .success((offset + 8, offset + 8 + length))
    }

    /// The last `count` bytes of `source` (fewer if it is shorter, or unreadable).
    static func tail<S: ByteSource>(_ source: S, _ count: Int) -> [UInt8] {
        guard source.size >= Int64(count) else { return [] }
        return (try? source.read(at: source.size - Int64(count), count: count)) ?? []
    }
}
