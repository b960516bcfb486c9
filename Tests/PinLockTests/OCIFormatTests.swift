import Foundation
import PinLock
import PinModel
import Testing

/// Models from an OCI registry: `source = "oci://…"` in modelpin.toml, and a lock entry pinned
/// by its manifest's digest (`manifest`, no `commit`) with every layer's digest as a file's.
@Suite("OCI models in modelpin.toml and modelpin.lock")
struct OCIFormatTests {
    static let manifestDigest = try! SHA256Digest(parsing: "sha256:" + String(repeating: "5e", count: 32))

    static func lockedOCIModel() throws -> LockedModel {
        var model = LockedModel(
            alias: try ModelAlias(validating: "tiny"), requestedRepo: "oci://127.0.0.1:5000/models/tiny", requestedRevision: "v1",
            include: [], exclude: [], endpoint: "oci://127.0.0.1:5000/models/tiny", repo: "oci://127.0.0.1:5000/models/tiny",
            commit: CommitID(ociManifest: manifestDigest),
            files: [LockedFile(path: "model.safetensors", size: 7, sha256: try SHA256Digest(parsing: "sha256:" + String(repeating: "7a", count: 32)),
                               gitBlobID: try GitBlobID(parsing: String(repeating: "3c", count: 20)), lfs: false, verdict: .safe)])
        model.source = .oci
        model.scanner = "modelpin-scan/test"
        return model
    }

    @Test func aLockedOCIModelIsWrittenWithItsManifestDigestAndReadBack() throws {
        let lock = Lockfile(models: [try Self.lockedOCIModel()])
        let text = LockfileFormat.render(lock)
        #expect(text.contains("manifest = \"\(Self.manifestDigest)\"\n"))
        #expect(text.contains("source = \"oci\"\n"))
        #expect(!text.contains("commit = "))
        let parsed = try LockfileFormat.parse(text, file: "modelpin.lock")
        #expect(parsed == lock)
        #expect(parsed.models[0].commit.ociManifest == Self.manifestDigest)
    }

    @Test func aHubModelCannotCarryAManifestNorAnOCIModelACommit() throws {
        let text = LockfileFormat.render(Lockfile(models: [try Self.lockedOCIModel()]))
        let withCommit = text.replacingOccurrences(of: "source = \"oci\"\n", with: "source = \"oci\"\ncommit = \"\(String(repeating: "a", count: 40))\"\n")
        #expect(throws: ProjectFileError.self) { try LockfileFormat.parse(withCommit, file: "modelpin.lock") }
        let asHub = text.replacingOccurrences(of: "source = \"oci\"\n", with: "")
        let error = #expect(throws: ProjectFileError.self) { try LockfileFormat.parse(asHub, file: "modelpin.lock") }
        #expect(error?.message.contains("`manifest` belongs to a model from an OCI registry") == true)
        let badDigest = text.replacingOccurrences(of: Self.manifestDigest.hex, with: "xyz")
        #expect(throws: ProjectFileError.self) { try LockfileFormat.parse(badDigest, file: "modelpin.lock") }
    }

    @Test func aCommitTextOf64HexDigitsIsStillRefused() {
        #expect(throws: CommitIDError.self) { try CommitID(parsing: Self.manifestDigest.hex) }
        #expect(CommitID(ociManifest: Self.manifestDigest).ociManifest == Self.manifestDigest)
        #expect((try? CommitID(parsing: String(repeating: "a", count: 40)))?.ociManifest == nil)
    }

    @Test(arguments: [
        ("oci://127.0.0.1:5000/models/tiny:v1", "oci://127.0.0.1:5000/models/tiny", "v1"),
        ("oci://registry.example/a/b/c", "oci://registry.example/a/b/c", "latest"),
        ("oci://registry.example:443/m@sha256:\(String(repeating: "ab", count: 32))", "oci://registry.example:443/m", "sha256:" + String(repeating: "ab", count: 32)),
    ])
    func aSourceIsSplitIntoRepoAndRevision(text: String, repo: String, revision: String) throws {
        let manifest = try ManifestFormat.parse("version = 1\n[models.tiny]\nsource = \"\(text)\"\n", file: "modelpin.toml")
        let model = try #require(manifest.model("tiny"))
        #expect(model.repo == repo)
        #expect(model.revision == revision)
        #expect(model.isOCI)
    }

    @Test(arguments: ["https://registry.example/m", "oci://registry.example", "oci:///m", "oci://h/m:", "oci://h/m@"])
    func aSourceThatIsNoOCIReferenceIsRefused(text: String) {
        #expect(throws: ProjectFileError.self) { try ManifestFormat.parse("version = 1\n[models.tiny]\nsource = \"\(text)\"\n", file: "modelpin.toml") }
    }

    @Test func anAppendedOCIModelIsWrittenAsItsSourceAndReadBack() throws {
        for (repo, revision) in [("oci://h:5000/m/t", "v1"), ("oci://h/m", "sha256:" + String(repeating: "cd", count: 32))] {
            let text = ManifestFormat.appending(ModelRequest(alias: try ModelAlias(validating: "t"), repo: repo, revision: revision), to: "version = 1\n")
            #expect(!text.contains("repo = "))
            let model = try #require(try ManifestFormat.parse(text, file: "modelpin.toml").model("t"))
            #expect(model.repo == repo && model.revision == revision)
        }
    }

    @Test func aRepoThatIsAnOCIReferenceIsRefusedWithAHint() {
        let error = #expect(throws: ProjectFileError.self) {
            try ManifestFormat.parse("version = 1\n[models.tiny]\nrepo = \"oci://h/m\"\n", file: "modelpin.toml")
        }
        #expect(error?.hint?.contains("source = ") == true)
    }

    @Test func sourceAndRepoTogetherAreRefused() {
        let error = #expect(throws: ProjectFileError.self) {
            try ManifestFormat.parse("version = 1\n[models.tiny]\nsource = \"oci://h/m:v1\"\nrepo = \"org/name\"\n", file: "modelpin.toml")
        }
        #expect(error?.message.contains("both name where the model comes from") == true)
    }
}
