import Foundation
import PinModel
import PinStore
import PinTestSupport
import SystemPackage

/// A store in a fresh temp directory, plus helpers to put files next to it.
struct StoreFixture {
    let directory: URL
    let store: Store

    static func with<T>(_ body: (StoreFixture) throws -> T) throws -> T {
        try withTemporaryDirectory("modelpin-store") { directory in
            let store = try Store.open(at: FilePath(directory.appendingPathComponent("store").path), access: .readWrite)
            return try body(StoreFixture(directory: directory, store: store))
        }
    }

    /// Writes `bytes` to a new file beside the store and returns its path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> FilePath {
        FilePath(try writeFile(directory.appendingPathComponent(name), bytes).path)
    }

    func url(_ path: FilePath) -> URL { URL(fileURLWithPath: path.string) }

    func contents(_ path: FilePath) throws -> [UInt8] {
        Array(try Data(contentsOf: url(path)))
    }

    func names(in directory: FilePath) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.string).sorted()
    }

    func permissions(_ path: FilePath) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path.string)[.posixPermissions] as? Int) ?? -1
    }

    /// Makes a blob writable and flips its first byte: the tampering `verify` must catch.
    func tamper(with digest: SHA256Digest) throws {
        let path = store.blobPath(digest)
        chmod(path.string, 0o644)
        var bytes = try contents(path)
        bytes[0] ^= 0xff
        try Data(bytes).write(to: url(path))
    }
}

extension Array where Element == UInt8 {
    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }
}
