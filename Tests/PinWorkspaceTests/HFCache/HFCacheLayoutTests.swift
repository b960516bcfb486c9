import PinModel
@testable import PinWorkspace
import Testing

@Suite struct HFCacheLayoutTests {
    static let commit = try! CommitID(parsing: String(repeating: "ab", count: 20))
    static let sha = try! SHA256Digest(parsing: "sha256:" + String(repeating: "0f", count: 32))
    static let git = try! GitBlobID(parsing: String(repeating: "1e", count: 20))

    /// huggingface_hub 2.x's constants.py, case by case.
    @Test(arguments: [
        ([String: String](), nil as String?, nil as String?),
        (["HOME": "/h"], nil, "/h/.cache/huggingface/hub"),
        (["HOME": "/h", "XDG_CACHE_HOME": "/x"], nil, "/x/huggingface/hub"),
        (["HOME": "/h", "XDG_CACHE_HOME": "/x", "HF_HOME": "/hf"], nil, "/hf/hub"),
        (["HOME": "/h", "HF_HOME": "~/hf"], nil, "/h/hf/hub"),
        (["HOME": "/h", "HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy"], nil, "/legacy"),
        (["HOME": "/h", "HF_HUB_CACHE": "/c", "HUGGINGFACE_HUB_CACHE": "/legacy"], nil, "/c"),
        (["HOME": "/h", "HF_HUB_CACHE": "$HOME/c/${HOME}/$UNSET"], nil, "/h/c//h/$UNSET"),
        (["HOME": "/h", "HF_HUB_CACHE": "/c"], "/option", "/option"),
    ])
    func root(environment: [String: String], option: String?, expected: String?) {
        #expect(HFCacheLayout.root(option: option, environment: environment) == expected)
    }

    @Test func namesBelowARepoFolder() throws {
        let model = try RepoID(parsing: "acme/tiny-bert")
        let dataset = try RepoID(parsing: "datasets/acme/squad.v2")
        #expect(HFCacheLayout.folderName(of: model) == "models--acme--tiny-bert")
        #expect(HFCacheLayout.folderName(of: dataset) == "datasets--acme--squad.v2")
        #expect(HFCacheLayout.blob(.sha256(Self.sha)) == "blobs/" + Self.sha.hex)
        #expect(HFCacheLayout.blob(.gitBlob(Self.git)) == "blobs/" + Self.git.hex)
        #expect(try HFCacheLayout.snapshotFile(commit: Self.commit, path: "a/b.bin") == "snapshots/\(Self.commit.hex)/a/b.bin")
        #expect(HFCacheLayout.snapshotLinkTarget(path: "config.json", etag: .gitBlob(Self.git)) == "../../blobs/" + Self.git.hex)
        #expect(HFCacheLayout.snapshotLinkTarget(path: "a/b/c.bin", etag: .sha256(Self.sha)) == "../../../../blobs/" + Self.sha.hex)
        #expect(try HFCacheLayout.ref("main") == "refs/main")
        #expect(try HFCacheLayout.ref("refs/pr/1") == "refs/refs/pr/1")
        #expect(HFCacheLayout.tree(commit: Self.commit) == "trees/\(Self.commit.hex).json")
        #expect(HFCacheLayout.lock(repo: dataset, etag: .sha256(Self.sha)) == ".locks/datasets--acme--squad.v2/\(Self.sha.hex).lock")
    }

    @Test func etagRule() throws {
        #expect(HFCacheETag.of(lfs: true, sha256: Self.sha, gitBlobID: Self.git) == .sha256(Self.sha))
        #expect(HFCacheETag.of(lfs: false, sha256: Self.sha, gitBlobID: Self.git) == .gitBlob(Self.git))
        #expect(HFCacheETag.of(lfs: false, sha256: Self.sha, gitBlobID: nil) == nil)
        #expect(try HFCacheETag(name: Self.sha.hex) == .sha256(Self.sha))
        #expect(try HFCacheETag(name: Self.git.hex) == .gitBlob(Self.git))
    }

    @Test(arguments: ["", "x", Self.sha.hex.uppercased(), Self.sha.hex + ".incomplete", "../" + Self.git.hex, String(Self.git.hex.dropLast())])
    func refusedBlobNames(name: String) {
        #expect(throws: HFCacheLayoutError.self) { try HFCacheETag(name: name) }
    }

    @Test(arguments: [
        ("models--acme--tiny", "acme/tiny"),
        ("datasets--acme--squad", "datasets/acme/squad"),
        ("models--datasets--x", "datasets/x"),
    ])
    func folderNamesParse(name: String, expected: String) throws {
        let repo = try HFCacheLayout.repo(folderName: name)
        #expect(repo.description == expected)
        #expect(HFCacheLayout.folderName(of: repo) == name)
    }

    /// A folder name comes from a directory anyone could have written.
    @Test(arguments: [
        "models--gpt2", "spaces--acme--app", "models--acme--tiny--extra", "models--acme---tiny", "models----tiny",
        "models--acme--..", "models--acme--a/b", "models--acme--ti\u{0}ny", "models--ac me--tiny", "Models--acme--tiny",
        "models--аcme--tiny", ".locks", "blobs", "",
    ])
    func refusedFolderNames(name: String) {
        #expect(throws: HFCacheLayoutError.self) { try HFCacheLayout.repo(folderName: name) }
    }

    @Test(arguments: ["", "../main", "/main", "a//b", Self.commit.hex, "main\u{0}", ".git/HEAD"])
    func refusedRefs(revision: String) {
        #expect(throws: HFCacheLayoutError.self) { try HFCacheLayout.ref(revision) }
    }

    @Test(arguments: ["../x", "/etc/passwd", "a/./b", ".git/config", ""])
    func refusedSnapshotPaths(path: String) {
        #expect(throws: HFCacheLayoutError.self) { try HFCacheLayout.snapshotFile(commit: Self.commit, path: path) }
    }
}
