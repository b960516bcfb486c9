import Foundation
import PinTestSupport
import Testing

/// `modelpin push oci://…` and `modelpin pull oci://…` through the built binary against Debian's
/// docker-registry (CNCF distribution 2.8) on 127.0.0.1, started by the test: with no auth, and
/// behind the test suite's token server.
@Suite("OCI registries: push, pull, lock, mirror (real docker-registry)")
struct OCIRegistryTests {
    static func registry(_ sandbox: Sandbox, auth: RegistryServer.Auth = .none) throws -> RegistryServer {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry"), "docker-registry is missing: run scripts/setup")
        return try RegistryServer(directory: sandbox.directory.appendingPathComponent("registry"), auth: auth)
    }

    /// A project locking `acme/tiny-model` as `tiny`, locked and pulled from the fake Hub; the
    /// modelpin that runs in it.
    static func lockedProject(_ hub: HubSandbox) throws -> (URL, ModelpinProcess) {
        let project = hub.directory.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try Data("version = 1\n[models.tiny]\nrepo = \"acme/tiny-model\"\n".utf8).write(to: project.appendingPathComponent("modelpin.toml"))
        var modelpin = hub.sandbox.modelpin
        modelpin.currentDirectory = project
        #expect(try modelpin.run(["lock", "--endpoint", hub.hub.endpoint]).status == 0)
        #expect(try modelpin.run(["pull", "--endpoint", hub.hub.endpoint]).status == 0)
        return (project, modelpin)
    }

    /// The same binary and sandbox with another store: a fresh machine.
    static func fresh(_ hub: HubSandbox, _ name: String) -> ModelpinProcess {
        var modelpin = hub.sandbox.modelpin
        modelpin.environment["MODELPIN_HOME"] = hub.directory.appendingPathComponent(name).path
        return modelpin
    }

    @Test func pushThenPullIntoAFreshStoreGivesTheSameFilesAndRePushUploadsNothing() throws {
        try HubSandbox.with { hub in
            let registry = try Self.registry(hub.sandbox)
            defer { registry.stop() }
            #expect(try hub.pull("acme/tiny-model").status == 0)
            let target = registry.reference("models/tiny", tag: "v1")

            let pushed = try hub.sandbox.modelpin.run(["push", target, "acme/tiny-model@main", "--plain-http", "--json"])
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let summary = try #require(try json(pushed.stdout) as? [String: Any])
            let manifest = try #require(summary["manifest"] as? String)
            let blobs = try #require(summary["blobs"] as? [[String: Any]])
            #expect(blobs.count == HubSandbox.files.count + 1)
            #expect(blobs.allSatisfy { $0["outcome"] as? String == "uploaded" })

            let again = try hub.sandbox.modelpin.run(["push", target, "acme/tiny-model@main", "--plain-http", "--json"])
            #expect(again.status == 0, "\(again.stderr)")
            let second = try #require(try json(again.stdout) as? [String: Any])
            #expect((second["blobs"] as? [[String: Any]])?.allSatisfy { $0["outcome"] as? String == "present" } == true)
            #expect(second["uploadedBytes"] as? Int == 0)

            let destination = hub.directory.appendingPathComponent("from-registry")
            let pulled = try Self.fresh(hub, "store2").run(["pull", target, "--plain-http", "--to", destination.path, "--json"])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            let pull = try #require(try json(pulled.stdout) as? [String: Any])
            #expect(pull["manifest"] as? String == manifest)
            for file in HubSandbox.files {
                guard case .bytes(let bytes) = file.content else { continue }
                #expect(try Data(contentsOf: destination.appendingPathComponent(file.path)) == Data(bytes), "\(file.path)")
            }
            // By digest, offline, from the second store's record alone.
            let offline = try Self.fresh(hub, "store2").run(["pull", target.replacingOccurrences(of: ":v1", with: "@" + manifest), "--offline", "--to", hub.directory.appendingPathComponent("offline").path])
            #expect(offline.status == 0, "\(offline.stderr)")
        }
    }

    @Test func aProjectLocksAnOCIModelByDigestAndPullFrozenReproducesIt() throws {
        try HubSandbox.with { hub in
            let registry = try Self.registry(hub.sandbox)
            defer { registry.stop() }
            #expect(try hub.pull("acme/tiny-model").status == 0)
            #expect(try hub.sandbox.modelpin.run(["push", registry.reference("models/tiny", tag: "v1"), "acme/tiny-model@main", "--plain-http"]).status == 0)
            let project = hub.directory.appendingPathComponent("project")
            try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
            try Data("version = 1\n[models.tiny]\nsource = \"\(registry.reference("models/tiny", tag: "v1"))\"\n".utf8)
                .write(to: project.appendingPathComponent("modelpin.toml"))
            var modelpin = Self.fresh(hub, "store-project")
            modelpin.currentDirectory = project
            let pulled = try modelpin.run(["pull", "--plain-http"])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            let lock = try String(contentsOf: project.appendingPathComponent("modelpin.lock"), encoding: .utf8)
            #expect(lock.contains("source = \"oci\""))
            #expect(lock.contains("manifest = \"sha256:"))
            for file in HubSandbox.files {
                guard case .bytes(let bytes) = file.content else { continue }
                #expect(lock.contains("sha256 = \"sha256:\(sha256Hex(Data(bytes)))\""))
            }
            try FileManager.default.removeItem(at: project.appendingPathComponent("models"))
            let frozen = try modelpin.run(["pull", "--frozen"])
            #expect(frozen.status == 0, "\(frozen.stderr)")
            #expect(FileManager.default.fileExists(atPath: project.appendingPathComponent("models/127.0.0.1-\(registry.port)/models/tiny/model.safetensors").path))
        }
    }

    @Test func aRegistryMirrorsAHubModelWhoseHubIsDown() throws {
        try HubSandbox.with { hub in
            let registry = try Self.registry(hub.sandbox)
            defer { registry.stop() }
            let (project, modelpin) = try Self.lockedProject(hub)
            #expect(try modelpin.run(["push", registry.reference("mirror/tiny"), "tiny", "--plain-http"]).status == 0)

            hub.hub.hub.stop()
            hub.hub.cdn.stop()
            var fresh = Self.fresh(hub, "store-mirror")
            fresh.currentDirectory = project
            try FileManager.default.removeItem(at: project.appendingPathComponent("models"))
            let mirrored = try fresh.run(["pull", "--locked", "--mirror", registry.reference("mirror/tiny"), "--plain-http", "--json"])
            #expect(mirrored.status == 0, "\(mirrored.stderr)")
            let summary = try #require(try json(mirrored.stdout) as? [String: Any])
            let sources = try #require(summary["sources"] as? [[String: Any]])
            #expect(sources.map { $0["source"] as? String } == [registry.reference("mirror/tiny")])

            // The push attached the project's lock: a pull lists it and checks that it names
            // exactly these files.
            let listed = try Self.fresh(hub, "store-attachments").run(
                ["pull", registry.reference("mirror/tiny", tag: HubSandbox.commit), "--plain-http", "--json", "--to", hub.directory.appendingPathComponent("att").path])
            #expect(listed.status == 0, "\(listed.stderr)")
            let pulled = try #require(try json(listed.stdout) as? [String: Any])
            let attachments = try #require(pulled["attachments"] as? [[String: Any]])
            #expect(attachments.contains { $0["artifactType"] as? String == "application/vnd.modelpin.lock.v1+toml" && $0["status"] as? String == "verified" }, "\(attachments)")
        }
    }

    /// `mirror oci://HOST/REPO` pushes every locked model (tagged with its commit, the lock
    /// attached); `pull --mirror oci://` then serves a fresh store with the Hub down, and a
    /// second mirror uploads nothing.
    @Test func mirrorToARegistryServesALockedPullAndASecondMirrorSendsNothing() throws {
        try HubSandbox.with { hub in
            let registry = try Self.registry(hub.sandbox)
            defer { registry.stop() }
            let (project, modelpin) = try Self.lockedProject(hub)
            let target = registry.reference("team/mirror")
            let first = try modelpin.run(["mirror", target, "--plain-http", "--json"])
            #expect(first.status == 0, "\(first.stderr)")
            let outcome = try #require(try json(first.stdout) as? [String: Any], "\(first.stdout)")
            #expect(outcome["uploaded"] as? Int == outcome["blobs"] as? Int && (outcome["manifests"] as? [String])?.count == 1, "\(first.stdout)")
            let again = try modelpin.run(["mirror", target, "--plain-http", "--json"])
            let second = try #require(try json(again.stdout) as? [String: Any], "\(again.stdout)\(again.stderr)")
            #expect(second["uploaded"] as? Int == 0 && second["bytes"] as? Int == 0, "\(again.stdout)")
            // A tag or a digest is no mirror: refused before anything is sent.
            let tagged = try modelpin.run(["mirror", registry.reference("team/mirror", tag: "v1"), "--plain-http"])
            #expect(tagged.status != 0 && tagged.stderr.contains("repository"), "\(tagged.stderr)")

            hub.hub.hub.stop()
            hub.hub.cdn.stop()
            var fresh = Self.fresh(hub, "store-from-mirror")
            fresh.currentDirectory = project
            try FileManager.default.removeItem(at: project.appendingPathComponent("models"))
            let pulled = try fresh.run(["pull", "--locked", "--mirror", target, "--plain-http"])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(try Data(contentsOf: project.appendingPathComponent("models/acme/tiny-model/model.safetensors")) == Data(HubSandbox.weights))
            // The commit's tag names the snapshot, with the lock attached.
            let listed = try Self.fresh(hub, "store-tagged").run(
                ["pull", registry.reference("team/mirror", tag: HubSandbox.commit), "--plain-http", "--json", "--to", hub.directory.appendingPathComponent("tagged").path])
            #expect(listed.status == 0, "\(listed.stderr)")
            let attachments = try #require((try json(listed.stdout) as? [String: Any])?["attachments"] as? [[String: Any]], "\(listed.stdout)")
            #expect(attachments.contains { $0["artifactType"] as? String == "application/vnd.modelpin.lock.v1+toml" && $0["status"] as? String == "verified" }, "\(attachments)")
        }
    }

    @Test func tokenAuthWithCredentialsFromTheEnvironmentAndNoSecretInAnyOutput() throws {
        try HubSandbox.with { hub in
            let registry = try Self.registry(hub.sandbox, auth: .token(user: "alice", password: "s3cret-registry-pass"))
            defer { registry.stop() }
            #expect(try hub.pull("acme/tiny-model").status == 0)
            var modelpin = hub.sandbox.modelpin
            modelpin.environment["MODELPIN_REGISTRY_USER"] = "alice"
            modelpin.environment["MODELPIN_REGISTRY_PASSWORD"] = "s3cret-registry-pass"
            let target = registry.reference("models/tiny", tag: "v1")
            let pushed = try modelpin.run(["push", target, "acme/tiny-model@main", "--plain-http"])
            #expect(pushed.status == 0, "\(pushed.stderr)")
            var fresh = Self.fresh(hub, "store-token")
            fresh.environment["MODELPIN_REGISTRY_USER"] = "alice"
            fresh.environment["MODELPIN_REGISTRY_PASSWORD"] = "s3cret-registry-pass"
            let pulled = try fresh.run(["pull", target, "--plain-http", "--to", hub.directory.appendingPathComponent("tok").path])
            #expect(pulled.status == 0, "\(pulled.stderr)")

            modelpin.environment["MODELPIN_REGISTRY_PASSWORD"] = "wrong-pass-do-not-print"
            let refused = try modelpin.run(["push", registry.reference("models/other", tag: "v1"), "acme/tiny-model@main", "--plain-http"])
            #expect(refused.status != 0)
            for outcome in [pushed, pulled, refused] {
                #expect(!(outcome.stdout + outcome.stderr).contains("s3cret-registry-pass"))
                #expect(!(outcome.stdout + outcome.stderr).contains("wrong-pass-do-not-print"))
            }
        }
    }

    /// skopeo reads what modelpin pushed (the same manifest, every layer the file's bytes), and
    /// modelpin pulls what skopeo pushed from the store's own OCI layout.
    @Test func skopeoAndModelpinReadEachOthersPushes() throws {
        try HubSandbox.with { hub in
            let registry = try Self.registry(hub.sandbox)
            defer { registry.stop() }
            #expect(try hub.pull("acme/tiny-model").status == 0)
            let pushed = try hub.sandbox.modelpin.run(["push", registry.reference("models/tiny", tag: "v1"), "acme/tiny-model@main", "--plain-http", "-q"])
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let manifest = pushed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let skopeo = RegistrySkopeo(sandbox: hub.directory)
            let raw = try skopeo.inspect("docker://\(registry.authority)/models/tiny:v1", raw: true)
            #expect(raw.status == 0, "\(raw.stderr)")
            #expect("sha256:" + sha256Hex(Data(raw.stdout.utf8)) == manifest, "skopeo sees the manifest modelpin pushed, byte for byte")
            let layout = hub.directory.appendingPathComponent("skopeo-layout")
            let copied = try skopeo.copy("docker://\(registry.authority)/models/tiny:v1", "oci:\(layout.path):tiny")
            #expect(copied.status == 0, "\(copied.stderr)")
            for file in HubSandbox.files {
                guard case .bytes(let bytes) = file.content else { continue }
                let blob = layout.appendingPathComponent("blobs/sha256/\(sha256Hex(Data(bytes)))")
                #expect(try Data(contentsOf: blob) == Data(bytes), "\(file.path)")
            }

            // The other way: skopeo pushes the store's snapshot (an OCI layout), modelpin pulls it.
            let store = hub.sandbox.store
            let fromStore = try skopeo.copy("oci:\(store.path):acme/tiny-model:main", "docker://\(registry.authority)/by-skopeo/tiny:v2")
            #expect(fromStore.status == 0, "\(fromStore.stderr)")
            let destination = hub.directory.appendingPathComponent("by-skopeo")
            let pulled = try Self.fresh(hub, "store-skopeo").run(["pull", registry.reference("by-skopeo/tiny", tag: "v2"), "--plain-http", "--to", destination.path])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            guard case .bytes(let weights) = HubSandbox.files[2].content else { return }
            #expect(try Data(contentsOf: destination.appendingPathComponent("model.safetensors")) == Data(weights))
        }
    }

    @Test func plainHTTPToAnotherHostIsRefusedWithoutTheLoudFlag() throws {
        try Sandbox.with { sandbox in
            let outcome = try sandbox.modelpin.run(["pull", "oci://registry.example/models/tiny:v1", "--plain-http", "--to", sandbox.directory.appendingPathComponent("x").path])
            #expect(outcome.status != 0)
            #expect(outcome.stderr.contains("plain") || outcome.stderr.contains("http"), "\(outcome.stderr)")
        }
    }
}
