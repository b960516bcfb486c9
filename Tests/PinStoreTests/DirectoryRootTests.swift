import Foundation
import PinStore
import PinTestSupport
import SystemPackage
import Testing

/// The primitive every write and delete in a model's directory goes through.
@Suite("DirectoryRoot: nothing below the root is followed or left")
struct DirectoryRootTests {
    /// `root/` and, beside it, `outside/` with a file in it; `root/link -> ../outside`.
    static func with(_ body: (DirectoryRoot, URL) throws -> Void) throws {
        try withTemporaryDirectory("modelpin-root") { directory throws in
            let outside = directory.appendingPathComponent("outside")
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            try writeFile(outside.appendingPathComponent("victim"), Array("keep".utf8))
            let rootURL = directory.appendingPathComponent("root")
            try FileManager.default.createDirectory(at: rootURL, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: rootURL.appendingPathComponent("link").path, withDestinationPath: "../outside")
            try body(try DirectoryRoot.open(FilePath(rootURL.path), create: false), directory)
        }
    }

    @Test(arguments: ["link/new", "link/victim", "../outside/victim", "/etc/passwd", "a/../../outside/victim", "a//b", "./a", ""])
    func aPathThatWouldLeaveTheRootIsRefused(_ path: String) throws {
        try Self.with { root, directory throws in
            #expect(throws: DirectoryRoot.Failure.self) { try root.createFile(path) }
            #expect(throws: DirectoryRoot.Failure.self) { _ = try root.removeFile(path) { _ in true } }
            #expect(throws: DirectoryRoot.Failure.self) { try root.directory(path, create: true) }
            #expect(try String(contentsOf: directory.appendingPathComponent("outside/victim"), encoding: .utf8) == "keep")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("outside/new").path))
        }
    }

    @Test func aSymbolicLinkOnTheWayIsNamedInTheFailure() throws {
        try Self.with { root, _ throws in
            do throws(DirectoryRoot.Failure) {
                _ = try root.directory("link/deeper", create: true)
                Issue.record("a link was followed")
            } catch {
                #expect(error.symbolicLink)
                #expect(error.path.string.hasSuffix("root/link"))
                #expect(error.description.contains("is a symbolic link"))
            }
        }
    }

    @Test func removingAFileChecksItIsStillTheSameOneAndNeverTakesADirectory() throws {
        try Self.with { root, directory throws in
            let file = try root.createFile("d/e/f.bin")
            try file.close()
            let status = try #require(try root.status("d/e/f.bin"))
            #expect(try root.removeFile("d/e/f.bin") { $0.inode != status.inode } == false)
            #expect(try root.status("d/e/f.bin") != nil)
            #expect(try root.removeFile("d/e") { _ in true } == false)
            #expect(try root.removeFile("d/e/f.bin") { $0.inode == status.inode })
            // The link itself may go; what it points at stays.
            #expect(try root.removeFile("link") { _ in true })
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("outside/victim").path))
        }
    }

    @Test func directoriesAreRemovedOnlyWhenEmpty() throws {
        try Self.with { root, _ throws in
            try root.createFile("d/e/f.bin").close()
            #expect(try root.removeEmptyDirectory("d/e") == false)
            #expect(try root.removeFile("d/e/f.bin") { _ in true })
            #expect(try root.removeEmptyDirectory("d/e"))
            #expect(try root.removeEmptyDirectory("d"))
            #expect(try root.list("") == ["link"])
        }
    }

    @Test func renameAndListStayBelowTheRoot() throws {
        try Self.with { root, _ throws in
            let file = try root.createFile("a/.x.modelpin-0123456789abcdef")
            try file.close()
            try root.rename("a/.x.modelpin-0123456789abcdef", to: "a/b/x")
            #expect(try root.list("a") == ["b"])
            #expect(try root.list("a/b") == ["x"])
            #expect(throws: DirectoryRoot.Failure.self) { try root.rename("a/b/x", to: "link/x") }
            #expect(throws: DirectoryRoot.Failure.self) { try root.list("link") }
        }
    }

    @Test(arguments: [
        (".model.safetensors.modelpin-0123456789abcdef", true), (".a.modelpin-ffffffffffffffff", true),
        (".a.modelpin-FFFFFFFFFFFFFFFF", false), (".a.modelpin-0123", false), ("a.modelpin-0123456789abcdef", false),
        (".modelpin-0123456789abcdef", false), (".notes.modelpin-draft", false), ("model.safetensors", false),
    ])
    func onlyModelpinsOwnTempNamesAreRecognised(_ name: String, _ matches: Bool) {
        #expect(MaterializeTemporary.matches(name) == matches)
    }

    @Test func aFreshTempNameIsRecognised() {
        #expect(MaterializeTemporary.matches(MaterializeTemporary.name(for: "model.safetensors")))
        #expect(MaterializeTemporary.sibling(of: "a/b/c.bin").hasPrefix("a/b/.c.bin.modelpin-"))
    }
}

/// The record in a model's directory is input from whoever can write that directory.
@Suite("Snapshot record: a forged one is no record")
struct SnapshotRecordTests {
    static func record(_ paths: [String], version: Int = 1) -> [UInt8] {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let files = paths.map { path in
            #""\#(path)": {"inode": 1, "mode": "copy", "modified": 2, "sha256": "\#(digest)", "size": 3}"#
        }
        return Array(#"{"commit": "c", "files": {\#(files.joined(separator: ", "))}, "repo": "a/b", "version": \#(version)}"#.utf8)
    }

    @Test func aRecordModelpinWritesIsRead() throws {
        let record = try #require(SnapshotRecord.parse(Self.record(["config.json", "tokenizer/vocab.txt"])))
        #expect(record.files.keys.sorted() == ["config.json", "tokenizer/vocab.txt"])
        #expect(SnapshotRecord.parse(try record.rendered()) == record)
    }

    @Test(arguments: [["../victim"], ["config.json", "../../etc"], ["/etc/passwd"], [".git/config"], ["a/./b"], ["Model.bin", "model.bin"]])
    func aRecordNamingAnUnsafePathIsIgnoredWhole(_ paths: [String]) {
        #expect(SnapshotRecord.parse(Self.record(paths)) == nil)
    }

    @Test func anotherVersionOrGarbageIsNoRecord() {
        #expect(SnapshotRecord.parse(Self.record(["a"], version: 2)) == nil)
        #expect(SnapshotRecord.parse(Array("not json".utf8)) == nil)
        #expect(SnapshotRecord.parse([]) == nil)
    }
}
