import Foundation
import PinScan
import PinTestSupport
import SystemPackage
import Testing

@Suite("Opening files to scan", .timeLimit(.minutes(1)))
struct FileSourceTests {
    /// A FIFO among the files to scan once blocked `modelpin scan` in open(2) forever.
    @Test func aFIFOIsRefusedAtOnce() throws {
        try withTemporaryDirectory("modelpin-scan-fifo") { directory throws in
            let path = directory.appendingPathComponent("model.pkl").path
            try #require(mkfifo(path, 0o644) == 0)
            #expect(throws: ScanReadError.self) { try FileSource(FilePath(path)) }
        }
    }

    @Test func aRegularFileOpens() throws {
        try withTemporaryDirectory("modelpin-scan-file") { directory throws in
            let url = try writeFile(directory.appendingPathComponent("m.bin"), [1, 2, 3])
            #expect(try FileSource(FilePath(url.path)).size == 3)
        }
    }
}
