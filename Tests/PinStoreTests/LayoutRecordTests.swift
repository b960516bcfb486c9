import Foundation
import PinModel
@testable import PinStore
import PinTestSupport
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The store's record of what modelpin laid out in a model's directory: the only thing that
/// lets a pull keep a file without hashing it.
@Suite("Layout record: kept in the store, keyed by the directory, read strictly")
struct LayoutRecordTests {
    static let digest = try! SHA256Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))

    /// A store, a model directory beside it holding `model.bin`, and the directory opened.
    static func with(_ body: (StoreFixture, DirectoryRoot, URL) throws -> Void) throws {
        try StoreFixture.with { fixture throws in
            let model = fixture.directory.appendingPathComponent("model")
            try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
            try writeFile(model.appendingPathComponent("model.bin"), Array(repeating: 7, count: 4096))
            try body(fixture, try DirectoryRoot.open(FilePath(model.path), create: false), model)
        }
    }

    /// The record after laying out `model.bin` as a copy of `digest`, as a pull writes it.
    static func recorded(_ fixture: StoreFixture, _ root: DirectoryRoot) throws -> LayoutRecord {
        var record = try #require(fixture.store.layout(of: root))
        #expect(record.files.isEmpty, "a directory never laid out has a record")
        record.record("model.bin", digest: digest, mode: "copy", status: try #require(try root.status("model.bin")))
        fixture.store.recordLayout(record)
        return record
    }

    /// A directory name may hold any byte but a line feed and still read back exactly (a
    /// vertical tab or a `\r` is part of the name); one with a line feed gets no record at all.
    @Test(arguments: [("/models/a\u{0B}b", true), ("/models/a\rb", true), ("/models/a\r\nb", false), ("/models/a\nb", false)])
    func aDirectoryNameReadsBackExactlyOrGetsNoRecord(_ path: String, _ recordable: Bool) throws {
        let record = LayoutRecord(identity: LayoutRecord.Identity(owner: 1000, device: 1, inode: 2, path: path))
        if recordable {
            #expect(LayoutRecord.parse(try record.rendered()) == record)
        } else {
            #expect(throws: LayoutRecord.RenderError.self) { try record.rendered() }
        }
    }

    /// A claim (written before a pull's first rename) says the path is modelpin's, reads back
    /// as written, and never vouches for the bytes of the file at that path.
    @Test func aClaimMarksThePathAsModelpinsButVouchesForNothing() throws {
        try Self.with { fixture, root, _ throws in
            var record = try #require(fixture.store.layout(of: root))
            #expect(!record.laidOut("model.bin"))
            record.claim("model.bin", digest: Self.digest, mode: "copy")
            fixture.store.recordLayout(record)
            let read = try #require(fixture.store.layout(of: root))
            #expect(read == record)
            #expect(read.laidOut("model.bin") && !read.laidOut("other.bin"))
            let status = try #require(try root.status("model.bin"))
            #expect(!read.vouches(for: "model.bin", digest: Self.digest, mode: "copy", status: status))
        }
    }

    @Test func aRecordVouchesForTheVeryFileItDescribes() throws {
        try Self.with { fixture, root, _ throws in
            let written = try Self.recorded(fixture, root)
            let read = try #require(fixture.store.layout(of: root))
            #expect(read == written)
            let status = try #require(try root.status("model.bin"))
            #expect(read.vouches(for: "model.bin", digest: Self.digest, mode: "copy", status: status))
            #expect(!read.vouches(for: "model.bin", digest: Self.digest, mode: "symlink", status: status))
            #expect(!read.vouches(for: "other.bin", digest: Self.digest, mode: "copy", status: status))
        }
    }

    /// Same inode, same size, mtime set back: only the ctime tells.
    @Test func bytesRewrittenInPlaceWithTheOldMtimeAreNoLongerVouchedFor() throws {
        try Self.with { fixture, root, model throws in
            _ = try Self.recorded(fixture, root)
            let before = try #require(try root.status("model.bin"))
            Thread.sleep(forTimeInterval: 0.02)  // past the filesystem's timestamp granularity
            let handle = try FileHandle(forWritingTo: model.appendingPathComponent("model.bin"))
            try handle.write(contentsOf: Data(repeating: 9, count: 4096))
            try handle.close()
            var times = [before.st_atim, before.st_mtim]
            #expect(utimensat(AT_FDCWD, model.appendingPathComponent("model.bin").path, &times, 0) == 0)
            let after = try #require(try root.status("model.bin"))
            #expect(after.inode == before.inode && after.size == before.size)
            let read = try #require(fixture.store.layout(of: root))
            #expect(!read.vouches(for: "model.bin", digest: Self.digest, mode: "copy", status: after))
        }
    }

    @Test func aDirectoryMadeAgainAtTheSamePathHasNoRecord() throws {
        try Self.with { fixture, root, model throws in
            _ = try Self.recorded(fixture, root)
            try FileManager.default.moveItem(at: model, to: fixture.directory.appendingPathComponent("old"))
            try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
            let again = try DirectoryRoot.open(FilePath(model.path), create: false)
            #expect(try #require(fixture.store.layout(of: again)).files.isEmpty)
        }
    }

    /// Every way a record on disk can be wrong, or be about something else, reads as no
    /// record (its files are hashed again).
    @Test(arguments: ["version", "owner", "device", "inode", "directory", "unsafe path", "mode", "truncated"])
    func aDamagedOrForeignRecordIsNoRecord(_ change: String) throws {
        try Self.with { fixture, root, _ throws in
            _ = try Self.recorded(fixture, root)
            let file = try #require(try Self.recordFile(fixture))
            let bytes = try Data(contentsOf: file)
            var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var header = lines[0].split(separator: " ", maxSplits: 4).map(String.init)
            var entry = lines[1].split(separator: " ", maxSplits: 7).map(String.init)
            switch change {
            case "version": header[0] = "modelpin-layout/2"
            case "owner": header[1] = "4242"
            case "device": header[2] = "1"
            case "inode": header[3] = "1"
            case "directory": header[4] = "/elsewhere"
            case "unsafe path": entry[7] = "../victim"
            case "mode": entry[1] = "hardlink"
            default: break
            }
            lines[0] = header.joined(separator: " ")
            lines[1] = entry.joined(separator: " ")
            var changed = Data(lines.joined(separator: "\n").utf8)
            if change == "truncated" { changed = bytes.prefix(bytes.count / 2) }
            try changed.write(to: file)
            #expect(try #require(fixture.store.layout(of: root)).files.isEmpty, "\(String(decoding: changed, as: UTF8.self))")
        }
    }

    /// In a store several users share, a record another user owns vouches for nothing.
    @Test(.enabled(if: geteuid() == 0, "needs root to give a file away"))
    func aRecordAnotherUserOwnsIsNoRecord() throws {
        try Self.with { fixture, root, _ throws in
            _ = try Self.recorded(fixture, root)
            let file = try #require(try Self.recordFile(fixture))
            #expect(chown(file.path, 65534, 65534) == 0)
            #expect(try #require(fixture.store.layout(of: root)).files.isEmpty)
        }
    }

    @Test func gcDropsTheRecordsOfDirectoriesThatAreGoneOrMadeAgain() throws {
        try Self.with { fixture, root, model throws in
            _ = try Self.recorded(fixture, root)
            let kept = fixture.directory.appendingPathComponent("kept")
            try FileManager.default.createDirectory(at: kept, withIntermediateDirectories: true)
            let keptRoot = try DirectoryRoot.open(FilePath(kept.path), create: false)
            fixture.store.recordLayout(try #require(fixture.store.layout(of: keptRoot)))
            #expect(try Self.recordFiles(fixture).count == 2)

            _ = try fixture.store.collectGarbage(GCPolicy())
            #expect(try Self.recordFiles(fixture).count == 2, "gc dropped the record of a directory that is still there")
            try FileManager.default.removeItem(at: model)
            try FileManager.default.removeItem(at: kept)
            try FileManager.default.createDirectory(at: kept, withIntermediateDirectories: true)  // another inode
            _ = try fixture.store.collectGarbage(GCPolicy())
            #expect(try Self.recordFiles(fixture).isEmpty)
        }
    }

    static func recordFiles(_ fixture: StoreFixture) throws -> [URL] {
        let folder = URL(fileURLWithPath: fixture.store.root.string).appendingPathComponent("layouts/\(geteuid())")
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
    }

    static func recordFile(_ fixture: StoreFixture) throws -> URL? {
        try recordFiles(fixture).first
    }
}

@Suite("Temp files of killed pulls: this release's names and the earlier decimal ones")
struct EarlierTemporaryNameTests {
    @Test(arguments: [
        (".model.safetensors.modelpin-18446744073709551615", true), (".a.modelpin-0", true), (".a.modelpin-42", true),
        (".a.b.modelpin-123", true), (".a.modelpin-18446744073709551616", false), (".a.modelpin-042", false),
        (".a.modelpin-", false), (".modelpin-42", false), ("a.modelpin-42", false), (".a.modelpin-4x2", false),
        (".a.modelpin-123456789012345678901", false), (".notes.modelpin-draft", false),
    ])
    func theDecimalTempNamesOfEarlierReleasesAreRecognised(_ name: String, _ matches: Bool) {
        #expect(MaterializeTemporary.matchesEarlierRelease(name) == matches)
    }
}
