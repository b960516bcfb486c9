import Foundation
import PinTestSupport
import Testing

/// The endpoint is a source, not an identity: the lock records where each model was resolved,
/// and `--endpoint`, `MODELPIN_ENDPOINT` or `HF_ENDPOINT` fetch the same locked bytes from
/// somewhere else without the lock counting as out of date.
@Suite("the endpoint is a source: a lock made against one Hub is pulled through another")
struct EndpointSourceTests {
    /// A project locked against the sandbox's Hub (A, which its modelpin.toml names unless
    /// `manifestEndpoint` is false), and a second Hub (B) serving the same repo at the same commit.
    func withTwoHubs(manifestEndpoint: Bool = true, _ body: (ProjectSandbox, FakeHub) throws -> Void) throws {
        try ProjectSandbox.with { project throws in
            let added = try project.run("add", "acme/tiny-model")
            #expect(added.status == 0, "\(added.stderr)")
            #expect(try project.lockText().contains("endpoint = \"\(project.env.hub.endpoint)\""))
            if !manifestEndpoint {
                let line = "endpoint = \"\(project.env.hub.endpoint)\"\n"
                #expect(try project.manifestText().contains(line))
                try writeFile(project.manifest, Array(try project.manifestText().replacingOccurrences(of: line, with: "").utf8))
            }
            let mirror = try FakeHub(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: HubSandbox.files)])
            defer {
                mirror.hub.stop()
                mirror.cdn.stop()
            }
            try FileManager.default.removeItem(at: project.model)
            project.env.hub.clearLog()
            try body(project, mirror)
        }
    }

    /// `pull --locked` on a fresh store, with `how` naming Hub B.
    func pullLocked(_ project: ProjectSandbox, from mirror: FakeHub, _ how: String) throws -> ModelpinProcess.Outcome {
        var modelpin = project.env.sandbox.modelpin
        modelpin.environment["MODELPIN_HOME"] = project.directory.appendingPathComponent("fresh-store").path
        var arguments = ["pull", "--locked", "--retries", "2"]
        if how == "--endpoint" { arguments += ["--endpoint", mirror.endpoint] } else { modelpin.environment[how] = mirror.endpoint }
        return try modelpin.run(arguments)
    }

    @Test(arguments: ["MODELPIN_ENDPOINT", "HF_ENDPOINT", "--endpoint"], [true, false])
    func pullLockedThroughAnotherHub(_ how: String, manifestEndpoint: Bool) throws {
        try withTwoHubs(manifestEndpoint: manifestEndpoint) { project, mirror throws in
            let pulled = try pullLocked(project, from: mirror, how)
            #expect(pulled.status == 0, "\(how): \(pulled.stderr)")
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
            #expect(try project.contents("config.json") == Data(HubSandbox.config))
            // Every byte came from B; A, the lock's recorded endpoint, was not asked at all.
            #expect(mirror.log.contains { $0.server == "cdn" }, "\(mirror.log.map(\.target))")
            #expect(mirror.log.contains { $0.target.contains("config.json") }, "\(mirror.log.map(\.target))")
            #expect(project.env.hub.log.isEmpty, "\(project.env.hub.log.map(\.target))")
            // --json says which endpoint served the model.
            var again = project.env.sandbox.modelpin
            again.environment["MODELPIN_HOME"] = project.directory.appendingPathComponent("another-fresh-store").path
            again.environment["MODELPIN_ENDPOINT"] = mirror.endpoint
            let summary = try again.run(["pull", "--locked", "--json"])
            #expect(summary.status == 0, "\(summary.stderr)")
            let models = try #require((try json(summary.stdout) as? [String: Any])?["models"] as? [[String: Any]])
            #expect(models.map { $0["endpoint"] as? String } == [mirror.endpoint])
            // …and which one served each file fetched.
            let servedBy = try #require(models.first?["servedBy"] as? [String: String])
            #expect(servedBy["model.safetensors"] == mirror.endpoint && servedBy["config.json"] == mirror.endpoint, "\(servedBy)")
            // The lock is provenance: pulling through B did not rewrite it.
            #expect(try project.lockText().contains("endpoint = \"\(project.env.hub.endpoint)\""))
        }
    }

    @Test func bytesFromAnotherHubAreStillCheckedAgainstTheLock() throws {
        try withTwoHubs { project, mirror throws in
            mirror.configure { $0.corruptLFS = true }
            let pulled = try pullLocked(project, from: mirror, "MODELPIN_ENDPOINT")
            #expect(pulled.status == 1, "\(pulled.stderr)")
            #expect(pulled.stderr.contains("model.safetensors"), "\(pulled.stderr)")
            #expect(!FileManager.default.fileExists(atPath: project.model.appendingPathComponent("model.safetensors").path))
        }
    }

    /// The case: modelpin.toml names no endpoint, so the environment's is the one
    /// resolution would use, and it differs from the lock's.
    @Test func lockCheckIgnoresTheEnvironmentsEndpoint() throws {
        try withTwoHubs(manifestEndpoint: false) { project, mirror throws in
            let checked = try project.run("lock", "--check", environment: ["MODELPIN_ENDPOINT": mirror.endpoint])
            #expect(checked.status == 0, "\(checked.stderr)")
            #expect(checked.stdout.contains("answers"), "\(checked.stdout)")
            let locked = try project.run("lock", "--locked", environment: ["MODELPIN_ENDPOINT": mirror.endpoint])
            #expect(locked.status == 0, "\(locked.stderr)")
            #expect(mirror.log.isEmpty && project.env.hub.log.isEmpty)
        }
    }

    /// modelpin.toml's `endpoint` is the project's default, and the environment overrides it:
    /// `add` resolves against B and records B.
    @Test func theEnvironmentOverridesTheManifestsEndpoint() throws {
        try ProjectSandbox.with { project throws in
            let mirror = try FakeHub(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: HubSandbox.files)])
            defer {
                mirror.hub.stop()
                mirror.cdn.stop()
            }
            #expect(try project.manifestText().contains("endpoint = \"\(project.env.hub.endpoint)\""))
            let added = try project.run("add", "acme/tiny-model", environment: ["MODELPIN_ENDPOINT": mirror.endpoint])
            #expect(added.status == 0, "\(added.stderr)")
            #expect(mirror.log.contains { $0.target.contains("/revision/main") }, "\(mirror.log.map(\.target))")
            #expect(project.env.hub.log.isEmpty, "\(project.env.hub.log.map(\.target))")
            #expect(try project.lockText().contains("endpoint = \"\(mirror.endpoint)\""))
        }
    }
}
