import Foundation
import PinTestSupport
import Testing

/// Debian's skopeo (installed by scripts/setup), confined to the sandbox: its own HOME, XDG
/// dirs and temp dir, a policy that accepts anything (nothing here is signed: the store is
/// local), and an empty registries.d, so it reads nothing of the user's or of /etc/containers.
private struct Skopeo {
    static let binary = URL(fileURLWithPath: "/usr/bin/skopeo")
    let sandbox: URL

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    func run(_ arguments: String...) throws -> Outcome {
        let home = sandbox.appendingPathComponent("skopeo-home")
        for name in ["config", "runtime", "tmp", "registries.d"] {
            try FileManager.default.createDirectory(at: home.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        let policy = home.appendingPathComponent("policy.json")
        try Data(#"{"default": [{"type": "insecureAcceptAnything"}]}"#.utf8).write(to: policy)
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["--policy", policy.path, "--registries.d", home.appendingPathComponent("registries.d").path] + arguments
        process.environment = [
            "PATH": "/usr/bin:/bin", "HOME": home.path, "XDG_CONFIG_HOME": home.appendingPathComponent("config").path,
            "XDG_RUNTIME_DIR": home.appendingPathComponent("runtime").path, "TMPDIR": home.appendingPathComponent("tmp").path,
        ]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errors = DispatchQueue.global()
        nonisolated(unsafe) var err = Data()
        let done = DispatchSemaphore(value: 0)
        errors.async {
            err = stderr.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}

/// The blobs a store's snapshot records add beside the files: each manifest `index.json`
/// names and the config it names (read with JSONSerialization, not with modelpin's reader).
func snapshotMetadataBlobs(store: URL) throws -> Set<String> {
    let index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: store.appendingPathComponent("index.json"))) as? [String: Any])
    var blobs = Set<String>()
    for entry in index["manifests"] as? [[String: Any]] ?? [] {
        let hex = String((entry["digest"] as! String).dropFirst("sha256:".count))
        blobs.insert(hex)
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: store.appendingPathComponent("blobs/sha256/\(hex)"))) as? [String: Any])
        blobs.insert(String(((manifest["config"] as! [String: Any])["digest"] as! String).dropFirst("sha256:".count)))
    }
    return blobs
}

@Suite("skopeo reads the store's snapshots")
struct SkopeoTests {
    /// The store's snapshot names, with their manifest digests (`store snapshots --json`).
    private func snapshots(_ run: () throws -> ModelpinProcess.Outcome) throws -> [String: String] {
        let listed = try run()
        #expect(listed.status == 0, "\(listed.stderr)")
        let entries = try #require(try json(listed.stdout) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: entries.map { ($0["name"] as! String, $0["manifest"] as! String) })
    }

    /// skopeo finds `reference` in `store`, returns the manifest modelpin wrote byte for byte,
    /// and copies every layer out as the very bytes of the file at its path in `model`.
    private func expectSkopeoReads(_ reference: String, manifest digest: String, store: URL, model: URL, sandbox: URL) throws {
        #expect(FileManager.default.isExecutableFile(atPath: Skopeo.binary.path), "skopeo is missing: run scripts/setup")
        let skopeo = Skopeo(sandbox: sandbox)
        let location = "oci:\(store.path):\(reference)"

        let raw = try skopeo.run("inspect", "--raw", location)
        #expect(raw.status == 0, "\(raw.stderr)")
        let hex = String(digest.dropFirst("sha256:".count))
        let blob = try Data(contentsOf: store.appendingPathComponent("blobs/sha256/\(hex)"))
        #expect(Data(raw.stdout.utf8) == blob)
        #expect(sha256Hex(blob) == hex)

        // skopeo 1.9 refuses image-only operations on artifacts once it found the manifest
        // (newer ones describe it); a reference it cannot find fails differently.
        let inspected = try skopeo.run("inspect", location)
        if inspected.status == 0 {
            let document = try #require(try json(inspected.stdout) as? [String: Any])
            #expect(document["Digest"] as? String == digest)
        } else {
            #expect(inspected.stderr.contains("artifact with type \\\"application/vnd.cncf.model.config.v1+json\\\""), "\(inspected.stderr)")
        }
        let unknown = try skopeo.run("inspect", "oci:\(store.path):\(reference)-unknown")
        #expect(unknown.status != 0)
        #expect(!unknown.stderr.contains("artifact with type"), "\(unknown.stderr)")

        let out = sandbox.appendingPathComponent("copy-\(UUID().uuidString)")
        let copied = try skopeo.run("copy", location, "dir:\(out.path)")
        #expect(copied.status == 0, "\(copied.stderr)")
        let manifest = try #require(try json(String(decoding: blob, as: UTF8.self)) as? [String: Any])
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        #expect(!layers.isEmpty)
        for layer in layers {
            let path = try #require((layer["annotations"] as? [String: String])?["org.cncf.model.filepath"])
            let layerHex = String((layer["digest"] as! String).dropFirst("sha256:".count))
            let copy = try Data(contentsOf: out.appendingPathComponent(layerHex))
            #expect(copy == (try Data(contentsOf: model.appendingPathComponent(path))), "\(path)")
        }
    }

    @Test func aPullByNameIsReadableByCommitAndByRevision() throws {
        try HubSandbox.with { env throws in
            let pulled = try env.pull("acme/tiny-model")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            let names = try snapshots { try env.sandbox.run("store", "snapshots", "--json") }
            let commitName = "acme/tiny-model:\(HubSandbox.commit)"
            #expect(names.keys.sorted() == [commitName, "acme/tiny-model:main"])
            #expect(names[commitName] == names["acme/tiny-model:main"])
            for name in names.keys.sorted() {
                try expectSkopeoReads(name, manifest: names[name]!, store: env.sandbox.store, model: env.model, sandbox: env.directory)
            }

            // Forgotten, the names are gone and gc frees the manifest (nothing else keeps it).
            let forgot = try env.sandbox.run("store", "forget", "acme/tiny-model")
            #expect(forgot.status == 0, "\(forgot.stderr)")
            #expect(forgot.stdout.contains("forgot  acme/tiny-model:main"))
            #expect(try snapshots { try env.sandbox.run("store", "snapshots", "--json") }.isEmpty)
            #expect(try Skopeo(sandbox: env.directory).run("inspect", "--raw", "oci:\(env.sandbox.store.path):acme/tiny-model:main").status != 0)
            #expect(try env.sandbox.run("store", "gc", "--grace", "0").status == 0)
            let manifestHex = String(names[commitName]!.dropFirst("sha256:".count))
            #expect(!env.blobs.contains(manifestHex))
            #expect(try env.sandbox.run("store", "forget", "acme/tiny-model").status == 1)
        }
    }

    /// A dataset's names carry its kind (`datasets/OWNER/NAME:REV`): image-spec's ref grammar
    /// allows the `/`, skopeo splits `oci:PATH:REF` at the path's `:`, and the model of the same
    /// owner/name keeps its own names and manifest.
    @Test func aDatasetIsReadableUnderItsKindPrefixBesideTheModel() throws {
        try HubSandbox.with(repos: DatasetEndToEndTests.repos) { env throws in
            #expect(try env.pull("datasets/acme/tiny-model").status == 0)
            #expect(try env.pull("acme/tiny-model").status == 0)
            let names = try snapshots { try env.sandbox.run("store", "snapshots", "--json") }
            let dataset = "datasets/acme/tiny-model:\(DatasetEndToEndTests.commit)"
            #expect(names.keys.sorted() == [
                "acme/tiny-model:\(HubSandbox.commit)", "acme/tiny-model:main", dataset, "datasets/acme/tiny-model:main",
            ])
            #expect(names[dataset] != names["acme/tiny-model:\(HubSandbox.commit)"])
            let data = env.directory.appendingPathComponent("datasets/acme/tiny-model")
            for name in [dataset, "datasets/acme/tiny-model:main"] {
                try expectSkopeoReads(name, manifest: names[name]!, store: env.sandbox.store, model: data, sandbox: env.directory)
            }
            try expectSkopeoReads("acme/tiny-model:main", manifest: names["acme/tiny-model:main"]!, store: env.sandbox.store, model: env.model, sandbox: env.directory)
        }
    }

    @Test func aLockedPullOnAFreshStoreRecordsTheCommit() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            // `add` resolved `main` now: both names.
            let added = try snapshots { try project.run("store", "snapshots", "--json") }
            #expect(added.keys.sorted() == ["acme/tiny-model:\(HubSandbox.commit)", "acme/tiny-model:main"])

            try FileManager.default.removeItem(at: project.model)
            let pulled = try project.runWithFreshStore("pull", "--locked")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            // A pull from a lock resolves nothing: the commit is recorded, no alias is moved.
            let fresh = try snapshots { try project.runWithFreshStore("store", "snapshots", "--json") }
            let commitName = "acme/tiny-model:\(HubSandbox.commit)"
            #expect(fresh.keys.sorted() == [commitName])
            // The same snapshot gets the same manifest in another store.
            #expect(fresh[commitName] == added[commitName])
            try expectSkopeoReads(
                commitName, manifest: fresh[commitName]!, store: project.directory.appendingPathComponent("fresh-store"),
                model: project.model, sandbox: project.directory)
        }
    }
}
