// joblib files are pickle streams (joblib.numpy_pickle): they are scanned as pickles. Compressed
// joblib files (zlib, gzip, bz2, xz, LZMA-alone, lz4, or the old `ZF` format) are handled by
// `Scanner.scanCompressed`: decoded within bounds and scanned like any file.
//
// Uncompressed joblib writes each numpy array's raw bytes INSIDE the pickle stream, right after
// its NumpyArrayWrapper object; the pickle analyzer skips them exactly as joblib reads them
// (PickleJoblib.swift), so the opcodes after every array are still inspected.

enum JoblibScanner {
    private static let marker = Array("NumpyArrayWrapper".utf8)

    /// A pickle whose first bytes name joblib's array wrapper.
    static func isJoblib(_ prefix: [UInt8]) -> Bool {
        guard prefix.count >= marker.count else { return false }
        var i = 0
        while i + marker.count <= prefix.count {
            if prefix[i] == marker[0], prefix[i..<i + marker.count].elementsEqual(marker) { return true }
            i += 1
        }
        return false
    }
}
