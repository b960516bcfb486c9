import Foundation
import PinTestSupport
import Testing

/// The rules for where a model lands and what a pull may remove there (README, "Pulling",
/// step 7); the attacks on them are rows of the hostile table.
@Suite("model directories: whose links are followed, what a pull removes")
struct PathRulesTests {
    /// A `--to` the user typed is theirs, links and all; the default directory under the
    /// current one is not: a `models` link there may have come with a cloned repo.
    @Test func aTypedToFollowsItsLinksTheDefaultDirectoryDoesNot() throws {
        try HubSandbox.with { env throws in
            let disk = env.directory.appendingPathComponent("big-disk")
            try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: env.directory.appendingPathComponent("models"), withDestinationURL: disk)

            let refused = try env.pull("acme/tiny-model")
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("models` is a symbolic link"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path).isEmpty)

            let chosen = try env.pull("acme/tiny-model", "--to", "models/acme/tiny-model")
            #expect(chosen.status == 0, "\(chosen.stderr)")
            #expect(try Data(contentsOf: disk.appendingPathComponent("acme/tiny-model/config.json")) == Data(HubSandbox.config))
        }
    }

    /// A file the new snapshot lacks goes, and so does the directory it leaves empty; a
    /// directory that still holds something of the user's stays.
    @Test func directoriesEmptiedByAPullGoOthersStay() throws {
        let next = String(repeating: "5e6f", count: 10)
        try HubSandbox.with { env throws in
            #expect(try env.pull("acme/tiny-model").status == 0)
            try writeFile(env.model.appendingPathComponent("tokenizer/notes.txt"), Array("mine".utf8))
            try env.hub.update { repos in
                repos[0].commits[next] = [FakeHub.File("config.json", HubSandbox.config), FakeHub.File("model.safetensors", HubSandbox.weights, lfs: true)]
                repos[0].refs["main"] = next
            }
            let again = try env.pull("acme/tiny-model")
            #expect(again.status == 0, "\(again.stderr)")
            let names = try FileManager.default.contentsOfDirectory(atPath: env.model.path).sorted()
            #expect(names == [".modelpin", "config.json", "model.safetensors", "tokenizer"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: env.model.appendingPathComponent("tokenizer").path) == ["notes.txt"])
        }
    }
}
