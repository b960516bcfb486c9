import PinHub
import PinLock
import PinModel
import PinStore
import PinTransport
import PinWorkspace
import Testing

/// One repo id through every layer that names it: parsed, asked of the Hub, written to the
/// lock and read back, named in the store, laid out by default. A dataset keeps its kind at
/// every step, and a model, a dataset and the model of an owner called `datasets` never meet.
@Suite("Repo kinds through the layers")
struct RepoKindLayersTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let id: String
        let kind: RepoKind
        let resolve: String
        let reference: String
        let directory: String
        var testDescription: String { id }
    }

    static let commit = String(repeating: "c", count: 40)

    @Test(arguments: [
        Row(id: "acme/tiny", kind: .model, resolve: "/acme/tiny/resolve/\(commit)/a.json",
            reference: "acme/tiny:main", directory: "models/acme/tiny"),
        Row(id: "datasets/acme/tiny", kind: .dataset, resolve: "/datasets/acme/tiny/resolve/\(commit)/a.json",
            reference: "datasets/acme/tiny:main", directory: "datasets/acme/tiny"),
        Row(id: "datasets/tiny", kind: .model, resolve: "/datasets/tiny/resolve/\(commit)/a.json",
            reference: "datasets/tiny:main", directory: "models/datasets/tiny"),
    ])
    func everyLayerKeepsTheKind(_ row: Row) throws {
        // Parse.
        let repo = try RepoID(parsing: row.id)
        #expect(repo.kind == row.kind)
        #expect(repo.description == row.id)

        // The Hub's file URL.
        let endpoint = try HubEndpoint("https://hub.example")
        let snapshot = Snapshot(repo: repo, revision: "main", commit: try CommitID(parsing: Self.commit))
        #expect(HubClient(endpoint: endpoint).url(of: "a.json", in: snapshot).description == "https://hub.example" + row.resolve)

        // The lock's text, and the id read back from it.
        let file = LockedFile(path: "a.json", size: 2, sha256: try SHA256Digest(parsing: "sha256:" + String(repeating: "0", count: 64)),
                              gitBlobID: try GitBlobID(parsing: String(repeating: "1", count: 40)), lfs: false)
        let model = LockedModel(
            alias: ModelAlias(rawValue: "x")!, requestedRepo: row.id, requestedRevision: "main", include: [], exclude: [],
            endpoint: "https://hub.example", repo: repo.description, commit: snapshot.commit, files: [file])
        let text = LockfileFormat.render(Lockfile(models: [model]))
        #expect(text.contains("requested-repo = \"\(row.id)\"\n"))
        #expect(text.contains("\nrepo = \"\(row.id)\"\n"))
        let read = try LockfileFormat.parse(text, file: "modelpin.lock")
        #expect(try RepoID(parsing: read.models[0].repo) == repo)

        // The store's reference name, and the manifest's record of the repo.
        #expect(SnapshotReference.name(repo: repo, revision: "main") == row.reference)
        let stored = StoredSnapshot(repo: repo, commit: Self.commit, endpoint: nil, files: [
            .init(path: "a.json", sha256: file.sha256, size: 2, gitBlobID: file.gitBlobID, lfs: false),
        ])
        #expect(try SnapshotManifest.parse(SnapshotManifest.render(stored).manifest).repo == repo)

        // The default directory, from the id and from a manifest's text.
        #expect(ModelsIgnore.defaultDirectory(for: repo) == row.directory)
        #expect(ModelsIgnore.defaultDirectory(for: row.id) == row.directory)
    }

    /// A model and a dataset of one owner/name are different everywhere they are named.
    @Test func aModelAndADatasetOfOneNameNeverCollide() throws {
        let model = try RepoID(parsing: "acme/tiny"), dataset = try RepoID(parsing: "datasets/acme/tiny")
        #expect(model != dataset)
        #expect(model.ownerAndName == dataset.ownerAndName)
        #expect(SnapshotReference.name(repo: model, revision: Self.commit) != SnapshotReference.name(repo: dataset, revision: Self.commit))
        #expect(ModelsIgnore.defaultDirectory(for: model) != ModelsIgnore.defaultDirectory(for: dataset))
        let files = [StoredSnapshot.File(
            path: "a", sha256: try SHA256Digest(parsing: "sha256:" + String(repeating: "0", count: 64)), size: 0, gitBlobID: nil, lfs: false)]
        #expect(SnapshotManifest.render(StoredSnapshot(repo: model, commit: Self.commit, endpoint: nil, files: files)).manifestDigest
            != SnapshotManifest.render(StoredSnapshot(repo: dataset, commit: Self.commit, endpoint: nil, files: files)).manifestDigest)
    }
}
