import Foundation
import PinLock
import PinModel
import PinStore
import PinTestSupport
import PinWorkspace
import SystemPackage
import Testing

@Suite("A conflicted lock answers no check, and relative mirrors")
struct ConflictedLockOperationTests {
    static let manifest = "version = 1\n\n[models.tiny]\nrepo = \"acme/tiny-model\"\n"
    static let ours = String(repeating: "1a2b", count: 10)
    static let theirs = String(repeating: "5d6e", count: 10)
    static let lock = """
        version = 1

        [[model]]
        alias = "tiny"
        requested-repo = "acme/tiny-model"
        requested-revision = "main"
        include = []
        exclude = []
        endpoint = "https://hub.test"
        repo = "acme/tiny-model"
        <<<<<<< HEAD
        commit = "\(ours)"
        =======
        commit = "\(theirs)"
        >>>>>>> topic

        """

    /// A workspace whose store no check may open: the refusals come before any source. (The
    /// audit log, which lives in the store, is off: what is tested is the order of the checks.)
    static func workspace() -> Workspace {
        Workspace(
            openStore: { _ in throw ProjectError.noManifest(FilePath("/nonexistent")) }, keyringDirectory: { "/nonexistent" },
            configuration: WorkspaceConfiguration(environment: ["MODELPIN_AUDIT": "off"], userAgent: "test"))
    }

    static func project(_ directory: URL) throws -> Project {
        _ = try writeFile(directory.appendingPathComponent("modelpin.toml"), Array(manifest.utf8))
        _ = try writeFile(directory.appendingPathComponent("modelpin.lock"), Array(lock.utf8))
        return try Project.load(FilePath(directory.appendingPathComponent("modelpin.toml").path))
    }

    @Test func checkNamesTheConflictNotTheLocked() throws {
        try withTemporaryDirectory("modelpin-conflict") { directory in
            let project = try Self.project(directory)
            var request = LockRequest()
            request.check = true
            #expect {
                try Self.workspace().lock(project, request)
            } throws: { error in
                guard case .lockCheckFailed(_, let missing, let drift, let line) = error as? ProjectError else { return false }
                return !missing && drift.isEmpty && line == 11 && (error as! ProjectError).kind == .refused
                    && !(error as! ProjectError).description.contains("--locked")
            }
        }
    }

    @Test func lockedRefusesNamingWhatTheSidesDisagreeOn() throws {
        try withTemporaryDirectory("modelpin-conflict") { directory in
            let project = try Self.project(directory)
            var request = LockRequest()
            request.locked = true
            #expect {
                try Self.workspace().lock(project, request)
            } throws: { error in
                guard case .lockConflicted(_, let line, let disputed) = error as? ProjectError else { return false }
                return line == 11 && disputed == ["tiny"]
            }
            let (agreed, conflict) = try project.loadPreviousLock()
            #expect(agreed == Lockfile(models: []))
            #expect(conflict?.ours.model("tiny")?.commit.hex == Self.ours)
            #expect(conflict?.theirs.model("tiny")?.commit.hex == Self.theirs)
            #expect(throws: ProjectFileError.self) { try project.loadLock() }
        }
    }

    /// (as typed, the directory it means from /work/project)
    @Test(arguments: [("../usb", "/work/usb"), ("usb", "/work/project/usb"), ("./m/../usb/", "/work/project/usb")])
    func aRelativeMirrorIsADirectoryBelowTheCurrentOne(_ text: String, _ expected: String) throws {
        #expect(try MirrorSource(parsing: text, relativeTo: FilePath("/work/project")) == .directory(FilePath(expected)))
        #expect(throws: ProjectError.self) { try MirrorSource(parsing: text) }
        #expect(throws: ProjectError.self) { try MirrorSource(parsing: "ftp://host/x", relativeTo: FilePath("/work/project")) }
    }
}
