public import PinModel
import SystemPackage
internal import CPinSystem

#if canImport(Glibc)
import Glibc
#endif

/// How a blob appears in a user's directory.
public enum LinkMode: String, Sendable, CaseIterable {
    /// An independent file: a reflink (shared blocks, copy-on-write) where the filesystem can,
    /// else a byte copy. Nothing written to it can reach the store — not even by root, for
    /// whom a read-only mode bit is no protection. The default.
    case copy
    /// A symbolic link to the read-only blob: no extra disk, but a process running as root that
    /// opens the file for writing writes into the store. Opt-in only.
    case symlink
}

/// How a file was actually materialized.
public enum MaterializeMethod: String, Sendable, Codable {
    case reflink, copy, symlink
}

/// The temp files modelpin writes beside a file's final place in a model's directory:
/// `.NAME.modelpin-` and 16 lowercase hex digits. One spelling, so that the sweep after a
/// killed pull removes exactly these and nothing a user or a model named alike.
public enum MaterializeTemporary {
    static let marker = ".modelpin-"

    /// A fresh temp name for `name` (a single path component).
    public static func name(for name: String) -> String {
        "." + name + marker + randomSuffix()
    }

    /// Whether `name` is one `name(for:)` makes.
    public static func matches(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        let markerBytes = Array(marker.utf8)
        let tail = markerBytes.count + 16
        guard utf8.count > tail + 1, utf8[0] == UInt8(ascii: "."), Array(utf8[(utf8.count - tail)..<(utf8.count - 16)]) == markerBytes else {
            return false
        }
        return utf8.suffix(16).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Whether `name` is a temp name an earlier release made for a download's copy:
    /// `.NAME.modelpin-` and a random UInt64 in decimal (1 to 20 digits, no leading zero). A
    /// pull killed before this release left these, and only the sweep can remove them.
    public static func matchesEarlierRelease(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        let digits = utf8.reversed().prefix { (0x30...0x39).contains($0) }.count
        let markerBytes = Array(marker.utf8)
        let head = utf8.count - digits - markerBytes.count
        guard (1...20).contains(digits), head > 1, utf8[0] == UInt8(ascii: "."),
              Array(utf8[head..<(utf8.count - digits)]) == markerBytes
        else { return false }
        let number = utf8.suffix(digits)
        return (digits == 1 || number.first != UInt8(ascii: "0")) && UInt64(String(decoding: number, as: UTF8.self)) != nil
    }

    /// `relative`'s temp sibling: the same directory, `name(for:)` of its last component.
    public static func sibling(of relative: String) -> String {
        var parts = relative.split(separator: "/").map(String.init)
        parts[parts.count - 1] = name(for: parts[parts.count - 1])
        return parts.joined(separator: "/")
    }
}

extension Store {
    /// Places blob `digest` at `relative` below `root` (creating parent directories, never
    /// through a symbolic link): a temp file beside it, renamed over whatever was there, so no
    /// reader sees a half-written file.
    @discardableResult
    public func materialize(_ digest: SHA256Digest, in root: DirectoryRoot, at relative: String, mode: LinkMode) throws -> MaterializeMethod {
        let source = try path(of: digest)
        let temporary = MaterializeTemporary.sibling(of: relative)
        let method: MaterializeMethod
        do {
            switch mode {
            case .symlink:
                try root.symlink(target: source, at: temporary)
                method = .symlink
            case .copy:
                let output = try root.createFile(temporary)
                defer { try? output.close() }
                do {
                    method = try copy(from: source, to: output)
                } catch {
                    throw DirectoryRoot.Failure(path: root.path.appending(temporary), errno: error, symbolicLink: false)
                }
            }
            try root.rename(temporary, to: relative)
        } catch {
            _ = try? root.removeFile(temporary) { _ in true }
            throw error
        }
        return method
    }

    /// A hard link of blob `digest` at `relative` below `root` (the Hugging Face cache's
    /// `blobs/<etag>`): no byte written. Never replaces an entry (`.fileExists`); another
    /// filesystem fails with `.improperLink`. The blob is checked first like any use of it.
    ///
    /// A link moves the blob's ctime, which its stamp records, so without more every later use
    /// would re-hash it. The stamp is renewed right after the link when nothing but the ctime
    /// (and link count) moved between the check and the link. (Removing a link elsewhere, such as
    /// a deleted cache entry, moves it too; the next use then re-hashes once and stamps again.)
    public func link(_ digest: SHA256Digest, in root: DirectoryRoot, at relative: String) throws {
        let source = blobPath(digest)
        guard let before = try? FileSystem.entry(at: source), before.type == .regular else { throw StoreError.blobNotFound(digest) }
        try checkIntact(digest, at: source, before)
        try root.hardLink(from: source, at: relative)
        if let after = try? FileSystem.entry(at: source), after.inode == before.inode, after.deviceID == before.deviceID,
           after.size == before.size, after.st_mtim.tv_sec == before.st_mtim.tv_sec, after.st_mtim.tv_nsec == before.st_mtim.tv_nsec {
            recordStamp(digest, status: after)
        }
    }

    private func copy(from source: FilePath, to output: FileDescriptor) throws(Errno) -> MaterializeMethod {
        let input = try systemCall { try FileDescriptor.open(source, .readOnly, options: [.closeOnExec]) }
        defer { try? input.close() }
        // No fsync here, unlike a blob: the copy is re-creatable from the store, and flushing
        // every copied GiB to disk doubled a pull's time (measured: +6 s for 2 GiB). A crash can
        // leave a short or empty file under the final name; its size then no longer matches
        // the directory's record, so the next pull copies it again.
        if cpin_clone_file(output.rawValue, input.rawValue) == 0 {
            return .reflink
        }
        // read/write rather than copy_file_range: on ext4 here the latter measured ~5x slower.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try input.read(into: buffer, at: offset)
            if count == 0 { break }
            try output.write(all: UnsafeRawBufferPointer(rebasing: buffer[..<count]), at: offset)
            offset += Int64(count)
        }
        return .copy
    }
}
