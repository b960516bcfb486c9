import Foundation
import PinDigest
import PinModel
import PinTestSupport
import SystemPackage
import Testing

@Suite("Hashing files")
struct FileHasherTests {
    @Test(arguments: [false, true])
    func hashesAFileLikeTheBytesInMemory(readAhead: Bool) throws {
        try withTemporaryDirectory { directory throws in
            let data = pseudoRandomBytes(count: 5 << 20 | 7, seed: 42)
            let file = try writeFile(directory.appendingPathComponent("weights.bin"), data)
            let result = try FileHasher.sha256(file: FilePath(file.path), readAhead: readAhead)
            #expect(result.digest == SHA256.hash(data))
            #expect(result.size == Int64(data.count))
        }
    }

    @Test(arguments: [false, true])
    func hashesAnEmptyFile(readAhead: Bool) throws {
        try withTemporaryDirectory { directory throws in
            let file = try writeFile(directory.appendingPathComponent("empty"), [])
            let result = try FileHasher.sha256(file: FilePath(file.path), readAhead: readAhead)
            #expect(result.digest.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            #expect(result.size == 0)
        }
    }

    @Test func namesMissingFilesAndDirectories() {
        withTemporaryDirectory { directory in
            let missing = FilePath(directory.appendingPathComponent("nope").path)
            #expect(throws: FileReadError(path: missing, reason: .notFound)) {
                try FileHasher.sha256(file: missing)
            }
            let folder = FilePath(directory.path)
            #expect(throws: FileReadError(path: folder, reason: .isDirectory)) {
                try FileHasher.sha256(file: folder)
            }
        }
    }

    @Test func keepsInputOrderAndReportsEachFailure() throws {
        try withTemporaryDirectory { directory throws in
            var paths: [FilePath] = []
            var expected: [SHA256Digest?] = []
            for index in 0..<9 {
                if index == 4 {
                    paths.append(FilePath(directory.appendingPathComponent("missing").path))
                    expected.append(nil)
                    continue
                }
                let data = pseudoRandomBytes(count: 100_000 * (index + 1), seed: UInt64(index))
                paths.append(FilePath(try writeFile(directory.appendingPathComponent("f\(index)"), data).path))
                expected.append(SHA256.hash(data))
            }
            let results = FileHasher.sha256(files: paths, concurrency: 3)
            #expect(results.count == paths.count)
            for (result, want) in zip(results, expected) {
                switch result {
                case .success(let file): #expect(file.digest == want)
                case .failure(let error): #expect(want == nil && error.reason == .notFound)
                }
            }
        }
    }

    @Test(arguments: [false, true])
    func stopsEarlyWhenAskedTo(readAhead: Bool) throws {
        try withTemporaryDirectory { directory throws in
            let data = pseudoRandomBytes(count: 8 << 20, seed: 5)
            let file = try writeFile(directory.appendingPathComponent("big"), data)
            let descriptor = try FileDescriptor.open(FilePath(file.path), .readOnly)
            defer { try? descriptor.close() }
            var chunks = 0
            let total = try FileHasher.stream(descriptor, path: FilePath(file.path), readAhead: readAhead) { _ in
                chunks += 1
                return chunks < 2
            }
            #expect(chunks == 2)
            #expect(total == Int64(2 * FileHasher.chunkSize))
        }
    }
}
