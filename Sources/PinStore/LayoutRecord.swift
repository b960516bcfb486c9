public import PinModel
public import SystemPackage
import PinDigest

#if canImport(Glibc)
import Glibc
#endif

/// `layouts/<uid>/<key>`: what modelpin itself laid out in one model directory — for each file,
/// the blob it is a copy (or link) of and the identity of the file it left there: device,
/// inode, size, modification and change times.
///
/// This, not `DIR/.modelpin/snapshot.json`, is what lets a pull with nothing to do skip a file
/// without hashing it. Anyone who can write DIR can rewrite the snapshot record to describe a
/// file they swapped in; nobody but the store's owner writes here, and a file's ctime — which
/// any change to its bytes moves and no unprivileged process can set back — is part of the
/// identity, so a matching entry means the bytes modelpin verified are still there.
///
/// Keyed by the directory's identity as the pull opened it: its device and inode (which a
/// rename of a parent keeps and a delete-and-recreate does not) and its path (so `gc` can
/// find out whether it is gone). Each user has a folder of their own, and a record is only
/// read if the reading user owns it: in a store several users share, one user's record never
/// vouches for a file in another user's pull. Read strictly: a record that is missing, too
/// large, of another version, for another directory, or wrong in any field is no record — its
/// files are hashed again, never trusted.
public struct LayoutRecord: Sendable, Equatable {
    /// One laid-out file.
    public struct Entry: Sendable, Equatable {
        public var sha256: SHA256Digest
        /// `LinkMode`'s raw value: a copy's entry never vouches for a link, nor the reverse.
        public var mode: String
        var device: UInt64
        var inode: UInt64
        var size: Int64
        /// Nanoseconds since the epoch.
        var modified: Int64
        var changed: Int64

        init(sha256: SHA256Digest, mode: String, device: UInt64, inode: UInt64, size: Int64, modified: Int64, changed: Int64) {
            self.sha256 = sha256
            self.mode = mode
            self.device = device
            self.inode = inode
            self.size = size
            self.modified = modified
            self.changed = changed
        }

        init(sha256: SHA256Digest, mode: String, status: Stat) {
            self.sha256 = sha256
            self.mode = mode
            device = UInt64(status.rawValue.st_dev)
            inode = UInt64(status.rawValue.st_ino)
            size = status.size
            modified = Self.nanoseconds(status.st_mtim)
            changed = Self.nanoseconds(status.st_ctim)
        }

        static func nanoseconds(_ time: timespec) -> Int64 { Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec) }
    }

    /// The directory this record is about (see `Identity`).
    public let identity: Identity
    public private(set) var files: [String: Entry]

    /// Who laid the directory out, and which directory it is.
    public struct Identity: Sendable, Equatable {
        var owner: UInt32
        var device: UInt64
        var inode: UInt64
        var path: String

        /// The directory behind `root`'s descriptor (not its path again: that may have been
        /// swapped since it was opened), as the effective user sees it.
        init(of root: DirectoryRoot) throws(Errno) {
            let status = try root.descriptor.stat()
            owner = geteuid()
            device = UInt64(status.rawValue.st_dev)
            inode = UInt64(status.rawValue.st_ino)
            path = root.path.string
        }

        init(owner: UInt32, device: UInt64, inode: UInt64, path: String) {
            self.owner = owner
            self.device = device
            self.inode = inode
            self.path = path
        }

        /// The record's file name: the SHA-256 of the identity, so one directory has one record
        /// and its path never becomes a path in the store.
        var key: String {
            var hasher = SHA256()
            hasher.update(Array("\(device)\n\(inode)\n\(path)".utf8))
            return hasher.finalize().hex
        }
    }

    init(identity: Identity, files: [String: Entry] = [:]) {
        self.identity = identity
        self.files = files
    }

    /// Whether `status` (an lstat of `path` below the directory) is the very file an earlier
    /// pull laid out there as a `mode` copy of `digest`.
    public func vouches(for path: String, digest: SHA256Digest, mode: String, status: Stat) -> Bool {
        guard let entry = files[path], entry.sha256 == digest, entry.mode == mode, entry.inode != 0 else { return false }
        return entry == Entry(sha256: digest, mode: mode, status: status)
    }

    /// Notes that `path` now holds a verified `mode` copy of `digest`, whose lstat is `status`
    /// (taken before its bytes were checked, so that a change while they were read still shows).
    public mutating func record(_ path: String, digest: SHA256Digest, mode: String, status: Stat) {
        files[path] = Entry(sha256: digest, mode: mode, status: status)
    }

    /// Whether modelpin laid a file out at `path` (or was about to: `claim`). Such a file is
    /// modelpin's to replace, whatever it holds now; any other file there is the user's.
    public func laidOut(_ path: String) -> Bool {
        files[path] != nil
    }

    /// Notes, before `path` is written, that modelpin is laying it out: a pull killed between
    /// its renames leaves files the next pull must recognise as its own, not as the user's. The
    /// entry names no file (inode 0, which no file has), so it never vouches for bytes.
    public mutating func claim(_ path: String, digest: SHA256Digest, mode: String) {
        guard files[path] == nil else { return }
        files[path] = Entry(sha256: digest, mode: mode, device: 0, inode: 0, size: 0, modified: 0, changed: 0)
    }

    /// Only the files in `paths` (the snapshot just laid out).
    public mutating func keep(only paths: Set<String>) {
        files = files.filter { paths.contains($0.key) }
    }

    // MARK: On disk

    /// The first word of a record: the format and its version.
    static let magic = "modelpin-layout/1"

    /// A record is about a hundred bytes a file; a bigger one is not modelpin's.
    static let maximumSize = 64 << 20

    /// The record in `bytes` if it is a well-formed version-1 record about `identity` whose
    /// paths all pass `PathSafety`; else nil.
    public static func parse(_ bytes: [UInt8], for identity: Identity) -> LayoutRecord? {
        guard let record = parse(bytes), record.identity == identity else { return nil }
        return record
    }

    /// The record in `bytes`, whichever directory it is about (for `gc`, and fuzzing).
    ///
    /// Lines of words, parsed on bytes rather than decoded as JSON: a pull with nothing to do
    /// reads one record per model directory, and JSONDecoder cost more than everything else the
    /// pull does with it. The header is `modelpin-layout/1 <owner> <device> <inode> <directory>`,
    /// then one line per file, sorted by path:
    /// `<sha256> <mode> <device> <inode> <size> <mtime ns> <ctime ns> <path>`. A path is the rest
    /// of its line (it may hold spaces; `PathSafety` refuses line breaks in it, and a directory
    /// with one in its name gets no record).
    public static func parse(_ bytes: [UInt8]) -> LayoutRecord? {
        guard bytes.count <= maximumSize, bytes.last == UInt8(ascii: "\n") else { return nil }
        let lines = bytes.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard let header = lines.first, let head = words(header, count: 5), String(decoding: head[0], as: UTF8.self) == magic,
              let owner = decimal(head[1]).flatMap(UInt32.init(exactly:)), let device = decimal(head[2]),
              let inode = decimal(head[3]), let directory = String(validating: head[4], as: UTF8.self)
        else { return nil }
        var files: [String: Entry] = [:]
        var previous: String?
        for line in lines.dropFirst() {
            guard let fields = words(line, count: 8),
                  let digestText = String(validating: fields[0], as: UTF8.self),
                  let sha256 = try? SHA256Digest(parsing: digestText),
                  let mode = String(validating: fields[1], as: UTF8.self), LinkMode(rawValue: mode) != nil,
                  let fileDevice = decimal(fields[2]), let fileInode = decimal(fields[3]),
                  let size = decimal(fields[4]).flatMap(Int64.init(exactly:)),
                  let modified = signedDecimal(fields[5]), let changed = signedDecimal(fields[6]),
                  let path = String(validating: fields[7], as: UTF8.self),
                  previous.map({ $0 < path }) ?? true  // sorted, no repeats: as `rendered` writes
            else { return nil }
            previous = path
            files[path] = Entry(sha256: sha256, mode: mode, device: fileDevice, inode: fileInode, size: size, modified: modified, changed: changed)
        }
        guard PathSafety.problems(in: Array(files.keys)).isEmpty else { return nil }
        return LayoutRecord(identity: Identity(owner: owner, device: device, inode: inode, path: directory), files: files)
    }

    /// The record's bytes. Throws for a directory whose path holds a line feed (or is empty),
    /// which no record can name: that directory's files are hashed on every pull instead.
    public func rendered() throws(RenderError) -> [UInt8] {
        // Byte 0x0A, exactly what `parse` splits lines on (a Character test would miss the `\n` in
        // a `\r\n` grapheme, and refuse line breaks `parse` reads as part of a name).
        guard !identity.path.isEmpty, !identity.path.utf8.contains(0x0A) else { throw RenderError() }
        var text = "\(Self.magic) \(identity.owner) \(identity.device) \(identity.inode) \(identity.path)\n"
        for (path, entry) in files.sorted(by: { $0.key < $1.key }) {
            guard !path.utf8.contains(0x0A) else { throw RenderError() }
            text += "\(entry.sha256) \(entry.mode) \(entry.device) \(entry.inode) \(entry.size) \(entry.modified) \(entry.changed) \(path)\n"
        }
        return Array(text.utf8)
    }

    /// A directory or path no record can spell.
    public struct RenderError: Error {}

    /// The first `count - 1` space-separated words of `line` and the rest of it as the last,
    /// none empty; nil otherwise.
    static func words(_ line: ArraySlice<UInt8>, count: Int) -> [ArraySlice<UInt8>]? {
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: count - 1, omittingEmptySubsequences: false)
        guard parts.count == count, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        return parts
    }

    /// Digits only (no sign, no leading zero but for `0` itself), within UInt64.
    static func decimal(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard !bytes.isEmpty, bytes.count == 1 || bytes.first != UInt8(ascii: "0") else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    /// `decimal`, with an optional leading `-`, within Int64 (times before 1970 are negative).
    static func signedDecimal(_ bytes: ArraySlice<UInt8>) -> Int64? {
        if bytes.first == UInt8(ascii: "-") {
            guard let magnitude = decimal(bytes.dropFirst()), magnitude != 0, magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return decimal(bytes).flatMap(Int64.init(exactly:))
    }
}

extension Store {
    var layoutsDirectory: FilePath { root.appending("layouts") }

    func layoutFile(_ identity: LayoutRecord.Identity) -> FilePath {
        layoutsDirectory.appending(String(identity.owner)).appending(identity.key)
    }

    /// What this user's earlier pulls laid out in the directory `root` is open on; an empty
    /// record if there is none that can be trusted (then every file there is hashed before it
    /// is kept). Nil if the directory's identity cannot be read.
    public func layout(of root: DirectoryRoot) -> LayoutRecord? {
        guard let identity = try? LayoutRecord.Identity(of: root) else { return nil }
        let empty = LayoutRecord(identity: identity)
        let path = layoutFile(identity)
        guard let file = try? FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .noFollow, .nonBlocking]) else { return empty }
        defer { try? file.close() }
        // Another user's file, or not a plain file: not this user's word.
        guard let status = try? Stat(file), status.type == .regular, status.userID.rawValue == identity.owner,
              status.size <= LayoutRecord.maximumSize, let bytes = Self.readAll(file),
              let record = LayoutRecord.parse(bytes, for: identity)
        else { return empty }
        return record
    }

    /// The rest of a small file already opened (and checked) by descriptor, or nil past the
    /// record's limit or on any error.
    private static func readAll(_ file: FileDescriptor) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while bytes.count <= LayoutRecord.maximumSize {
            guard let count = try? chunk.withUnsafeMutableBytes({ try file.read(into: $0) }) else { return nil }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
        return nil
    }

    /// Replaces the directory's record (atomically; without fsyncs, as for stamps: a record a
    /// crash damages reads as absent, which costs a re-hash, never trust). Best effort for the
    /// same reason: a store this process cannot write only means hashing next time.
    public func recordLayout(_ record: LayoutRecord) {
        let path = layoutFile(record.identity)
        let owner = path.removingLastComponent()
        try? FileSystem.makeDirectory(layoutsDirectory)
        // The user's own folder, closed to others: nobody else can rename a record into it.
        try? FileSystem.makeDirectory(owner, permissions: [.ownerReadWriteExecute])
        guard let bytes = try? record.rendered() else { return }
        try? writeAtomically(bytes, to: path, durable: false)
    }

    /// Records whose directory is gone or is no longer the directory they were written for
    /// (deleted and made again: another inode), and records that cannot be read as one. Part
    /// of `gc`. Unlike a lockfile root (`store roots --prune`), this is automatic: a record is
    /// a cache, and one dropped for a directory on a disk that is only unmounted costs a
    /// re-hash of its files on the next pull, never a blob.
    func removeStaleLayouts() {
        for owner in (try? FileSystem.listDirectory(layoutsDirectory)) ?? [] {
            let folder = layoutsDirectory.appending(owner)
            for name in (try? FileSystem.listDirectory(folder)) ?? [] {
                let path = folder.appending(name)
                if layoutIsStale(at: path, name: name, owner: owner) { try? FileSystem.unlink(path) }
            }
        }
    }

    private func layoutIsStale(at path: FilePath, name: String, owner: String) -> Bool {
        let bytes: [UInt8]?
        do {
            bytes = try readIfPresent(path, limit: LayoutRecord.maximumSize)
        } catch .malformedMetadata {
            return true  // too large to be a record
        } catch {
            return false  // unreadable to this user (another's private record): not this gc's to judge
        }
        guard let bytes, let record = LayoutRecord.parse(bytes), record.identity.key == name,
              String(record.identity.owner) == owner, FilePath(record.identity.path).isAbsolute
        else { return true }
        do {
            let status = try Stat(FilePath(record.identity.path))  // a chosen directory may be reached through a link
            return status.type != .directory || UInt64(status.rawValue.st_dev) != record.identity.device
                || UInt64(status.rawValue.st_ino) != record.identity.inode
        } catch .noSuchFileOrDirectory, .notDirectory {
            return true
        } catch {
            return false  // cannot tell (no permission): keep it
        }
    }
}
