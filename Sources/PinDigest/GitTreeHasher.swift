public import PinModel

/// A git tree object's id: SHA-1 over `tree <size>\0` and its entries, each `<mode> <name>\0`
/// followed by the entry's 20-byte id, in git's order (names compared bytewise, a directory's
/// name as if it ended in `/`). `modelpin serve` lists folders with the id the Hub gives them,
/// computed from the snapshot's own blob ids rather than stored anywhere.
public enum GitTreeHasher {
    public struct Entry: Sendable {
        public let name: String
        public let id: GitBlobID
        public let isDirectory: Bool

        public init(name: String, id: GitBlobID, isDirectory: Bool) {
            self.name = name
            self.id = id
            self.isDirectory = isDirectory
        }

        /// git's mode text: regular files (the Hub serves no executables or links) and trees.
        var mode: String { isDirectory ? "40000" : "100644" }
        var sortKey: [UInt8] { Array(name.utf8) + (isDirectory ? [UInt8(ascii: "/")] : []) }
    }

    public static func id(of entries: [Entry]) -> GitBlobID {
        var body: [UInt8] = []
        for entry in entries.sorted(by: { $0.sortKey.lexicographicallyPrecedes($1.sortKey) }) {
            body.append(contentsOf: Array("\(entry.mode) \(entry.name)\0".utf8))
            body.append(contentsOf: rawBytes(entry.id))
        }
        let box = DigestContext(.sha1)
        Array("tree \(body.count)\0".utf8).withUnsafeBytes { box.update($0) }
        body.withUnsafeBytes { box.update($0) }
        return GitBlobID(bytes: box.peek())!
    }

    /// The 20 bytes behind the id's 40 hex digits (always valid hex: the id printed them).
    static func rawBytes(_ id: GitBlobID) -> [UInt8] {
        let digits = Array(id.hex.utf8).map { $0 <= UInt8(ascii: "9") ? $0 - UInt8(ascii: "0") : $0 - UInt8(ascii: "a") + 10 }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}
