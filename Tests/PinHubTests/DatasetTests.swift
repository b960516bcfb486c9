import PinModel
import PinTestSupport
import PinTransport
import Testing

@testable import PinHub

/// Datasets take the Hub's dataset paths, with every model check unchanged: the revision's
/// `id` (which the Hub writes without `datasets/`) may respell the repo but never change its
/// kind, and a model and a dataset of the same owner/name are two repos.
@Suite("Hub client: datasets")
struct HubDatasetTests {
    static let commit = try! CommitID(parsing: String(repeating: "1", count: 40))

    /// Each kind's URLs, as huggingface_hub builds them (`hf_api.py`, `file_download.py`).
    @Test(arguments: [
        ("acme/tiny", "https://hub.example/hf/api/models/acme/tiny/revision/v1",
         "https://hub.example/hf/api/models/acme/tiny/tree/\(commit)?recursive=true&expand=false",
         "https://hub.example/hf/acme/tiny/resolve/\(commit)/data/a%20b.parquet"),
        ("datasets/acme/tiny", "https://hub.example/hf/api/datasets/acme/tiny/revision/v1",
         "https://hub.example/hf/api/datasets/acme/tiny/tree/\(commit)?recursive=true&expand=false",
         "https://hub.example/hf/datasets/acme/tiny/resolve/\(commit)/data/a%20b.parquet"),
        // The model `tiny` of an owner called `datasets` stays a model.
        ("datasets/tiny", "https://hub.example/hf/api/models/datasets/tiny/revision/v1",
         "https://hub.example/hf/api/models/datasets/tiny/tree/\(commit)?recursive=true&expand=false",
         "https://hub.example/hf/datasets/tiny/resolve/\(commit)/data/a%20b.parquet"),
    ])
    func urlsFollowTheKind(id: String, revision: String, tree: String, resolve: String) throws {
        let repo = try RepoID(parsing: id)
        let endpoint = try HubEndpoint("https://hub.example/hf")
        #expect(endpoint.base.appending(path: "\(HubClient.apiPath(repo))/revision/v1").description == revision)
        #expect(endpoint.base.appending(path: "\(HubClient.apiPath(repo))/tree/\(Self.commit)?recursive=true&expand=false").description == tree)
        let snapshot = Snapshot(repo: repo, revision: "v1", commit: Self.commit)
        #expect(HubClient(endpoint: endpoint).url(of: "data/a b.parquet", in: snapshot).description == resolve)
    }

    /// The answer's `id` respells the repo only when it is the same owner/name, and never makes
    /// a dataset a model (or the reverse).
    @Test(arguments: [
        ("datasets/acme/tiny", "ACME/Tiny", "datasets/ACME/Tiny"),
        ("datasets/acme/tiny", "datasets/acme/tiny", "datasets/acme/tiny"),
        ("datasets/acme/tiny", "other/tiny", "datasets/acme/tiny"),
        ("datasets/acme/tiny", nil, "datasets/acme/tiny"),
        ("acme/tiny", "ACME/tiny", "ACME/tiny"),
        ("acme/tiny", "datasets/acme/tiny", "acme/tiny"),
    ] as [(String, String?, String)])
    func theAnsweredIDKeepsTheKind(asked: String, answered: String?, expected: String) throws {
        let canonical = HubClient.canonical(try RepoID(parsing: asked), answered: answered)
        #expect(canonical.description == expected)
        #expect(canonical.kind == (try RepoID(parsing: asked)).kind)
    }

    /// Against the fake Hub: a dataset and a model with the same owner/name resolve to their own
    /// commits and files, and each is missing (RepoNotFound) at the other kind's paths.
    @Test func aDatasetAndAModelOfOneNameAreTwoRepos() throws {
        let modelCommit = String(repeating: "a", count: 40), dataCommit = String(repeating: "d", count: 40)
        let hub = try FakeHub(repos: [
            FakeHub.Repo(id: "acme/twin", commit: modelCommit, files: [FakeHub.File("config.json", Array("{}".utf8))]),
            FakeHub.Repo(id: "datasets/acme/twin", commit: dataCommit, files: [
                FakeHub.File("README.md", Array("# twin\n".utf8)),
                FakeHub.File("data/train.parquet", Array("PAR1 not really".utf8), lfs: true),
            ]),
            FakeHub.Repo(id: "datasets/acme/only-data", commit: dataCommit, files: [FakeHub.File("a.csv", Array("a\n1\n".utf8))]),
        ])
        defer { hub.hub.stop(); hub.cdn.stop() }
        let endpoint = try HubEndpoint(hub.hub.baseURL)
        var policy = TransportPolicy()
        endpoint.configure(&policy, token: nil)
        let client = try HTTPClient(policy: policy)
        let api = HubClient(endpoint: endpoint)

        let data = try api.resolve(try RepoID(parsing: "datasets/ACME/twin"), revision: "main", using: client)
        #expect(data.repo.description == "datasets/acme/twin")
        #expect(data.commit.hex == dataCommit)
        #expect(try api.files(of: data, using: client).map(\.path) == ["README.md", "data/train.parquet"])
        let model = try api.resolve(try RepoID(parsing: "acme/twin"), revision: "main", using: client)
        #expect(model.repo.description == "acme/twin" && model.commit.hex == modelCommit)
        #expect(try api.files(of: model, using: client).map(\.path) == ["config.json"])
        #expect(hub.log.contains { $0.target == "/api/datasets/ACME/twin/revision/main" })

        // The model path of a dataset, and the dataset path of a model, name no repo.
        for (id, page) in [("acme/only-data", "/acme/only-data"), ("datasets/acme/missing", "/datasets/acme/missing")] {
            let error = #expect(throws: HubError.self) { try api.resolve(try RepoID(parsing: id), revision: "main", using: client) }
            guard case .repoNotFound(let repo, _, let shown)? = error else {
                Issue.record("\(id): unexpected \(String(describing: error))")
                continue
            }
            #expect(repo == id)
            #expect(shown == hub.endpoint + page)
        }
    }

    /// `/datasets/…/resolve/…` serves the dataset's file with its commit; the same path without
    /// `datasets/` is the model's, and a file only the dataset has is not found there.
    @Test func resolveAnswersCarryTheDatasetsCommit() throws {
        let dataCommit = String(repeating: "d", count: 40)
        let hub = try FakeHub(repos: [
            FakeHub.Repo(id: "datasets/acme/twin", commit: dataCommit, files: [FakeHub.File("a.csv", Array("a\n1\n".utf8))]),
        ])
        defer { hub.hub.stop(); hub.cdn.stop() }
        let endpoint = try HubEndpoint(hub.hub.baseURL)
        var policy = TransportPolicy()
        endpoint.configure(&policy, token: nil)
        let client = try HTTPClient(policy: policy)
        let snapshot = Snapshot(repo: try RepoID(parsing: "datasets/acme/twin"), revision: "main", commit: try CommitID(parsing: dataCommit))
        let (head, body) = try client.fetch(HubClient(endpoint: endpoint).url(of: "a.csv", in: snapshot), limit: 1 << 10)
        #expect(body == Array("a\n1\n".utf8))
        try HubClient.checkCommit(head, path: "a.csv", commit: snapshot.commit)
        let asModel = Snapshot(repo: try RepoID(parsing: "acme/twin"), revision: "main", commit: snapshot.commit)
        #expect(throws: TransportError.self) { try client.fetch(HubClient(endpoint: endpoint).url(of: "a.csv", in: asModel), limit: 1 << 10) }
    }
}
