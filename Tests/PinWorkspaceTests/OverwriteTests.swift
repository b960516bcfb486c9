import Foundation
import PinDigest
import PinModel
import PinTestSupport
import PinWorkspace
import SystemPackage
import Testing

@Suite("A pull never silently replaces the user's own files")
struct OverwriteTests {
    /// A file of the user's at a path the snapshot writes, with other bytes: one small git file
    /// (known before the download by its git blob id only) and one LFS file (by its SHA-256).
    @Test(arguments: ["config.json", "model.safetensors"])
    func theUsersOwnFileStopsThePullBeforeAnythingIsWritten(path: String) throws {
        try TestWorkspace.with { workspace in
            let mine = Array("the user's own \(path)\n".utf8)
            try workspace.write(mine, at: path)
            #expect {
                try workspace.pull("acme/tiny-model")
            } throws: { error in
                guard case .wouldOverwrite(let paths) = error as? PullError else { return false }
                return paths == [workspace.destination.appending(path)]
            }
            #expect(try workspace.pulled(path) == mine)
            // Refused before any download, and nothing was added to the directory.
            #expect(workspace.requests(containing: "/resolve/").isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.destination.string) == [path])
        }
    }

    @Test func theSnapshotsOwnBytesAlreadyThereAreNotTheUsersToLose() throws {
        try TestWorkspace.with { workspace in
            try workspace.write(TestWorkspace.config, at: "config.json")
            try workspace.write(TestWorkspace.weights, at: "model.safetensors")
            _ = try workspace.pull("acme/tiny-model")
            #expect(try workspace.pulled("config.json") == TestWorkspace.config)
            #expect(try workspace.pulled("model.safetensors") == TestWorkspace.weights)
        }
    }

    @Test func aFileModelpinLaidOutAndTheUserEditedIsRestored() throws {
        try TestWorkspace.with { workspace in
            _ = try workspace.pull("acme/tiny-model")
            // Edited in place and replaced by a new file (an editor that renames): both modelpin's.
            let url = URL(fileURLWithPath: workspace.destination.appending("config.json").string)
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("edited".utf8))
            try handle.close()
            try FileManager.default.removeItem(atPath: workspace.destination.appending("model.safetensors").string)
            try workspace.write(Array("rewritten".utf8), at: "model.safetensors")
            _ = try workspace.pull("acme/tiny-model")
            #expect(try workspace.pulled("config.json") == TestWorkspace.config)
            #expect(try workspace.pulled("model.safetensors") == TestWorkspace.weights)
        }
    }

    @Test func forceReplacesTheUsersFilesAndNamesEach() throws {
        try TestWorkspace.with { workspace in
            try workspace.write(Array("mine".utf8), at: "config.json")
            try workspace.write(Array("also mine".utf8), at: "tokenizer/tokenizer.json")
            _ = try workspace.pull("acme/tiny-model", force: true)
            #expect(try workspace.pulled("config.json") == TestWorkspace.config)
            #expect(try workspace.pulled("tokenizer/tokenizer.json") == TestWorkspace.tokenizer)
            let replaced = workspace.reporter.warnings.filter { $0.hasPrefix("--force: replaced") }
            #expect(replaced.count == 2, "\(workspace.reporter.warnings)")
            #expect(replaced.contains { $0.contains(workspace.destination.appending("config.json").string) })
            #expect(replaced.contains { $0.contains(workspace.destination.appending("tokenizer/tokenizer.json").string) })
        }
    }

    /// A pull that stops between two renames (here: one of its targets is a directory, which
    /// no rename replaces) has claimed the paths it writes in the store's layout record first,
    /// so what it did write is modelpin's to replace on the next pull, not the user's.
    @Test func whatAnInterruptedPullWroteIsModelpinsNotTheUsers() throws {
        let first = FakeHub.Repo(id: "acme/first", commit: String(repeating: "1", count: 40), files: [
            FakeHub.File("added.json", Array(#"{"first": true}"#.utf8)),
            FakeHub.File("zz/blocked.json", Array(#"{"blocked": true}"#.utf8)),
        ])
        let second = FakeHub.Repo(id: "acme/second", commit: String(repeating: "2", count: 40), files: [
            FakeHub.File("added.json", Array(#"{"second": true}"#.utf8)),
        ])
        try TestWorkspace.with(repos: [first, second]) { workspace in
            let blocker = workspace.destination.appending("zz/blocked.json")
            try FileManager.default.createDirectory(atPath: blocker.string, withIntermediateDirectories: true)
            #expect(throws: PullError.self) { try workspace.pull("acme/first", force: true) }
            #expect(try workspace.pulled("added.json") == Array(#"{"first": true}"#.utf8))
            try FileManager.default.removeItem(atPath: blocker.string)
            _ = try workspace.pull("acme/second")
            #expect(try workspace.pulled("added.json") == Array(#"{"second": true}"#.utf8))
        }
    }
}

extension TestWorkspace {
    /// Writes `bytes` at `relative` in the pull's directory, as the user would.
    func write(_ bytes: [UInt8], at relative: String) throws {
        let path = destination.appending(relative)
        try FileManager.default.createDirectory(atPath: path.removingLastComponent().string, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path.string))
    }
}
