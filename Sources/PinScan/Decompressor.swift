internal import CArchive

// Compressed wrappers (bzip2, xz, LZMA-alone, lz4, zstd, gzip) and 7z archives, decoded by
// libarchive (see Sources/CArchive/shim.h for why a library): the loaders these files are meant
// for (joblib, pandas, `pickle.load(gzip.open(…))`, nullifAI's 7z) decompress them transparently
// and unpickle what comes out, so the scanner must see what comes out too.
//
// Every decode is bounded twice: an absolute cap on the bytes produced, and a cap on the ratio of
// bytes produced to the size of the compressed input (judged once the output is past a floor, so
// that a small, very compressible file is fine). Exceeding either is a bomb: a `FormatError` with
// the compressed offset reached, which the scanner reports as `malformed`. Nothing is ever
// allocated beyond the cap, and the decoded bytes are handed to the normal by-content scan.

enum Decompressor {
    /// The bounds on one decode (a stream, or all the members of one 7z archive together).
    struct Limits: Sendable {
        /// The most bytes a decode may produce.
        var maxOutput: Int
        /// The most bytes produced per compressed byte, once `ratioFloor` bytes were produced.
        var maxRatio: Int
        var ratioFloor: Int

        /// 256 MiB out, and at most 1000× the compressed size past 16 MiB. DEFLATE cannot exceed
        /// about 1032×, so ordinary gzip'd weights pass; a bz2 or xz run of zeros (millions to
        /// one) does not.
        static let standard = Limits(maxOutput: 256 << 20, maxRatio: 1000, ratioFloor: 16 << 20)
    }

    /// The decoder for a stream, chosen by the magic bytes that also make the loader choose it.
    enum Filter: String, Sendable {
        case gzip, bzip2, lzma, xz, lz4, zstd

        var code: pin_archive_filter {
            switch self {
            case .gzip: pin_archive_gzip
            case .bzip2: pin_archive_bzip2
            case .lzma: pin_archive_lzma
            case .xz: pin_archive_xz
            case .lz4: pin_archive_lz4
            case .zstd: pin_archive_zstd
            }
        }
    }

    /// The whole decoded content of a compressed stream (every gzip member, every xz or bzip2
    /// stream, as Python's modules read them), or why it cannot be had.
    static func stream(_ source: some ByteSource, filter: Filter, limits: Limits = .standard) -> Result<[UInt8], FormatError> {
        do throws(FormatError) {
            let reader = try ArchiveReader(source) { pin_archive_configure_stream($0, filter.code) != 0 }
            var output: [UInt8] = []
            var budget = Budget(limits: limits, inputSize: source.size)
            if try reader.nextEntry() != nil {
                try reader.readAll(into: &output, budget: &budget)
            }
            return .success(output)
        } catch {
            return .failure(error)
        }
    }

    /// The most entries one 7z archive may have.
    static let maxEntries = 100_000

    /// Each regular file of a 7z archive, decoded, in archive order; `body` gets its path and
    /// content. All members together share one budget.
    static func sevenZip(
        _ source: some ByteSource, limits: Limits = .standard, each body: (String, [UInt8]) -> Void
    ) -> FormatError? {
        do throws(FormatError) {
            let reader = try ArchiveReader(source) { pin_archive_configure_7zip($0) != 0 }
            var budget = Budget(limits: limits, inputSize: source.size)
            var count = 0
            while let entry = try reader.nextEntry() {
                count += 1
                guard count <= maxEntries else {
                    throw FormatError("7z archive has more than \(maxEntries) entries", offset: reader.inputPosition)
                }
                guard entry.regular else { continue }
                var output: [UInt8] = []
                try reader.readAll(into: &output, budget: &budget)
                body(entry.name, output)
            }
            return nil
        } catch {
            return error
        }
    }

    /// Bytes produced so far against the limits.
    struct Budget {
        let limits: Limits
        let inputSize: Int64
        var produced = 0

        mutating func add(_ count: Int, at offset: Int64) throws(FormatError) {
            produced += count
            if produced > limits.maxOutput {
                throw FormatError(
                    "decompression bomb: the content expands past \(limits.maxOutput >> 20) MiB, the most modelpin decompresses to inspect",
                    offset: offset)
            }
            if produced > limits.ratioFloor, Int64(produced) > Int64(limits.maxRatio) * max(inputSize, 1) {
                throw FormatError(
                    "decompression bomb: \(inputSize) compressed bytes expand past \(produced >> 20) MiB (more than \(limits.maxRatio)× their size)",
                    offset: offset)
            }
        }
    }
}

/// One libarchive read handle over a `ByteSource`. Owns the `struct archive` and frees it in
/// deinit; the input state the C callbacks use lives in `ArchiveInput`, kept alive by this object.
private final class ArchiveReader {
    private let handle: OpaquePointer
    private let input: ArchiveInput
    /// Where each decoded chunk lands before it is appended to the output.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    init(_ source: any ByteSource, configure: (OpaquePointer) -> Bool) throws(FormatError) {
        guard let handle = archive_read_new() else { throw FormatError("cannot allocate a decoder", offset: 0) }
        self.handle = handle
        input = ArchiveInput(source)
        guard configure(handle) else { throw failure("cannot set up the decoder") }
        let context = Unmanaged.passUnretained(input).toOpaque()
        guard pin_archive_open(handle, context, archiveRead, archiveSeek, archiveSkip) != 0 else {
            throw failure("not a valid stream")
        }
    }

    deinit {
        archive_read_free(handle)
        scratch.deallocate()
    }

    var inputPosition: Int64 { Int64(pin_archive_input_position(handle)) }

    func nextEntry() throws(FormatError) -> (name: String, regular: Bool)? {
        var entry: OpaquePointer?
        switch pin_archive_next(handle, &entry) {
        case 0: return nil
        case 1:
            guard let entry else { throw failure("entry without a header") }
            let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            return (name, pin_archive_entry_is_regular(entry) != 0)
        default: throw failure("invalid header")
        }
    }

    /// The current entry's data, appended to `output` chunk by chunk under `budget`.
    func readAll(into output: inout [UInt8], budget: inout Decompressor.Budget) throws(FormatError) {
        while true {
            let got = archive_read_data(handle, scratch.baseAddress, scratch.count)
            if got < 0 { throw failure("invalid compressed data") }
            if got == 0 { return }
            try budget.add(got, at: inputPosition)
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<got]))
        }
    }

    private func failure(_ what: String) -> FormatError {
        if let error = input.error { return FormatError(error.description, offset: input.position) }
        let detail = archive_error_string(handle).map { String(cString: $0) }
        return FormatError(detail.map { "\(what): \($0)" } ?? what, offset: inputPosition)
    }
}

/// What the C callbacks read from: the source, a position, and a buffer that stays valid until the
/// next read callback (libarchive's contract).
private final class ArchiveInput {
    static let chunk = 1 << 16
    let source: any ByteSource
    var position: Int64 = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
    var error: ScanReadError?

    init(_ source: any ByteSource) { self.source = source }
    deinit { buffer.deallocate() }
}

private func archiveInput(_ context: UnsafeMutableRawPointer?) -> ArchiveInput {
    Unmanaged<ArchiveInput>.fromOpaque(context!).takeUnretainedValue()
}

private let archiveRead: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int = {
    _, context, out in
    let input = archiveInput(context)
    let bytes: [UInt8]
    do throws(ScanReadError) {
        bytes = try input.source.read(at: input.position, count: ArchiveInput.chunk)
    } catch {
        input.error = error
        return -1
    }
    input.buffer.copyBytes(from: bytes)
    input.position += Int64(bytes.count)
    out?.pointee = UnsafeRawPointer(input.buffer.baseAddress)
    return bytes.count
}

private let archiveSeek: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = {
    _, context, offset, whence in
    let input = archiveInput(context)
    let target: Int64
    switch whence {
    case SEEK_SET: target = offset
    case SEEK_CUR: target = input.position + offset
    case SEEK_END: target = input.source.size + offset
    default: return -1
    }
    guard target >= 0, target <= input.source.size else { return -1 }
    input.position = target
    return target
}

private let archiveSkip: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int64) -> Int64 = {
    _, context, request in
    let input = archiveInput(context)
    let step = max(0, min(request, input.source.size - input.position))
    input.position += step
    return step
}
