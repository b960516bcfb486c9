import Foundation
import PinDigest
import PinModel
import PinTestSupport
import SystemPackage
import Testing

/// A FIFO nobody writes to: a plain open(2) of it blocks until a writer appears, forever.
func withFIFO<T>(_ body: (FilePath) throws -> T) throws -> T {
    try withTemporaryDirectory("modelpin-fifo") { directory in
        let path = directory.appendingPathComponent("blob").path
        try #require(mkfifo(path, 0o644) == 0)
        return try body(FilePath(path))
    }
}

@Suite("Files modelpin did not create", .timeLimit(.minutes(1)))
struct RegularFileTests {
    @Test func aFIFOIsRefusedAtOnceInsteadOfBlockingTheOpen() throws {
        try withFIFO { fifo throws in
            #expect {
                _ = try RegularFile.open(fifo)
            } throws: { error in
                guard let error = error as? FileReadError, case .notRegular(let what) = error.reason else { return false }
                return what.contains("FIFO") && error.description.contains("not a regular file")
            }
            #expect(throws: FileReadError.self) { try FileHasher.sha256(file: fifo) }
            #expect(throws: FileReadError.self) { try FileHasher.sha256(files: [fifo]).first!.get() }
        }
    }

    @Test func aDeviceIsRefusedUnlessStreamsAreWanted() throws {
        #expect(throws: FileReadError.self) { try RegularFile.open("/dev/zero") }
        let null = try RegularFile.open("/dev/null", streams: true)
        try null.close()
    }

    /// `modelpin hash` of a named pipe is deliberate: read to its end (here: no writer, empty).
    @Test func hashReadsAFIFOWhenStreamsAreWanted() throws {
        try withFIFO { fifo throws in
            let digest = try FileHasher.sha256(file: fifo, streams: true)
            #expect(digest.size == 0)
        }
    }

    /// The whole-file reader behind modelpin.toml, the lock, allowlists, keys and the config.
    @Test func contentsReadsARegularFileWhole() throws {
        try withTemporaryDirectory("modelpin-contents") { directory throws in
            let path = FilePath(try writeFile(directory.appendingPathComponent("f"), Array(repeating: 7, count: 100_000)).path)
            #expect(try RegularFile.contents(of: path, limit: 100_000) == Array(repeating: 7, count: 100_000))
            #expect(try RegularFile.contents(of: FilePath(directory.appendingPathComponent("absent").path), limit: 1) == nil)
            #expect(throws: FileReadError(path: path, reason: .tooLarge(99_999))) {
                try RegularFile.contents(of: path, limit: 99_999)
            }
            #expect(throws: FileReadError(path: FilePath(directory.path), reason: .isDirectory)) {
                try RegularFile.contents(of: FilePath(directory.path), limit: 1)
            }
        }
    }

    @Test func contentsRefusesAFIFOAtOnce() throws {
        try withFIFO { fifo throws -> Void in
            #expect(throws: FileReadError(path: fifo, reason: .notRegular("a FIFO (named pipe)"))) {
                try RegularFile.contents(of: fifo, limit: 1 << 20)
            }
        }
    }

    @Test func aRegularFileReadsNormally() throws {
        try withTemporaryDirectory("modelpin-regular") { directory throws in
            let path = try writeFile(directory.appendingPathComponent("f"), Array("abc".utf8))
            #expect(try FileHasher.sha256(file: FilePath(path.path)).digest == SHA256.hash(Array("abc".utf8)))
        }
    }
}
