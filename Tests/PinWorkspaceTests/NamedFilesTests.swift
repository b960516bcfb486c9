import PinModel
import PinTestSupport
import PinWorkspace
import Testing

/// `PullRequest.files`: `hf download`'s file names — exact paths, never patterns.
@Suite("Pulling named files")
struct NamedFilesTests {
    static let bracketed = Array(#"{"bracketed": true}"#.utf8)
    static let repo = FakeHub.Repo(
        id: "acme/tiny-model", commit: TestWorkspace.commit,
        files: TestWorkspace.tinyFiles + [FakeHub.File("shard[1].json", bracketed), FakeHub.File("shard1.json", TestWorkspace.config)])

    @Test func pullsExactlyTheNamedPathsTakingNoNameForAPattern() throws {
        try TestWorkspace.with(repos: [Self.repo]) { workspace throws in
            var request = PullRequest(name: "acme/tiny-model", revision: "main", workingDirectory: workspace.directory)
            request.destination = workspace.destination
            // As a pattern, `shard[1].json` would match `shard1.json` and not itself.
            request.files = ["shard[1].json", "tokenizer/tokenizer.json"]
            let summary = try workspace.puller.pull(request)
            #expect(summary.files.map(\.path).sorted() == ["shard[1].json", "tokenizer/tokenizer.json"])
            #expect(try workspace.pulled("shard[1].json") == Self.bracketed)
        }
    }

    @Test func aNamedPathTheSnapshotLacksIsAnErrorNamingIt() throws {
        try TestWorkspace.with(repos: [Self.repo]) { workspace throws in
            var request = PullRequest(name: "acme/tiny-model", revision: "main", workingDirectory: workspace.directory)
            request.destination = workspace.destination
            request.files = ["config.json", "confg.json", "*.json"]
            let error = try #require(throws: PullError.self) { try workspace.puller.pull(request) }
            #expect(error.description == "`acme/tiny-model@main` has no file `confg.json`, `*.json`")
            #expect(error.kind == .usage)
            #expect(workspace.requests(containing: "/resolve/").isEmpty)
        }
    }
}
