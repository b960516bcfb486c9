// The decoders behind the compressed wrappers (libarchive: gzip, bzip2, xz, LZMA-alone, lz4,
// zstd, 7z) under small limits, on arbitrary bytes: no crash, no output past the cap, the same
// answer twice. The decoder is the one the input's magic selects, else one picked by its first byte.
@testable import PinScan

private let limits = Decompressor.Limits(maxOutput: 4 << 20, maxRatio: 1000, ratioFloor: 1 << 20)
private let filters: [Decompressor.Filter] = [.gzip, .bzip2, .lzma, .xz, .lz4, .zstd]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecompress(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let source = MemorySource(bytes)
    if Scanner.compressionKind(bytes) == .sevenZip || bytes.first.map({ $0 % 7 == 6 }) == true {
        var total = 0
        let error = Decompressor.sevenZip(source, limits: limits) { _, data in total += data.count }
        precondition(total <= limits.maxOutput, "7z output past the cap")
        _ = error
        return 0
    }
    let filter: Decompressor.Filter
    switch Scanner.compressionKind(bytes) {
    case .gzip: filter = .gzip
    case .bzip2: filter = .bzip2
    case .xz: filter = .xz
    case .lzma: filter = .lzma
    case .lz4: filter = .lz4
    case .zstd: filter = .zstd
    default: filter = filters[Int(bytes.first ?? 0) % filters.count]
    }
    if filter == .lzma, bytes.count >= 5, LittleEndian.u32(bytes, 1) > 1 << 30 { return 0 }  // the scanner refuses these first
    let first = Decompressor.stream(source, filter: filter, limits: limits)
    let second = Decompressor.stream(source, filter: filter, limits: limits)
    switch (first, second) {
    case (.success(let a), .success(let b)):
        precondition(a == b && a.count <= limits.maxOutput, "decode not deterministic or past the cap")
    case (.failure(let a), .failure(let b)):
        precondition(a.detail == b.detail && a.offset == b.offset, "decode errors differ")
    default:
        preconditionFailure("the same bytes decoded once and failed once")
    }
    return 0
}
