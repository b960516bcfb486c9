public import PinModel
import SystemPackage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `DIR/.modelpin/snapshot.json`: what a pull put where in a model's directory, so that the
/// next pull removes the files it put there that the new snapshot lacks. It never decides
/// that a file is intact: only the store's `LayoutRecord` lets a pull keep a file unread.
///
/// Anyone who can write the directory can write this file, so reading it is parsing hostile
/// input: a record that is not exactly version 1, is absurdly large, or names a single path
/// `PathSafety` refuses is no record at all (then nothing is removed and every file is
/// placed again). Kept apart from the materializer so that it can be fuzzed on its own.
public struct SnapshotRecord: Codable, Sendable, Equatable {
    public struct Placed: Codable, Sendable, Equatable {
        public var sha256: SHA256Digest
        public var size: Int64
        public var inode: UInt64
        public var modified: Int64
        public var mode: String

        public init(sha256: SHA256Digest, size: Int64, inode: UInt64, modified: Int64, mode: String) {
            self.sha256 = sha256
            self.size = size
            self.inode = inode
            self.modified = modified
            self.mode = mode
        }
    }

    public var version = 1
    public var repo: String
    public var commit: String
    public var files: [String: Placed]

    public init(repo: String, commit: String, files: [String: Placed]) {
        self.repo = repo
        self.commit = commit
        self.files = files
    }

    /// Where it lives below a model's directory.
    public static let path = PathSafety.reservedDirectory + "/snapshot.json"

    /// A record is a few hundred bytes per file; a bigger one is not modelpin's.
    public static let maximumSize = 64 << 20

    /// The record in `bytes`, or nil unless it is a well-formed version-1 record whose paths
    /// all pass `PathSafety` (no `..`, no absolute path, no VCS directory, no case clash).
    public static func parse(_ bytes: [UInt8]) -> SnapshotRecord? {
        guard bytes.count <= maximumSize, let record = try? JSONDecoder().decode(SnapshotRecord.self, from: Data(bytes)),
              record.version == 1, PathSafety.problems(in: Array(record.files.keys)).isEmpty
        else { return nil }
        return record
    }

    /// The bytes written: sorted keys, one field a line, a final newline.
    public func rendered() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(self) + Data("\n".utf8))
    }

    /// Reads the record below `root`: a regular file only (never through a link, never a
    /// FIFO), at most `maximumSize` bytes.
    public static func read(in root: DirectoryRoot) -> SnapshotRecord? {
        guard let file = try? root.openFile(path) else { return nil }
        defer { try? file.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while bytes.count <= maximumSize {
            guard let count = try? chunk.withUnsafeMutableBytes({ try file.read(into: $0) }) else { return nil }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return parse(bytes)
    }
}
