import Foundation
import PinLock
import PinModel
import Testing

/// `golden` with the `tiny` model's commit in conflict: `ours` keeps the locked commit,
/// `theirs` moves it, as two branches that relocked differently leave it after a merge.
let otherCommit = String(repeating: "cd", count: 20)
let conflictedGolden: String = {
    let tiny = golden.range(of: "alias = \"tiny\"")!
    let commitLine = "commit = \"\(commit.hex)\""
    let line = golden.range(of: commitLine, range: tiny.upperBound..<golden.endIndex)!
    return golden.replacingCharacters(
        in: line, with: "<<<<<<< HEAD\n\(commitLine)\n=======\ncommit = \"\(otherCommit)\"\n>>>>>>> feature")
}()

@Suite("Git's merge-conflict markers: found, split into two sides, refused when out of place")
struct MergeConflictTests {
    /// (text, ours, theirs): lines outside a block are on both sides; a diff3 base is dropped.
    @Test(arguments: [
        ("a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> topic\nd\n", "a\nb\nd\n", "a\nc\nd\n"),
        ("a\n<<<<<<< HEAD\nb\n||||||| base\nx\n=======\nc\n>>>>>>> topic\n", "a\nb\n", "a\nc\n"),
        ("<<<<<<< ours\r\nb\r\n=======\r\n>>>>>>> theirs\r\nd", "b\r\nd", "d"),
        ("<<<<<<<\n1\n=======\n2\n>>>>>>>\nmid\n<<<<<<< HEAD\n3\n=======\n4\n>>>>>>> x\n", "1\nmid\n3\n", "2\nmid\n4\n"),
    ])
    func splitsIntoTwoSides(_ text: String, _ ours: String, _ theirs: String) throws {
        let conflict = try #require(try MergeConflict.split(text))
        #expect(conflict.ours == ours)
        #expect(conflict.theirs == theirs)
    }

    /// Lines that look like markers but are not git's: no conflict, nothing split.
    @Test(arguments: ["<<<<<<<< eight\n", "<<<<<<<x\n", " <<<<<<< indented\n", "======= label\n", "====== six\n", "x = \"<<<<<<< HEAD\"\n", ""])
    func otherTextHasNoConflict(_ text: String) throws {
        #expect(MergeConflict.firstMarkerLine(in: text) == nil)
        #expect(try MergeConflict.split(text) == nil)
    }

    /// (text, the line named): a marker out of place is refused, never guessed around.
    @Test(arguments: [
        ("a\n=======\nb\n", 2),
        ("a\n>>>>>>> x\n", 2),
        ("<<<<<<< a\nb\n=======\nc\n", 1),
        ("<<<<<<< a\n<<<<<<< b\n", 2),
        ("<<<<<<< a\n=======\n||||||| base\n>>>>>>> b\n", 3),
    ])
    func misplacedMarkersAreRefused(_ text: String, _ line: Int) {
        #expect(throws: MergeConflict.Malformed.self) { try MergeConflict.split(text) }
        do {
            _ = try MergeConflict.split(text)
        } catch {
            #expect(error.line == line)
        }
    }
}

@Suite("A lock or manifest with merge-conflict markers")
struct ConflictedProjectFileTests {
    @Test func theLockSaysItIsConflictedAndWhereNotThatItIsBadTOML() throws {
        let error = try #require(lockError(conflictedGolden))
        #expect(error.mergeConflict)
        #expect(error.line == 23)
        #expect(error.message.contains("merge-conflict markers"))
        #expect(!error.message.contains("TOML"))
        #expect(error.hint?.contains("`modelpin lock`") == true)
    }

    @Test func theManifestSaysItIsConflictedAndAsksForAHand() throws {
        let text = "version = 1\n\n[models.tiny]\nrepo = \"acme/tiny-model\"\n<<<<<<< HEAD\nrevision = \"main\"\n=======\nrevision = \"v2\"\n>>>>>>> topic\n"
        #expect(throws: ProjectFileError.self) { try ManifestFormat.parse(text, file: "modelpin.toml") }
        do {
            _ = try ManifestFormat.parse(text, file: "modelpin.toml")
        } catch {
            #expect(error.mergeConflict)
            #expect(error.line == 5)
            #expect(error.description.contains("`modelpin.toml`:5:1"))
            #expect(error.hint?.contains("by hand") == true)
        }
    }

    @Test func bothSidesParseAndOnlyWhatTheyAgreeOnIsKept() throws {
        let conflicted = try #require(try LockfileFormat.parseConflicted(conflictedGolden, file: "modelpin.lock"))
        #expect(conflicted.firstMarkerLine == 23)
        #expect(conflicted.ours == goldenLock)
        #expect(conflicted.theirs.model("tiny")?.commit.hex == otherCommit)
        #expect(conflicted.agreed.models.map(\.alias) == ["small"])
        #expect(conflicted.agreed.model("small") == goldenLock.model("small"))
        #expect(conflicted.disputed == ["tiny"])
    }

    @Test func aCleanLockIsNotConflicted() throws {
        #expect(try LockfileFormat.parseConflicted(golden, file: "modelpin.lock") == nil)
    }

    /// A side that is not a lock, or markers that do not pair up: an error, flagged as a
    /// conflict, that asks for a hand rather than guessing.
    @Test(arguments: [
        golden + "<<<<<<< HEAD\n[[model]]\n=======\n>>>>>>> topic\n",
        golden + "<<<<<<< HEAD\n=======\n",
    ])
    func anUnrecoverableConflictIsRefused(_ text: String) throws {
        #expect(throws: ProjectFileError.self) { try LockfileFormat.parseConflicted(text, file: "modelpin.lock") }
        do {
            _ = try LockfileFormat.parseConflicted(text, file: "modelpin.lock")
        } catch {
            #expect(error.mergeConflict)
            #expect(error.hint?.contains("by hand") == true)
        }
    }
}
