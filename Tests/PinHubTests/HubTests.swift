import PinModel
import PinTestSupport
import PinTransport
import Testing

@testable import PinHub

@Suite("Path safety")
struct PathSafetyTests {
    @Test(arguments: [
        ("/etc/passwd", "absolute"), ("../up", "`..`"), ("a/../b", "`..`"), ("./a", "`.`"), ("a//b", "empty component"),
        ("a\\b", "backslash"), ("a\u{0}b", "NUL"), ("a\u{1B}[2Jb", "control character"), ("", "empty path"),
        (".modelpin/x", "reserved"), (".MODELPIN/x", "reserved"),
    ])
    func refusesUnsafePaths(_ path: String, _ reason: String) {
        let problems = PathSafety.problems(in: [path, "config.json"])
        #expect(problems.count == 1)
        #expect(problems.first?.contains(reason) == true)
    }

    @Test func refusesCaseInsensitiveClashes() {
        #expect(PathSafety.problems(in: ["Model.bin", "model.BIN"]).count == 1)
        #expect(PathSafety.problems(in: ["weights", "Weights/part-1.bin"]).first?.contains("needs it to be a directory") == true)
        #expect(PathSafety.problems(in: ["config.json", "tokenizer/tokenizer.json", "tokenizer/vocab.txt", "a.b/c"]).isEmpty)
    }
}

@Suite("Hub client")
struct HubClientTests {
    let sha = String(repeating: "ab", count: 32)
    let oid = String(repeating: "cd", count: 20)

    @Test func parsesTreeEntries() throws {
        let body = """
            [{"type":"directory","path":"tok","oid":"\(oid)","size":0},
             {"type":"file","path":"config.json","oid":"\(oid)","size":40},
             {"type":"file","path":"model.safetensors","oid":"\(oid)","size":5,"lfs":{"oid":"\(sha)","size":5,"pointerSize":130}}]
            """
        let files = try HubClient.parseTree(Array(body.utf8), url: HTTPURL("https://h/")!)
        #expect(files.map(\.path) == ["config.json", "model.safetensors"])
        #expect(files[0].sha256 == nil && files[0].size == 40)
        #expect(files[1].sha256?.hex == sha)
    }

    @Test(arguments: [
        #"{"not": "an array"}"#,
        #"[{"type":"file","path":"a","size":1}]"#,
        #"[{"type":"file","path":"a","oid":"xyz","size":1}]"#,
    ])
    func refusesMalformedTrees(_ body: String) {
        #expect(throws: HubError.self) { try HubClient.parseTree(Array(body.utf8), url: HTTPURL("https://h/")!) }
    }

    @Test func refusesAnLFSObjectWhoseSizeDisagrees() {
        let body = #"[{"type":"file","path":"m","oid":"\#(oid)","size":5,"lfs":{"oid":"\#(sha)","size":6}}]"#
        #expect(throws: HubError.self) { try HubClient.parseTree(Array(body.utf8), url: HTTPURL("https://h/")!) }
    }

    @Test func buildsURLsUnderAPathPrefix() throws {
        let endpoint = try HubEndpoint("https://mirror.example/hf/")
        #expect(endpoint.description == "https://mirror.example/hf")
        let snapshot = Snapshot(repo: try RepoID(parsing: "acme/tiny"), revision: "main", commit: try CommitID(parsing: String(repeating: "0", count: 40)))
        #expect(HubClient(endpoint: endpoint).url(of: "sub dir/model.bin", in: snapshot).description
            == "https://mirror.example/hf/acme/tiny/resolve/\(snapshot.commit)/sub%20dir/model.bin")
        #expect(throws: HubError.self) { try HubEndpoint("ftp://x") }
        #expect(throws: HubError.self) { try HubEndpoint("https://x/?q=1") }
    }

    @Test func movesNextPageLinksOntoTheEndpoint() throws {
        let commit = String(repeating: "1", count: 40)
        let files = (0..<5).map { FakeHub.File("f\($0).json", Array("\($0)".utf8)) }
        let hub = try FakeHub(repos: [FakeHub.Repo(id: "acme/tiny", commit: commit, files: files)], pathPrefix: "/hf")
        defer { hub.hub.stop(); hub.cdn.stop() }
        // The hub advertises absolute next-page URLs on another origin, as the real Hub does.
        hub.setPublicBases(hub: "https://huggingface.co", cdn: hub.cdn.baseURL)
        hub.configure { $0.pageSize = 2 }
        let endpoint = try HubEndpoint(hub.hub.baseURL + "/hf")
        var policy = TransportPolicy()
        endpoint.configure(&policy, token: nil)
        let client = try HTTPClient(policy: policy)
        let api = HubClient(endpoint: endpoint)
        let snapshot = try api.resolve(try RepoID(parsing: "ACME/Tiny"), revision: "main", using: client)
        #expect(snapshot.repo.description == "acme/tiny")
        #expect(snapshot.commit.hex == commit)
        let listed = try api.files(of: snapshot, using: client)
        #expect(listed.map(\.path) == files.map(\.path))
        #expect(hub.log.filter { $0.target.contains("/tree/") }.count == 3)
    }

    /// The revision answer's `sha` is parsed where it enters: anything but a 40-hex lowercase
    /// commit is refused, naming the URL it came from and what is wrong with it.
    @Test(arguments: [
        (String(repeating: "AB", count: 20), "commit ids are written in lowercase"),
        (String(repeating: "ab", count: 32), "is a SHA-256 git commit id"),
        ("main", "`main` is not a commit id (40 lowercase hex digits)"),
        ("../../etc/passwd", "is not a commit id"),
    ])
    func refusesARevisionAnswerWithoutACommit(sha: String, says: String) throws {
        let hub = try FakeHub(repos: [FakeHub.Repo(id: "acme/tiny", commit: sha, files: [FakeHub.File("a.json", Array("{}".utf8))])])
        defer { hub.hub.stop(); hub.cdn.stop() }
        let endpoint = try HubEndpoint(hub.hub.baseURL)
        var policy = TransportPolicy()
        endpoint.configure(&policy, token: nil)
        let error = #expect(throws: HubError.self) {
            try HubClient(endpoint: endpoint).resolve(try RepoID(parsing: "acme/tiny"), revision: "main", using: HTTPClient(policy: policy))
        }
        guard case .malformedResponse(let url, let reason) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(url.hasSuffix("/api/models/acme/tiny/revision/main"))
        #expect(reason.contains(says), "\(reason)")
    }
}
