import PinLock
import Testing

@Suite struct LockDriftTests {
    let lock = Lockfile(models: [
        model("tiny", files: [file("config.json")]),
        model("old", files: []),
    ])

    func request(_ alias: ModelAlias, revision: String = "main", include: [String] = ["*.json", "*.safetensors"]) -> ModelRequest {
        ModelRequest(alias: alias, repo: "acme/Tiny-Model", revision: revision, include: include)
    }

    @Test func answeringLockHasNoDrift() {
        let manifest = Manifest(models: [request("tiny"), request("old")])
        #expect(lock.drift(from: manifest, endpoint: "https://huggingface.co").isEmpty)
        #expect(lock.drift(from: manifest, endpoint: "https://huggingface.co/").isEmpty)
    }

    @Test func addedAndRemovedInAliasOrder() {
        let manifest = Manifest(models: [request("tiny"), request("new"), request("a-first")])
        #expect(lock.drift(from: manifest, endpoint: "https://huggingface.co") == [
            .added(alias: "a-first"), .added(alias: "new"), .removed(alias: "old"),
        ])
        #expect(Lockfile().drift(from: Manifest(), endpoint: "x").isEmpty)
    }

    @Test func changedFields() {
        var changed = request("tiny", revision: "v1", include: ["*.json"])
        changed.repo = "acme/other"
        changed.exclude = ["*.bin"]
        let manifest = Manifest(models: [changed, request("old")])
        let drift = lock.drift(from: manifest, endpoint: "https://mirror.example.com")
        #expect(drift == [
            .changed(alias: "old", field: "endpoint", locked: "https://huggingface.co", requested: "https://mirror.example.com"),
            .changed(alias: "tiny", field: "repo", locked: "acme/Tiny-Model", requested: "acme/other"),
            .changed(alias: "tiny", field: "revision", locked: "main", requested: "v1"),
            .changed(alias: "tiny", field: "include", locked: #"["*.json", "*.safetensors"]"#, requested: #"["*.json"]"#),
            .changed(alias: "tiny", field: "exclude", locked: "[]", requested: #"["*.bin"]"#),
            .changed(alias: "tiny", field: "endpoint", locked: "https://huggingface.co", requested: "https://mirror.example.com"),
        ])
    }

    @Test func descriptions() {
        #expect(LockDrift.changed(alias: "llama", field: "revision", locked: "v1", requested: "main").description
            == "`llama`: revision is `v1` in modelpin.lock but `main` in modelpin.toml")
        #expect(LockDrift.added(alias: "llama").description == "`llama` is in modelpin.toml but not in modelpin.lock")
        #expect(LockDrift.removed(alias: "llama").description == "`llama` is in modelpin.lock but no longer in modelpin.toml")
    }
}
