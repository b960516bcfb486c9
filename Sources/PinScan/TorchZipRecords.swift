// Which members of a zip `torch.load` reads, and how: PyTorch's PyTorchStreamReader
// (caffe2/serialize/inline_container.cc) over miniz.
//   - The archive name is the first path component of the FIRST central-directory entry; every
//     record is looked up as `<archive>/<record>` (a first entry without `/` makes torch refuse
//     the file).
//   - miniz looks names up with `mz_zip_reader_locate_file(…, flags 0)`: a binary search over the
//     sorted directory that compares names ASCII-case-insensitively, so `archive/DATA.PKL` is the
//     record `data.pkl`, and two names that differ only in case are one record to torch (which
//     of them it gets depends on the sort) while Python's zipfile sees two.
//   - `torch.load` unpickles `data.pkl` (TorchScript's `torch.jit.load` also `constants.pkl`);
//     the tensors of each are raw storage records `<archive>/data/<key>` (`constants/<key>`),
//     read as bytes and never unpickled. A storage record is judged as those bytes: whatever a
//     float32 tensor happens to start with, it is not a pickle to torch. numpy's `np.load`
//     reads any member that starts with the `.npy` magic, so such a record is still a `.npy`.
//   - Every other member is scanned by content (ZipScanner): torch does not read it, but other
//     loaders of the same zip (np.load on an `.npz`, code that opens a member and unpickles it)
//     may, and a pickle there has no reason to be in a checkpoint.

struct TorchZipRecords {
    /// `<archive>/` in ASCII lower case, when the zip is laid out as a PyTorch archive.
    let archive: String?
    /// Storage directories of the pickles torch reads (`data/`, `constants/`), lower case.
    let storageDirectories: [String]

    init(_ entries: [ZipEntry]) {
        guard let first = entries.first, let slash = first.nameBytes.firstIndex(of: 0x2F) else {
            archive = nil
            storageDirectories = []
            return
        }
        let prefix = Self.lower(Array(first.nameBytes[..<slash])) + "/"
        let names = Set(entries.map { Self.lower($0.nameBytes) })
        let pickles = ["data", "constants"].filter { names.contains(prefix + $0 + ".pkl") }
        archive = pickles.isEmpty ? nil : prefix
        storageDirectories = pickles.map { prefix + $0 + "/" }
    }

    /// `<archive>/data/<digits>`: a tensor storage record of a pickle torch reads.
    func isStorage(_ entry: ZipEntry) -> Bool {
        let name = Self.lower(entry.nameBytes)
        for directory in storageDirectories where name.hasPrefix(directory) {
            let key = name.dropFirst(directory.count)
            return !key.isEmpty && key.allSatisfy { $0.isASCII && $0.isNumber }
        }
        return false
    }

    /// miniz's MZ_TOLOWER: ASCII letters only.
    static func lower(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

/// CRC-32 (IEEE 802.3, the zip checksum). Written here because PinScan links no C library and
/// Swift's standard library has no CRC; zip needs only this one 256-entry table.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func update(_ crc: UInt32, _ bytes: some Sequence<UInt8>) -> UInt32 {
        var value = ~crc
        for byte in bytes { value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8) }
        return ~value
    }

    /// The CRC-32 of all of `source`, read in chunks; nil when it cannot be read.
    static func of(_ source: some ByteSource) -> UInt32? {
        var crc: UInt32 = 0
        var offset: Int64 = 0
        while offset < source.size {
            guard let chunk = try? source.read(at: offset, count: 1 << 20), !chunk.isEmpty else { return nil }
            crc = update(crc, chunk)
            offset += Int64(chunk.count)
        }
        return crc
    }
}
