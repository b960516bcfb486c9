import PinHub
import PinModel
import PinStore
import SystemPackage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Lays a snapshot out in a directory a model loader reads from (`from_pretrained(DIR)`).
///
/// Files are independent copies (reflinks where the filesystem can) by default, so nothing a
/// consumer writes there reaches the store; `DIR/.modelpin/snapshot.json` records what was put
/// where, so a second pull skips files that are still as it left them and removes files it
/// put there that the new snapshot no longer has. Files it did not put there are left alone.
struct Materializer {
    let store: Store
    let destination: FilePath
    let mode: LinkMode

    struct Placed: Codable, Equatable {
        var sha256: SHA256Digest
        var size: Int64
        var inode: UInt64
        var modified: Int64
        var mode: String
    }

    /// `.modelpin/snapshot.json`, versioned.
    struct Record: Codable {
        var version = 1
        var repo: String
        var commit: String
        var files: [String: Placed]
    }

    var recordPath: FilePath { destination.appending(PathSafety.reservedDirectory).appending("snapshot.json") }

    /// A temp file beside `path`'s final place, for a download to write its copy into while it
    /// is hashed (`PartialBlob.copyPath`); `apply` renames it into place.
    func prepareCopy(of path: String) throws -> FilePath {
        try checkDestination()
        try checkParents(of: path)
        let target = destination.appending(path)
        let directory = target.removingLastComponent()
        do {
            try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: true)
        } catch {
            throw PullError.unsafeDestination(directory, reason: "\(error)")
        }
        return directory.appending(".\(target.lastComponent!.string).modelpin-\(UInt64.random(in: 0...UInt64.max))")
    }

    /// `prepared`: copies already written during the download, by path.
    func apply(
        repo: String, commit: String, files: [(path: String, digest: SHA256Digest, size: Int64)],
        prepared: [String: FilePath] = [:]
    ) throws -> [String: MaterializeMethod?] {
        try checkDestination()
        let record = readRecord()
        let previous = record?.files ?? [:]
        var placed: [String: Placed] = [:]
        var methods: [String: MaterializeMethod?] = [:]
        var directories = Set<String>()
        for file in files {
            let target = destination.appending(file.path)
            try checkParents(of: file.path)
            if let old = previous[file.path], old.sha256 == file.digest, old.mode == mode.rawValue,
               let status = try? Stat(target, followTargetSymlink: false), matches(status, old) {
                placed[file.path] = old
                methods[file.path] = .some(nil)
                continue
            }
            let method: MaterializeMethod
            if let copy = prepared[file.path] {
                guard rename(copy.string, target.string) == 0 else {
                    throw PullError.unsafeDestination(target, reason: String(cString: strerror(errno)))
                }
                method = .copy
            } else {
                method = try store.materialize(file.digest, at: target, mode: mode)
            }
            let status = try stat(target)
            placed[file.path] = Placed(
                sha256: file.digest, size: file.size, inode: UInt64(status.inode.rawValue),
                modified: Self.nanoseconds(status.st_mtim), mode: mode.rawValue)
            methods[file.path] = method
            directories.insert(target.removingLastComponent().string)
        }
        // Files this directory got from an earlier pull that the new snapshot does not have.
        for (path, old) in previous where placed[path] == nil {
            let target = destination.appending(path)
            if let status = try? Stat(target, followTargetSymlink: false), matches(status, old) {
                try? FileManager.default.removeItem(atPath: target.string)
                directories.insert(target.removingLastComponent().string)
            }
        }
        for directory in directories.sorted() { try store.syncDirectory(FilePath(directory)) }
        // Nothing changed (a pull with nothing to do): leave the record as it is.
        if record?.repo != repo || record?.commit != commit || placed != previous {
            try writeRecord(Record(repo: repo, commit: commit, files: placed))
        }
        return methods
    }

    private func matches(_ status: Stat, _ placed: Placed) -> Bool {
        UInt64(status.inode.rawValue) == placed.inode && Self.nanoseconds(status.st_mtim) == placed.modified
            && (status.type == .symbolicLink || status.size == placed.size)
    }

    private func stat(_ path: FilePath) throws -> Stat {
        do {
            return try Stat(path, followTargetSymlink: false)
        } catch {
            throw PullError.unsafeDestination(path, reason: "\(error)")
        }
    }

    static func nanoseconds(_ time: timespec) -> Int64 { Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec) }

    /// The destination must be a directory (or not exist yet).
    private func checkDestination() throws {
        guard let status = try? Stat(destination) else { return }
        guard status.type == .directory else {
            throw PullError.unsafeDestination(destination, reason: "it exists and is not a directory")
        }
    }

    /// No directory between the destination and a file may be a symbolic link: a planted link
    /// would send the file somewhere else.
    private func checkParents(of path: String) throws {
        var current = destination
        for component in path.split(separator: "/").dropLast() {
            current.append(String(component))
            if let status = try? Stat(current, followTargetSymlink: false) {
                guard status.type == .directory else {
                    throw PullError.unsafeDestination(current, reason: status.type == .symbolicLink
                        ? "it is a symbolic link; refusing to write through it" : "it exists and is not a directory")
                }
            }
        }
    }

    func readRecord() -> Record? {
        guard let data = FileManager.default.contents(atPath: recordPath.string) else { return nil }
        return try? JSONDecoder().decode(Record.self, from: data)
    }

    private func writeRecord(_ record: Record) throws {
        let directory = recordPath.removingLastComponent()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: true)
            // Not Data.write(options: .atomic): on Linux, Foundation leaves a
            // /tmp/TemporaryDirectory.* behind for every atomic write.
            try AtomicFile.write(Array(encoder.encode(record) + Data("\n".utf8)), to: recordPath)
        } catch {
            throw PullError.unsafeDestination(recordPath, reason: "\(error)")
        }
    }
}
