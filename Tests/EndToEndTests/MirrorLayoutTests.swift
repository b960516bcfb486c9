import Foundation
import PinTestSupport
import Testing

/// `mirror DIR` writes the layout README "Mirrors" specifies: an OCI image layout skopeo reads,
/// one lock per project under projects/<NAME>/, a merged index.json, no store internals, and
/// nothing written through a link.
@Suite struct MirrorLayoutTests {
    static func index(_ mirror: URL) throws -> [[String: Any]] {
        let data = try Data(contentsOf: mirror.appendingPathComponent("index.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(document["manifests"] as? [[String: Any]])
    }

    static func referenceNames(_ mirror: URL) throws -> [String] {
        try index(mirror).compactMap { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] }
    }

    @Test func twoProjectsShareADirectoryThatSkopeoReadsAndNoStoreInternalsAppear() throws {
        let other = FakeHub.Repo(id: "acme/other-model", commit: String(repeating: "b", count: 40), files: [
            FakeHub.File("config.json", Array(#"{"other": true}"#.utf8)),
            FakeHub.File("weights.bin", Array(repeating: 9, count: 5000), lfs: true),
        ])
        let tiny = FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: HubSandbox.files)
        try ProjectSandbox.with(repos: [tiny, other]) { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let mirror = project.directory.appendingPathComponent("shared-mirror")
            // A foreign entry another tool put in index.json survives.
            try FileManager.default.createDirectory(at: mirror, withIntermediateDirectories: true)
            let foreign = #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(String(repeating: "c", count: 64))","size":7,"annotations":{"org.opencontainers.image.ref.name":"someone/else:v1"}}]}"#
            try Data(foreign.utf8).write(to: mirror.appendingPathComponent("index.json"))
            let first = try project.run("mirror", mirror.path, "--name", "alpha")
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("1 manifest") && first.stdout.contains("projects/alpha/"), "\(first.stdout)")

            // A second project (another lock) into the same directory.
            let second = project.directory.appendingPathComponent("second")
            try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
            for name in ["modelpin.toml", "models.allow"] {
                try FileManager.default.copyItem(at: project.directory.appendingPathComponent(name), to: second.appendingPathComponent(name))
            }
            var inSecond = project.env.sandbox.modelpin
            inSecond.currentDirectory = second
            #expect(try inSecond.run(["add", "acme/other-model"]).status == 0)
            let mirrored = try inSecond.run(["mirror", mirror.path, "--name", "beta", "--json"])
            #expect(mirrored.status == 0, "\(mirrored.stderr)")

            let alpha = try Data(contentsOf: mirror.appendingPathComponent("projects/alpha/modelpin.lock"))
            let beta = try Data(contentsOf: mirror.appendingPathComponent("projects/beta/modelpin.lock"))
            #expect(alpha == (try Data(contentsOf: project.lockfile)))
            #expect(beta == (try Data(contentsOf: second.appendingPathComponent("modelpin.lock"))))
            let names = try Self.referenceNames(mirror)
            #expect(Set(names) == ["someone/else:v1", "acme/tiny-model:\(HubSandbox.commit)", "acme/other-model:\(other.commits.keys.first!)"], "\(names)")
            let top = try FileManager.default.contentsOfDirectory(atPath: mirror.path).sorted()
            #expect(top == ["blobs", "index.json", "oci-layout", "projects"], "\(top)")

            // Mirroring alpha again replaces only alpha's lock, and adds no entry twice.
            let count = try Self.index(mirror).count
            #expect(try project.run("mirror", mirror.path, "--name", "alpha").status == 0)
            #expect(try Self.index(mirror).count == count)
            #expect(try Data(contentsOf: mirror.appendingPathComponent("projects/beta/modelpin.lock")) == beta)
            // alpha's lock changes (a second model): its next mirror replaces its lock's entries,
            // one per snapshot now, and leaves none of the old lock behind.
            func alphaEntries() throws -> Int { try Self.index(mirror).count { ($0["annotations"] as? [String: String])?["dev.modelpin.project"] == "alpha" } }
            #expect(try alphaEntries() == 1)
            #expect(try project.run("add", "acme/other-model").status == 0)
            #expect(try project.run("mirror", mirror.path, "--name", "alpha").status == 0)
            #expect(try alphaEntries() == 2)
            #expect(try Self.index(mirror).count == count + 1, "the new lock's referrer of other-model, and nothing stale")

            // skopeo reads it as an OCI layout, and copies a model out of it.
            let skopeo = RegistrySkopeo(sandbox: project.directory)
            let reference = "oci:\(mirror.path):acme/tiny-model:\(HubSandbox.commit)"
            let inspected = try skopeo.run(["inspect", "--raw", reference])
            #expect(inspected.status == 0 && inspected.stdout.contains("application/vnd.cncf.model.config.v1+json"), "\(inspected.stderr)")
            let out = project.directory.appendingPathComponent("skopeo-out")
            let copied = try skopeo.copy(reference, "oci:\(out.path):x")
            #expect(copied.status == 0, "\(copied.stderr)")
            #expect(try Data(contentsOf: out.appendingPathComponent("blobs/sha256/\(sha256Hex(Data(HubSandbox.weights)))")) == Data(HubSandbox.weights))

            // And pull --mirror serves a fresh store with the Hub stopped.
            project.env.hub.hub.stop()
            project.env.hub.cdn.stop()
            try FileManager.default.removeItem(at: project.model)
            let pulled = try project.runWithFreshStore("pull", "--frozen", "--mirror", "file://" + mirror.path)
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
        }
    }

    @Test func aHostileIndexOrAPlantedLinkIsRefusedAndNothingIsOverwritten() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let mirror = project.directory.appendingPathComponent("m")
            try FileManager.default.createDirectory(at: mirror, withIntermediateDirectories: true)
            for hostile in ["not json", #"{"manifests": "nope"}"#, "[1, 2]"] {
                try Data(hostile.utf8).write(to: mirror.appendingPathComponent("index.json"))
                let refused = try project.run("mirror", mirror.path)
                #expect(refused.status != 0, "\(hostile)")
                #expect(refused.stderr.contains("index.json"), "\(refused.stderr)")
                #expect(try String(contentsOf: mirror.appendingPathComponent("index.json"), encoding: .utf8) == hostile)
            }
            try FileManager.default.removeItem(at: mirror.appendingPathComponent("index.json"))

            // blobs/ planted as a link to a directory outside: never written through.
            let outside = project.directory.appendingPathComponent("outside")
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            try FileManager.default.removeItem(at: mirror.appendingPathComponent("blobs"))
            try FileManager.default.createSymbolicLink(at: mirror.appendingPathComponent("blobs"), withDestinationURL: outside)
            let linked = try project.run("mirror", mirror.path)
            #expect(linked.status != 0)
            #expect(linked.stderr.contains("symbolic link"), "\(linked.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
        }
    }

    @Test func anOldLayoutMirrorStillServesAndTheNextMirrorAddsTheNewFilesAndCleansLeftovers() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let mirror = project.directory.appendingPathComponent("old")
            let blobs = mirror.appendingPathComponent("blobs/sha256")
            try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
            // As modelpin wrote mirrors before: store internals and a top-level lock.
            for file in HubSandbox.files {
                guard case .bytes(let bytes) = file.content else { continue }
                try Data(bytes).write(to: blobs.appendingPathComponent(sha256Hex(Data(bytes))))
            }
            try Data(contentsOf: project.lockfile).write(to: mirror.appendingPathComponent("modelpin.lock"))
            try FileManager.default.createDirectory(at: mirror.appendingPathComponent("tmp"), withIntermediateDirectories: true)
            try Data().write(to: mirror.appendingPathComponent("store.lock"))
            // A crashed writer's temp file.
            try Data("half".utf8).write(to: blobs.appendingPathComponent(".abc.tmp-0123456789abcdef"))

            try FileManager.default.removeItem(at: project.model)
            let served = try project.runWithFreshStore("pull", "--frozen", "--mirror", "file://" + mirror.path)
            #expect(served.status == 0, "\(served.stderr)")

            let again = try project.run("mirror", mirror.path, "--json")
            #expect(again.status == 0, "\(again.stderr)")
            let outcome = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
            #expect(outcome["copied"] as? Int == 0, "every blob was there with the right bytes: \(again.stdout)")
            #expect(FileManager.default.fileExists(atPath: mirror.appendingPathComponent("oci-layout").path))
            #expect(try Self.referenceNames(mirror) == ["acme/tiny-model:\(HubSandbox.commit)"])
            #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent(".abc.tmp-0123456789abcdef").path))
            // The old files are left alone.
            #expect(FileManager.default.fileExists(atPath: mirror.appendingPathComponent("store.lock").path))
        }
    }

    /// `mirror` takes an exclusive flock on DIR itself before it reads or writes anything
    /// there: while another holder (here a Python process) has it, mirror waits and writes
    /// nothing; once it is let go, mirror finishes. So two writers on one machine take turns
    /// over index.json instead of losing each other's entries.
    @Test func mirrorWaitsForTheLockOnTheDirectory() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let mirror = project.directory.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: mirror, withIntermediateDirectories: true)
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            holder.arguments = ["-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()", mirror.path]
            let input = Pipe()
            let output = Pipe()
            holder.standardInput = input
            holder.standardOutput = output
            try holder.run()
            defer { if holder.isRunning { holder.terminate() } }
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            try #require(line.hasPrefix("locked"), "\(line)")

            let running = try project.env.sandbox.modelpin.start(["mirror", mirror.path, "--name", "waiting"])
            Thread.sleep(forTimeInterval: 2)
            #expect(running.process.isRunning, "mirror did not wait for the lock on DIR")
            #expect(try FileManager.default.contentsOfDirectory(atPath: mirror.path).isEmpty)
            try input.fileHandleForWriting.close()
            holder.waitUntilExit()
            let outcome = running.wait()
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(FileManager.default.fileExists(atPath: mirror.appendingPathComponent("projects/waiting/modelpin.lock").path))
        }
    }
}
