import Foundation
import PinModel
@testable import PinStore
import SystemPackage
import Testing

/// The streaming tar reader against archives its own writer, Python's tarfile and hand-made
/// hostile headers produce.
@Suite struct TarReaderTests {
    /// A member as a test writes it: a header (any type byte), then the body padded to a block.
    struct Raw {
        var name: String
        var type: UInt8 = UInt8(ascii: "0")
        var body: [UInt8] = []
        /// The size the header claims (default: the body's).
        var claimedSize: Int64?
    }

    static func archive(_ members: [Raw], end: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = []
        for member in members {
            bytes += TarWriter.header(name: Array(member.name.utf8), size: member.claimedSize ?? Int64(member.body.count), type: member.type, mode: 0o644)
            bytes += member.body
            bytes += [UInt8](repeating: 0, count: (512 - member.body.count % 512) % 512)
        }
        if end { bytes += [UInt8](repeating: 0, count: 1024) }
        return bytes
    }

    /// Every member (name, kind, body) of `bytes`, read as `import` reads an archive.
    static func read(_ bytes: [UInt8], limit: Int64 = FileSizeLimit.maximum) throws -> [(String, TarReader.Member.Kind, [UInt8])] {
        let directory = FilePath(NSTemporaryDirectory()).appending("tar-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory.string) }
        let path = directory.appending("a.tar")
        try Data(bytes).write(to: URL(fileURLWithPath: path.string))
        return try readFile(path, limit: limit)
    }

    static func readFile(_ path: FilePath, limit: Int64 = FileSizeLimit.maximum) throws -> [(String, TarReader.Member.Kind, [UInt8])] {
        let descriptor = try FileDescriptor.open(path, .readOnly)
        defer { try? descriptor.close() }
        var reader = TarReader(input: descriptor, archive: path.lastComponent!.string, memberSizeLimit: limit)
        var members: [(String, TarReader.Member.Kind, [UInt8])] = []
        while let member = try reader.next() {
            var body: [UInt8] = []
            if members.count % 2 == 0 {
                // Every other body is left unread: next() must skip it.
                try reader.readBody { body += $0 }
            } else {
                body = [UInt8](repeating: 0xEE, count: 1)
            }
            members.append((member.name, member.kind, body))
        }
        return members
    }

    static func refusal(_ bytes: [UInt8], limit: Int64 = FileSizeLimit.maximum) -> String {
        do {
            _ = try read(bytes, limit: limit)
            return "accepted"
        } catch let failure as TarReader.Failure {
            return failure.description
        } catch {
            return "other error: \(error)"
        }
    }

    // MARK: Accepted

    @Test func readsWhatItsWriterWritesIncludingPaxLongNamesAndDirectories() throws {
        try StoreFixture.with { fixture in
            let path = FilePath(fixture.directory.path).appending("w.tar")
            let descriptor = try FileDescriptor.open(path, .writeOnly, options: [.create], permissions: .ownerReadWrite)
            var tar = TarWriter(output: descriptor)
            let long = String(repeating: "d", count: 140) + "/file.bin"
            try tar.addDirectory("blobs")
            try tar.addFile("oci-layout", bytes: Array("layout".utf8))
            try tar.addFile(long, bytes: Array(repeating: 7, count: 1500))
            try tar.addFile("empty", bytes: [])
            try tar.finish()
            try descriptor.close()
            let members = try Self.readFile(path)
            #expect(members.map(\.0) == ["blobs", "oci-layout", long, "empty"])
            #expect(members.map(\.1) == [.directory, .file, .file, .file])
            #expect(members[2].2 == Array(repeating: 7, count: 1500))
            // oci-layout's body was left unread (`read` skips every other one): the next header
            // was still found after it.
            #expect(members[1].2 == [0xEE] && members[0].2.isEmpty)
            let again = try Self.read(Array(try Data(contentsOf: URL(fileURLWithPath: path.string))))
            #expect(again.count == 4)
        }
    }

    @Test func readsPythonsGNUAndPaxArchivesWithARootDirectory() throws {
        for format in ["GNU_FORMAT", "PAX_FORMAT", "USTAR_FORMAT"] {
            let directory = FilePath(NSTemporaryDirectory()).appending("tar-py-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory.string) }
            let path = directory.appending("p.tar")
            let long = format == "USTAR_FORMAT" ? "blobs/sha256/" + String(repeating: "a", count: 64) : "x/" + String(repeating: "n", count: 120)
            let script = """
                import io, sys, tarfile
                with tarfile.open(sys.argv[1], "w", format=tarfile.\(format)) as t:
                    d = tarfile.TarInfo("."); d.type = tarfile.DIRTYPE; t.addfile(d)
                    for name, data in ((sys.argv[2], b"x" * 3000), ("./oci-layout", b"{}")):
                        i = tarfile.TarInfo(name); i.size = len(data); i.mtime = 1234567890.5
                        t.addfile(i, io.BytesIO(data))
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script, path.string, long]
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
            let members = try Self.readFile(path)
            #expect(members.map(\.0) == [long, "oci-layout"], "\(format)")
            #expect(members.first?.2 == Array(repeating: UInt8(ascii: "x"), count: 3000), "\(format)")
        }
    }

    // MARK: Refused

    @Test(arguments: [
        ("../evil", UInt8(ascii: "0"), "`..`"),
        ("/etc/passwd", UInt8(ascii: "0"), "absolute"),
        ("./../x", UInt8(ascii: "0"), "`..`"),
        ("blobs/.git/config", UInt8(ascii: "0"), ".git"),
        ("a\\b", UInt8(ascii: "0"), "backslash"),
        ("blobs//x", UInt8(ascii: "0"), "empty component"),
        ("link", UInt8(ascii: "2"), "a link"),
        ("hard", UInt8(ascii: "1"), "a link"),
        ("tty", UInt8(ascii: "3"), "character device"),
        ("disk", UInt8(ascii: "4"), "block device"),
        ("pipe", UInt8(ascii: "6"), "FIFO"),
        ("sparse", UInt8(ascii: "S"), "sparse"),
        ("global", UInt8(ascii: "g"), "global header"),
    ])
    func aHostileMemberIsRefusedByName(name: String, type: UInt8, reason: String) {
        let text = Self.refusal(Self.archive([Raw(name: "oci-layout", body: [1]), Raw(name: name, type: type, body: type == UInt8(ascii: "g") ? Self.pax("comment", "x") : [])]))
        #expect(text.contains(reason), "\(name): \(text)")
        #expect(text.hasPrefix("a.tar"), "\(text)")
    }

    @Test func aNameSeenTwiceIsRefused() {
        let text = Self.refusal(Self.archive([Raw(name: "index.json", body: [1]), Raw(name: "./index.json", body: [2])]))
        #expect(text.contains("appears twice"), "\(text)")
    }

    @Test func aMemberOverTheLimitIsRefusedBeforeItsBodyIsRead() {
        let text = Self.refusal(Self.archive([Raw(name: "blob", body: Array(repeating: 1, count: 2000))]), limit: 1024)
        #expect(text.contains("more than the 1024"), "\(text)")
    }

    @Test func aTruncatedArchiveIsRefused() {
        let whole = Self.archive([Raw(name: "blob", body: Array(repeating: 1, count: 3000))])
        #expect(Self.refusal(Array(whole.prefix(1500))).contains("truncated"))
        #expect(Self.refusal(Array(whole.prefix(300))).contains("truncated"))
        #expect(Self.refusal(Self.archive([Raw(name: "blob", body: [1])], end: false)).contains("truncated"))
        #expect(Self.refusal(Array(whole.dropLast(512))).contains("single zero block"))
    }

    @Test func aBadChecksumIsRefused() {
        var bytes = Self.archive([Raw(name: "blob", body: [1, 2, 3])])
        bytes[10] ^= 0x01  // a byte of the name: the stored checksum no longer matches
        #expect(Self.refusal(bytes).contains("checksum"))
    }

    @Test func aHeaderWithoutUstarMagicIsRefused() {
        var bytes = Self.archive([Raw(name: "blob", body: [1])])
        bytes[257] = UInt8(ascii: "x")
        #expect(Self.refusal(bytes).contains("ustar magic"))
    }

    @Test func aPaxSizeThatLiesIsCaught() {
        // The pax record says 5000 bytes; 3 follow, then the end blocks: the reader runs into
        // the end of the file inside the claimed body.
        let bytes = Self.archive([Raw(name: "PaxHeaders/blob", type: UInt8(ascii: "x"), body: Self.pax("size", "5000")), Raw(name: "blob", body: [1, 2, 3])])
        #expect(Self.refusal(bytes).contains("truncated"))
        let bad = Self.archive([Raw(name: "PaxHeaders/blob", type: UInt8(ascii: "x"), body: Self.pax("size", "-1")), Raw(name: "blob", body: [1])])
        #expect(Self.refusal(bad).contains("not a byte count"))
        let link = Self.archive([Raw(name: "PaxHeaders/blob", type: UInt8(ascii: "x"), body: Self.pax("linkpath", "/etc")), Raw(name: "blob", body: [1])])
        #expect(Self.refusal(link).contains("linkpath"))
        let traversal = Self.archive([Raw(name: "PaxHeaders/blob", type: UInt8(ascii: "x"), body: Self.pax("path", "../../x")), Raw(name: "blob", body: [1])])
        #expect(Self.refusal(traversal).contains("`..`"))
    }

    @Test func malformedPaxRecordsAreRefused() {
        for body in [Array("99 path=x\n".utf8), Array("path=x\n".utf8), Array("7 =x\n".utf8), Array("9 pathx\n".utf8)] {
            let bytes = Self.archive([Raw(name: "p", type: UInt8(ascii: "x"), body: body), Raw(name: "blob", body: [1])])
            #expect(Self.refusal(bytes).contains("pax"), "\(String(decoding: body, as: UTF8.self))")
        }
        let huge = Self.archive([Raw(name: "p", type: UInt8(ascii: "x"), body: [], claimedSize: 1 << 30)])
        #expect(Self.refusal(huge).contains("at most"))
    }

    @Test func dataAfterTheEndIsRefused() {
        var bytes = Self.archive([Raw(name: "blob", body: [1])])
        bytes += [UInt8](repeating: 0, count: 512) + Array("smuggled".utf8) + [UInt8](repeating: 0, count: 504)
        #expect(Self.refusal(bytes).contains("after the end"))
        // Zero padding (tar's 10240-byte records) is fine.
        var padded = Self.archive([Raw(name: "blob", body: [1])])
        padded += [UInt8](repeating: 0, count: 8192)
        #expect(Self.refusal(padded) == "accepted")
    }

    @Test func aDirectoryWithABodyAndANamelessFileAreRefused() {
        #expect(Self.refusal(Self.archive([Raw(name: "d/", type: UInt8(ascii: "5"), body: [1])])).contains("directory member with a body"))
        #expect(Self.refusal(Self.archive([Raw(name: "./", type: UInt8(ascii: "0"), body: [1])])).contains("without a name"))
    }

    static func pax(_ key: String, _ value: String) -> [UInt8] {
        TarWriter.paxRecord(key, value)
    }
}
