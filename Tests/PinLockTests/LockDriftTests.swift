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
        #expect(lock.drift(from: manifest).isEmpty)
    }

    @Test func addedAndRemovedInAliasOrder() {
        let manifest = Manifest(models: [request("tiny"), request("new"), request("a-first")])
        #expect(lock.drift(from: manifest) == [
            .added(alias: "a-first"), .added(alias: "new"), .removed(alias: "old"),
        ])
        #expect(Lockfile().drift(from: Manifest()).isEmpty)
    }

    @Test func changedFields() {
        var changed = request("tiny", revision: "v1", include: ["*.json"])
        changed.repo = "acme/other"
        changed.exclude = ["*.bin"]
        let manifest = Manifest(models: [changed, request("old")])
        let drift = lock.drift(from: manifest)
        #expect(drift == [
            .changed(alias: "tiny", field: "repo", locked: "acme/Tiny-Model", requested: "acme/other"),
            .changed(alias: "tiny", field: "revision", locked: "main", requested: "v1"),
            .changed(alias: "tiny", field: "include", locked: #"["*.json", "*.safetensors"]"#, requested: #"["*.json"]"#),
            .changed(alias: "tiny", field: "exclude", locked: "[]", requested: #"["*.bin"]"#),
        ])
    }

    /// The endpoint is provenance, not a request: a manifest naming a mirror (or none, with
    /// MODELPIN_ENDPOINT set) still answers a lock made against the Hub.
    @Test func anotherEndpointIsNotDrift() {
        let manifest = Manifest(endpoint: "https://mirror.example.com", models: [request("tiny"), request("old")])
        #expect(lock.models.allSatisfy { $0.endpoint == "https://huggingface.co" })
        #expect(lock.drift(from: manifest).isEmpty)
    }

    @Test func descriptions() {
        #expect(LockDrift.changed(alias: "llama", field: "revision", locked: "v1", requested: "main").description
            == "`llama`: revision is `v1` in modelpin.lock but `main` in modelpin.toml")
        #expect(LockDrift.added(alias: "llama").description == "`llama` is in modelpin.toml but not in modelpin.lock")
        #expect(LockDrift.removed(alias: "llama").description == "`llama` is in modelpin.lock but no longer in modelpin.toml")
    }
}
