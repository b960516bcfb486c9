import PinDigest
import PinStore
import SystemPackage

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The registry repositories this store has pushed to (`<store>/registry/repositories`, one
/// `oci://HOST[:PORT]/PATH` a line), so that a push to another repository of the same
/// registry can ask it to mount blobs it already holds instead of uploading them again.
/// Only a hint: a repository listed here that lacks a blob (or that a token may not read) makes
/// the registry answer with an upload, which the client then does.
struct PushedRepositories {
    let file: FilePath

    init(store: Store) {
        file = store.root.appending("registry").appending("repositories")
    }

    /// Other repositories of `repository`'s registry this store pushed to.
    func sameRegistry(as repository: String) -> [String] {
        guard let host = Self.host(of: repository) else { return [] }
        return read().filter { $0 != repository && Self.host(of: $0) == host }.map { String($0.dropFirst("oci://".count + host.count + 1)) }
    }

    /// Adds `repository` (written atomically: a temporary file renamed over the list).
    func record(_ repository: String) throws {
        var listed = read()
        guard !listed.contains(repository) else { return }
        listed.append(repository)
        let directory = file.removingLastComponent()
        try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: true)
        let temporary = directory.appending(".repositories.\(ProcessInfo.processInfo.processIdentifier).tmp")
        try Data(listed.sorted().joined(separator: "\n").utf8 + [UInt8(ascii: "\n")]).write(to: URL(fileURLWithPath: temporary.string))
        guard rename(temporary.string, file.string) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    private func read() -> [String] {
        // A missing or unreadable list only means no mount is tried.
        guard let bytes = try? RegularFile.contents(of: file, limit: 1 << 20) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.hasPrefix("oci://") }
    }

    static func host(of repository: String) -> String? {
        guard repository.hasPrefix("oci://") else { return nil }
        return repository.dropFirst("oci://".count).split(separator: "/", maxSplits: 1).first.map(String.init)
    }
}
