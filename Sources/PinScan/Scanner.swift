import PinModel

// The front door of PinScan: recognises what a file is BY CONTENT (never by its name) and hands
// it to the scanner for that format. The path only labels the report.
//
// Recognition order (first match wins), and why:
//   0. no bytes at all → `empty`: safe (`.gitkeep`), but `malformed` under a name that promises
//      weights (`*.bin`, `*.safetensors`, …): a truncated upload must not pass as a model.
//   1. zip (`PK\3\4`, or `PK\5\6` for an empty archive): PyTorch ≥ 1.6 checkpoints, `.npz`,
//      Keras v3 `.keras`, TorchScript, or a generic zip whose members are scanned anyway.
//   2. legacy PyTorch (a pickled LONG1 magic number 0x1950a86a20f9469cfc6c first).
//   3. `.npy` (`\x93NUMPY`).
//   4. GGUF (`GGUF`).
//   5. HDF5 (`\x89HDF\r\n\x1a\n` at 0, 512, 1024 or 2048): Keras `.h5`.
//   6. safetensors (a little-endian u64 then `{`): checked before pickle because a header length
//      such as 0x0280 starts with the bytes of a pickle PROTO opcode.
//  6b. datasets' columnar data: Parquet (`PAR1` at both ends) and Arrow IPC (`ARROW1` at both
//      ends, or a stream from its first message to its end-of-stream marker): values, no code,
//      `safe` — unless the schema declares a pickled extension type (ColumnarScanner.swift).
//      Before pickle, since `P` is an opcode; a file that also unpickles to an import is a polyglot.
//   1b. tar (a first header Python's tarfile accepts): torch.load tries tarfile before anything
//      else on a non-zip file (the legacy torch.save tar), and `.nemo` is a tar (TarScanner).
//      A zip or a compressed stream that is also a tar is a polyglot: both views are scanned.
//   7. compressed streams (gzip, zlib, bz2, xz, LZMA-alone, lz4, zstd, 7z, old joblib `ZF`):
//      decoded within a size and ratio bound (a bomb is `malformed`) and their content scanned
//      like a file, since joblib and pickle loaders decompress them transparently.
//   8. pickle: content that starts with an opcode byte is walked as a pickle. Once the walk
//      reaches an import (GLOBAL, INST or STACK_GLOBAL naming a module that could exist: CPython's
//      unpickler imports right there, and an import runs code), the file is a pickle for good:
//      a parse failure after that point is `malformed` and keeps every finding made before it,
//      however printable the rest is. Before that point the unpickler only builds plain data, so
//      bytes that fail before any import cannot run code through `pickle.load`: they are a pickle
//      when they sniff as one (`PickleScanner.looksLikePickle`) unless they are valid text
//      (README files start with letters that are protocol-0 opcodes), and otherwise fall
//      through to the steps below.
//   9. ONNX (a protobuf ModelProto: ir_version first, graph or opset_import present).
//  9b. TensorFlow SavedModel / frozen GraphDef, sentencepiece (protobuf field layouts;
//      TensorFlowScanner.swift).
//  10. text (valid UTF-8, no NUL) → `text`, safe — unless it is a configuration that runs code
//      (ConfigScanner.swift: chat templates, `auto_map`, Hydra `_target_`).
//  11. anything else → `unknown`, verdict `unsupported`: content that is neither a container we
//      open nor a pickle by its first bytes cannot be loaded by `pickle.load`/`torch.load` (both
//      start unpickling at offset 0, or open it as a zip, which step 1 covers), so it is admitted
//      by default — but it was not checked, so it never reads as `safe`, and `--strict` refuses
//      it. Under a name loaders open as weights (`*.bin`, `*.pt`…) it is `malformed`.
//
// The extension may only ADD findings, never remove them: a file named `.safetensors` or
// `.gguf` whose content is not that format is `malformed`.

/// A format-level error: what went wrong and where (an offset in the scanned source).
struct FormatError: Error {
    var detail: String
    var offset: Int64?
    init(_ detail: String, offset: Int64? = nil) {
        self.detail = detail
        self.offset = offset
    }
}

/// Recognises a model file by its content and scans it with the matching format scanner.
public enum Scanner {
    /// Scans `source` (the bytes of the file at `path`; the path only labels the report).
    public static func scan(_ source: some ByteSource, path: String, policy: ScanPolicy) -> ScanReport {
        var (format, findings) = scanContent(source, member: nil, depth: 0, policy: policy)
        findings += extensionExpectation(path: path, format: format)
        findings += nameExpectation(source, path: path, format: &format, policy: policy)
        return ScanReport(path: path, format: format, findings: findings)
    }

    /// The deepest container nesting followed (zip in zip, gzip in zip…).
    static let maxDepth = 3
    /// How much of a member or file is read to recognise it.
    static let sniffLength = 4096

    /// Recognises and scans one file or archive member. `member` labels findings of content
    /// inside an archive.
    static func scanContent<S: ByteSource>(
        _ source: S, member: String?, depth: Int, policy: ScanPolicy
    ) -> (format: String, findings: [Finding]) {
        let prefix: [UInt8]
        do {
            prefix = try source.read(at: 0, count: sniffLength)
        } catch {
            return ("unknown", [malformed("cannot read: \(error.description)", kind: "read-error", member: member)])
        }
        if prefix.isEmpty { return ("empty", []) }

        if startsWith(prefix, [0x50, 0x4B, 0x03, 0x04]) || startsWith(prefix, [0x50, 0x4B, 0x05, 0x06])
            || startsWith(prefix, [0x50, 0x4B, 0x07, 0x08])
        {
            if depth >= maxDepth {
                return ("zip", [malformed("archive nested more than \(maxDepth) levels deep", member: member)])
            }
            let zip = ZipScanner.scan(source, member: member, depth: depth, policy: policy)
            guard TarReader.looksLikeTar(prefix) else { return zip }
            return (zip.format, zip.findings + [polyglot("a zip", "a tar", member: member)]
                + TarScanner.scan(source, member: member, depth: depth, policy: policy).findings)
        }
        // Before every other format: torch.load tries tarfile first on any file that is not a zip.
        if TarReader.looksLikeTar(prefix) {
            if depth >= maxDepth {
                return ("tar", [malformed("archive nested more than \(maxDepth) levels deep", offset: 0, member: member)])
            }
            let tar = TarScanner.scan(source, member: member, depth: depth, policy: policy)
            // joblib picks its decompressor by these same first bytes.
            guard let compression = compressionKind(prefix) else { return tar }
            return (tar.format, tar.findings + [polyglot("a tar", "a \(compression.rawValue) stream", member: member)]
                + scanCompressed(source, kind: compression, member: member, depth: depth, policy: policy).findings)
        }
        if TorchLegacy.hasMagic(prefix) {
            return ("pytorch-legacy", TorchLegacy.scan(source, member: member, policy: policy))
        }
        if startsWith(prefix, NumpyScanner.magic) {
            return ("numpy", NumpyScanner.scan(source, member: member, policy: policy))
        }
        if startsWith(prefix, Array("GGUF".utf8)) {
            return ("gguf", GGUFValidator.validate(source, member: member))
        }
        if KerasScanner.isHDF5(source, prefix: prefix) {
            var hdf5 = KerasScanner.scanHDF5(source, member: member, policy: policy)
            // The signature after a user block: the bytes before it are whatever the writer put
            // there, and `pickle.load` of the same file reads them (an HDF5/pickle polyglot).
            if !startsWith(prefix, KerasScanner.hdf5Magic), PickleOp.isOpcode[Int(prefix[0])],
                let pickle = scanPickle(source, prefix: prefix, member: member, policy: policy), pickle.format != "text"
            {
                hdf5.findings += pickle.findings
            }
            return hdf5
        }
        if SafeTensorsValidator.looksLikeSafeTensors(prefix) {
            return ("safetensors", SafeTensorsValidator.validate(source, member: member))
        }
        // Before pickle: `PAR1` starts with `P`, a pickle opcode (PERSID).
        if let kind = ColumnarScanner.recognise(source, prefix: prefix) {
            var findings = ColumnarScanner.scan(source, kind: kind, member: member)
            // Bytes `pickle.load` would also run to an import: a Parquet/pickle polyglot.
            if PickleScanner.mayReachImport(prefix, complete: Int64(prefix.count) == source.size) {
                let (pickle, reachedImport) = PickleScanner.walk(source, start: 0, end: source.size, depth: 0, policy: policy)
                if reachedImport { findings += [polyglot("\(kind.rawValue) data", "a pickle", member: member)] + pickle }
            }
            return (kind.rawValue, findings)
        }
        if let compression = compressionKind(prefix) {
            return scanCompressed(source, kind: compression, member: member, depth: depth, policy: policy)
        }
        if PickleOp.isOpcode[Int(prefix[0])], let judged = scanPickle(source, prefix: prefix, member: member, policy: policy) {
            return judged
        }
        if ONNXScanner.looksLikeONNX(source, prefix: prefix) {
            return ("onnx", ONNXScanner.scan(source, member: member, policy: policy))
        }
        if let kind = TensorFlowScanner.recognise(source, prefix: prefix) {
            return (kind.rawValue, TensorFlowScanner.scan(source, kind: kind, member: member))
        }
        if let magic = legacyGGML(prefix) {
            // GGUF's predecessors (llama.cpp before 2023-08, whisper.cpp): `.bin` files no pickle
            // loader opens. Recognised so they are not refused as unknown weights, but not
            // validated: `unsupported`, and said so.
            return ("ggml", [Finding(
                verdict: .unsupported, kind: "unsupported",
                detail: "legacy GGML file (`\(magic)` magic): recognised, but its structure is not checked (refused with --strict)",
                member: member)])
        }
        if looksLikeText(prefix, complete: Int64(prefix.count) == source.size) {
            return ConfigScanner.scanText(source, prefix: prefix, member: member, policy: policy) ?? ("text", [])
        }
        // YAML loaders (PyYAML, so OmegaConf and Hydra) read UTF-16 with a byte-order mark: such a
        // config is text too, and is judged as such.
        if let text = ConfigScanner.utf16Text(source, prefix: prefix) {
            return ConfigScanner.scanText(MemorySource(text), prefix: Array(text.prefix(sniffLength)), member: member, policy: policy)
                ?? ("text", [])
        }
        // Keras metadata in a format of its own (a SavedModel's `keras_metadata.pb`) still names
        // its layers in JSON: a Lambda layer there is code, whatever the container.
        let keras = mentions(source, "\"class_name\"", within: KerasScanner.searchLimit)
            ? KerasScanner.scanHDF5(source, member: member, policy: policy).findings : []
        return ("unknown", keras + [unsupported(member: member)])
    }

    /// Whether `needle` occurs in the first `limit` bytes of `source`, read in 1 MiB chunks and
    /// searched with memchr/memcmp (an unknown shard of gigabytes costs one fast pass over its
    /// head, not a Swift loop per byte). A read error counts as a mention: the caller then
    /// reads properly and reports it.
    static func mentions<S: ByteSource>(_ source: S, _ needle: String, within limit: Int64) -> Bool {
        let pattern = Array(needle.utf8)
        let chunk = 1 << 20
        var offset: Int64 = 0
        let end = min(source.size, limit)
        while offset < end {
            guard let bytes = try? source.read(at: offset, count: Int(min(Int64(chunk + pattern.count), end - offset))) else { return true }
            if bytes.isEmpty { return false }
            if ConfigScanner.find(pattern, in: bytes) != nil { return true }
            offset += Int64(chunk)
        }
        return false
    }

    /// A pickle stream (or a joblib file, which is one), or nil when the bytes are not one (see
    /// step 8 above): they fail before any import and do not sniff as a pickle, or they are text
    /// that fails to unpickle before any import.
    static func scanPickle<S: ByteSource>(
        _ source: S, prefix: [UInt8], member: String?, policy: ScanPolicy
    ) -> (format: String, findings: [Finding])? {
        let complete = Int64(prefix.count) == source.size
        let sniffed = PickleScanner.looksLikePickle(prefix)
        // Cheap first: most text and binary files fail within their first bytes, before any import.
        guard sniffed || PickleScanner.mayReachImport(prefix, complete: complete) else { return nil }
        var (findings, reachedImport) = PickleScanner.walk(source, start: 0, end: source.size, depth: 0, policy: policy)
        if let member {
            for index in findings.indices { findings[index].member = member }
        }
        let format = JoblibScanner.isJoblib(prefix) ? "joblib" : "pickle"
        if reachedImport { return (format, findings) }
        guard sniffed else { return nil }
        // Text that fails to unpickle before any import: what it "names" as callables are lines no
        // module can be called (`(c) 2024 the authors`), so they are not findings either.
        if looksLikeText(prefix, complete: complete), !findings.isEmpty, !findings.contains(where: { $0.verdict == .unsafe }),
            findings.contains(where: { $0.verdict == .malformed })
        {
            return ConfigScanner.scanText(source, prefix: prefix, member: member, policy: policy) ?? ("text", [])
        }
        return (format, findings)
    }

    // MARK: Compressed streams

    enum Compression: String {
        case gzip, zlib, bzip2, xz, lz4, zstd, sevenZip = "7z", joblibZlib = "joblib-zlib", lzma
    }

    static func compressionKind(_ p: [UInt8]) -> Compression? {
        if startsWith(p, [0x1F, 0x8B, 0x08]) { return .gzip }
        if p.count >= 2, p[0] & 0x0F == 8, p[0] >> 4 <= 7, (Int(p[0]) << 8 | Int(p[1])) % 31 == 0,
            p[1] & 0x20 == 0, [0x01, 0x5E, 0x9C, 0xDA].contains(p[1])
        {
            return .zlib
        }
        if p.count >= 4, startsWith(p, Array("BZh".utf8)), (0x31...0x39).contains(p[3]) { return .bzip2 }
        if startsWith(p, [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if startsWith(p, [0x04, 0x22, 0x4D, 0x18]) { return .lz4 }
        if startsWith(p, [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if startsWith(p, [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return .sevenZip }
        // joblib < 0.10 compressed files: "ZF", the length as `hex(n)` padded to 19 bytes, then zlib.
        // joblib reads the length with `int(x, 16)`, so `1f`, `0X1f` and ` 0x1f` all load.
        if p.count >= 21, startsWith(p, Array("ZF".utf8)),
            PythonInt.parse(p[2..<21], base: 16, whitespace: PythonInt.bytesWhitespace) != nil
        {
            return .joblibZlib
        }
        // LZMA-alone: joblib registers its lzma compressor under these two bytes, and opens it with
        // Python's lzma (FORMAT_AUTO), whose header check is strict; what fails it cannot load.
        if startsWith(p, [0x5D, 0x00]), plausibleLZMAHeader(p) { return .lzma }
        return nil
    }

    /// Every wrapper is decoded, within `Decompressor.Limits` (a bomb is `malformed`), and what
    /// comes out is scanned by content like a file: gzip, bzip2, xz, LZMA-alone, lz4, zstd and
    /// 7z through libarchive (Decompressor.swift); zlib and joblib's `ZF` through `Inflater`.
    static func scanCompressed<S: ByteSource>(
        _ source: S, kind: Compression, member: String?, depth: Int, policy: ScanPolicy
    ) -> (format: String, findings: [Finding]) {
        let format = kind == .joblibZlib ? "joblib" : kind.rawValue
        if depth >= maxDepth {
            return (format, [malformed("compressed content nested more than \(maxDepth) levels deep", offset: 0, member: member)])
        }
        let decoded: Result<[UInt8], FormatError>
        switch kind {
        case .gzip: decoded = Decompressor.stream(source, filter: .gzip)
        case .bzip2: decoded = Decompressor.stream(source, filter: .bzip2)
        case .xz: decoded = Decompressor.stream(source, filter: .xz)
        case .lz4: decoded = Decompressor.stream(source, filter: .lz4)
        case .zstd: decoded = Decompressor.stream(source, filter: .zstd)
        case .lzma:
            // liblzma allocates the dictionary the header asks for before decoding a byte.
            let header = (try? source.read(at: 1, count: 4)) ?? []
            guard header.count == 4, LittleEndian.u32(header, 0) <= 1 << 30 else {
                return (format, [malformed("LZMA dictionary size over 1 GiB (or header cut short)", offset: 1, member: member)])
            }
            decoded = Decompressor.stream(source, filter: .lzma)
        case .sevenZip:
            return scanSevenZip(source, member: member, depth: depth, policy: policy)
        case .zlib, .joblibZlib:
            decoded = inflateZlib(source, joblib: kind == .joblibZlib)
        }
        switch decoded {
        case .success(let bytes):
            let inner = scanContent(MemorySource(bytes), member: member, depth: depth + 1, policy: policy)
            return (format == "joblib" || inner.format == "joblib" ? "joblib" : format, inner.findings)
        case .failure(let error):
            if kind == .zlib, looksLikeText(try? source.read(at: 0, count: sniffLength), complete: source.size <= Int64(sniffLength)) {
                return ("text", [])
            }
            return (format, [malformed("invalid \(kind.rawValue) content: \(error.detail)", offset: error.offset ?? 0, member: member)])
        }
    }

    /// liblzma's "picky" LZMA-alone header check (lzma_auto_decoder, which Python's FORMAT_AUTO
    /// uses): a dictionary size of 2^n, 2^n + 2^(n-1) or UINT32_MAX, and an uncompressed size that
    /// is unknown (all ones) or below 2^38. Other files starting `5D 00` are not LZMA to joblib.
    static func plausibleLZMAHeader(_ p: [UInt8]) -> Bool {
        guard p.count >= 13 else { return false }
        let dictionary = LittleEndian.u32(p, 1)
        var rounded = dictionary &- 1
        for shift: UInt32 in [2, 3, 4, 8, 16] { rounded |= rounded >> shift }
        rounded &+= 1
        guard dictionary == UInt32.max || rounded == dictionary else { return false }
        let size = LittleEndian.u64(p, 5)
        return size == UInt64.max || size < 1 << 38
    }

    /// A zlib stream (joblib `compress=True`), or joblib's old `ZF` file: "ZF", then 19 bytes
    /// joblib reads with `int(…, 16)`, then one optional space, then zlib. Bounded like the rest.
    static func inflateZlib<S: ByteSource>(_ source: S, joblib: Bool) -> Result<[UInt8], FormatError> {
        var start: Int64 = 0
        if joblib {
            start = 21
            if (try? source.read(at: 21, count: 1)) == [0x20] { start = 22 }
        }
        let limits = Decompressor.Limits.standard
        let ratioBound = Int(min(Int64(limits.maxOutput), max(Int64(limits.ratioFloor), Int64(limits.maxRatio) * source.size)))
        switch Inflater.zlib(SliceSource(source, start: start, size: source.size - start), limit: ratioBound) {
        case .complete(let bytes): return .success(bytes)
        case .truncated:
            return .failure(FormatError(
                "decompression bomb: \(source.size) compressed bytes expand past \(ratioBound >> 20) MiB (limits: \(limits.maxOutput >> 20) MiB, \(limits.maxRatio)× past \(limits.ratioFloor >> 20) MiB)",
                offset: start))
        case .failed(let error): return .failure(FormatError(error.detail, offset: (error.offset ?? 0) + start))
        }
    }

    /// Each file in a 7z archive, scanned by content under its path (nullifAI hid pickles in 7z,
    /// which picklescan opened only for pickle-named members).
    static func scanSevenZip<S: ByteSource>(
        _ source: S, member: String?, depth: Int, policy: ScanPolicy
    ) -> (format: String, findings: [Finding]) {
        var findings: [Finding] = []
        let error = Decompressor.sevenZip(source) { name, bytes in
            let label = [member, name].compactMap { $0 }.joined(separator: "/")
            findings += scanContent(MemorySource(bytes), member: label, depth: depth + 1, policy: policy).findings
        }
        if let error {
            findings.append(malformed("invalid 7z archive: \(error.detail)", offset: error.offset ?? 0, member: member))
        }
        return ("7z", findings)
    }

    // MARK: Helpers

    /// A file two loaders would read as two different things (a zip that is also a tar: torch
    /// opens the zip, NeMo's tarfile the tar). Both views are scanned; no legitimate writer makes
    /// such a file, so it is `malformed` whatever they hold.
    static func polyglot(_ one: String, _ other: String, member: String?) -> Finding {
        malformed("the file is both \(one) and \(other): loaders would read different content from it",
                  kind: "polyglot", offset: 0, member: member)
    }

    static func malformed(
        _ detail: String, kind: String = "malformed", offset: Int64? = nil, member: String? = nil
    ) -> Finding {
        Finding(verdict: .malformed, kind: kind, detail: detail, offset: offset, member: member)
    }

    static func startsWith(_ bytes: [UInt8], _ magic: [UInt8]) -> Bool {
        bytes.count >= magic.count && bytes[0..<magic.count].elementsEqual(magic)
    }

    /// Valid UTF-8 (a sequence cut by the end of `prefix` is allowed unless `complete`) with no
    /// NUL and no control characters other than tab, newline, carriage return and form feed.
    static func looksLikeText(_ prefix: [UInt8]?, complete: Bool) -> Bool {
        guard let prefix, !prefix.isEmpty else { return false }
        var i = 0
        while i < prefix.count {
            let b = prefix[i]
            if b < 0x80 {
                if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C { return false }
                if b == 0x7F { return false }
                i += 1
                continue
            }
            let length: Int
            if b & 0xE0 == 0xC0, b >= 0xC2 { length = 2 }
            else if b & 0xF0 == 0xE0 { length = 3 }
            else if b & 0xF8 == 0xF0, b <= 0xF4 { length = 4 }
            else { return false }
            if i + length > prefix.count { return !complete }
            for k in 1..<length where prefix[i + k] & 0xC0 != 0x80 { return false }
            i += length
        }
        return true
    }

    /// Names that promise model weights: such a file with no content at all is broken (a truncated
    /// upload or a failed conversion), while an empty `.gitkeep` or `__init__.py` is fine.
    static let weightSuffixes = [
        ".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".safetensors", ".gguf", ".ggml", ".onnx",
        ".npy", ".npz", ".joblib", ".h5", ".hdf5", ".keras", ".msgpack", ".tflite", ".pb", ".nemo", ".mar",
    ]

    /// The magic of a legacy GGML file (a little-endian u32 tag, so `ggjt` is stored `tjgg`).
    static func legacyGGML(_ prefix: [UInt8]) -> String? {
        guard prefix.count >= 8 else { return nil }
        for magic in ["ggml", "ggmf", "ggjt", "ggla", "ggsn"] where startsWith(prefix, Array(magic.utf8.reversed())) {
            return magic
        }
        return nil
    }

    /// Content no scanner here recognises: not checked, so not `safe` (see Verdict.unsupported).
    static func unsupported(member: String?) -> Finding {
        Finding(
            verdict: .unsupported, kind: "unsupported",
            detail: "content in no format modelpin recognises: it was not checked (refused with --strict)", member: member)
    }

    /// Names that promise weights a loader unpickles or opens as a container (`torch.load`,
    /// `joblib.load`, NeMo's restore, Keras): such a file whose content is not recognised must not
    /// pass as merely `unsupported` — a loader may find in it what the scanner could not.
    static let loadedWeightSuffixes = [".bin", ".pt", ".pth", ".ckpt", ".pkl", ".joblib", ".nemo", ".h5", ".keras"]

    /// What a name adds: weights that are not recognised are `malformed`; a `*.py` file is the
    /// repository's own code (`remote-code`); a `*.jinja` text is a chat template and is checked.
    static func nameExpectation<S: ByteSource>(
        _ source: S, path: String, format: inout String, policy: ScanPolicy
    ) -> [Finding] {
        let lower = path.lowercased()
        if format == "unknown", let suffix = loadedWeightSuffixes.first(where: { lower.hasSuffix($0) }) {
            return [malformed(
                "named `*\(suffix)`, which loaders open as weights, but its content is in no format modelpin recognises; check the file, or rename it if it is not weights",
                kind: "unrecognised-weights", offset: 0)]
        }
        if lower.hasSuffix(".py") {
            if format == "text" || format == "empty" { format = "python" }
            return [ConfigScanner.remoteCode(
                "Python source in the repository: `trust_remote_code` and custom pipelines import it", offset: nil, member: nil, policy: policy)]
        }
        if (lower.hasSuffix(".jinja") || lower.hasSuffix(".j2")), format == "text", source.size <= ConfigScanner.limit {
            format = "jinja"
            do {
                var cursor = FormatCursor(source)
                return ConfigScanner.chatTemplate(try cursor.bytes(Int(source.size)), name: "template", at: 0, member: nil, exactOffsets: true)
            } catch {
                return [malformed("cannot read: \(error.detail)", offset: error.offset)]
            }
        }
        return []
    }

    /// `nameExpectation` for an archive member: loaders act on member names as they do on file
    /// names (NeMo's restore_from calls torch.load on `model_weights.ckpt` from its tar), so
    /// the same rules apply, and each finding is labelled with the member. `name` is the
    /// member's name in the archive (`./model_weights.ckpt` from a tar: only its end matters).
    static func memberNameExpectation<S: ByteSource>(
        _ content: S, name: String, format: String, label: String, policy: ScanPolicy
    ) -> [Finding] {
        var format = format
        var findings = nameExpectation(content, path: name, format: &format, policy: policy)
        for index in findings.indices where findings[index].member == nil { findings[index].member = label }
        return findings
    }

    /// Whether a member's name alone calls for it to be read (weights a loader opens, Python
    /// source, a template): a zip member no content rule picks is otherwise not read at all.
    static func hasNameRule(_ name: String) -> Bool {
        let lower = name.lowercased()
        return loadedWeightSuffixes.contains { lower.hasSuffix($0) } || [".py", ".jinja", ".j2"].contains { lower.hasSuffix($0) }
    }

    /// A file whose name promises a strict format that its content does not have.
    static func extensionExpectation(path: String, format: String) -> [Finding] {
        let lower = path.lowercased()
        if format == "empty", let suffix = weightSuffixes.first(where: { lower.hasSuffix($0) }) {
            return [malformed("zero-length file named `*\(suffix)`: a model file cannot be empty", offset: 0)]
        }
        for (suffix, expected) in [(".safetensors", "safetensors"), (".gguf", "gguf")]
        where lower.hasSuffix(suffix) && format != expected {
            return [malformed("named `*\(suffix)` but its content is not \(expected) (recognised as \(format))")]
        }
        return []
    }
}

/// Buffered, bounds-checked little-endian reading of a `ByteSource` in `[start, limit)`.
struct FormatCursor<S: ByteSource> {
    let source: S
    let limit: Int64
    private(set) var position: Int64
    private var buffer: [UInt8] = []
    private var bufferStart: Int64 = 0
    private static var chunk: Int { 1 << 16 }

    init(_ source: S, at position: Int64 = 0, limit: Int64? = nil) {
        self.source = source
        self.position = position
        self.limit = min(limit ?? source.size, source.size)
    }

    var remaining: Int64 { limit - position }
    var atEnd: Bool { position >= limit }

    mutating func seek(to offset: Int64) { position = offset }

    mutating func skip(_ count: Int64, _ what: @autoclosure () -> String = "data") throws(FormatError) {
        guard count >= 0, count <= remaining else {
            throw FormatError("\(what()) (\(count) bytes) runs past the end", offset: position)
        }
        position += count
    }

    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String = "data") throws(FormatError) -> [UInt8] {
        guard count >= 0, Int64(count) <= remaining else {
            throw FormatError("\(what()) (\(count) bytes) runs past the end", offset: position)
        }
        if count == 0 { return [] }
        let inBuffer = position - bufferStart
        if position >= bufferStart, inBuffer + Int64(count) <= Int64(buffer.count) {
            let start = Int(inBuffer)
            position += Int64(count)
            return Array(buffer[start..<start + count])
        }
        if count >= Self.chunk {
            let data = try read(at: position, count: count)
            position += Int64(count)
            return data
        }
        buffer = try read(at: position, count: Int(min(Int64(Self.chunk), remaining)))
        bufferStart = position
        position += Int64(count)
        return Array(buffer[0..<count])
    }

    private func read(at offset: Int64, count: Int) throws(FormatError) -> [UInt8] {
        let data: [UInt8]
        do { data = try source.read(at: offset, count: count) } catch {
            throw FormatError("cannot read: \(error.description)", offset: offset)
        }
        guard data.count >= count else { throw FormatError("unexpected end of data", offset: offset + Int64(data.count)) }
        return data
    }

    mutating func u8() throws(FormatError) -> UInt8 {
        if position >= bufferStart, position - bufferStart < Int64(buffer.count), position < limit {
            let b = buffer[Int(position - bufferStart)]
            position += 1
            return b
        }
        return try bytes(1)[0]
    }

    mutating func le(_ width: Int) throws(FormatError) -> UInt64 {
        let b = try bytes(width)
        return LittleEndian.read(b, 0, width)
    }

    mutating func u16() throws(FormatError) -> UInt16 { UInt16(try le(2)) }
    mutating func u32() throws(FormatError) -> UInt32 { UInt32(try le(4)) }
    mutating func u64() throws(FormatError) -> UInt64 { try le(8) }
}

enum LittleEndian {
    static func read(_ bytes: [UInt8], _ at: Int, _ width: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in stride(from: width - 1, through: 0, by: -1) { value = value << 8 | UInt64(bytes[at + i]) }
        return value
    }
    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(read(b, at, 2)) }
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(read(b, at, 4)) }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { read(b, at, 8) }
}
