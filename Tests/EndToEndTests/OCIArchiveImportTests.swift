import Foundation
import PinTestSupport
import Testing

/// `modelpin import FILE.tar` through the built binary: an air-gap bundle that `export
/// --oci-archive` wrote goes into a fresh store, all or nothing, and a project then pulls
/// `--frozen --offline` from that store alone with the Hub stopped.
@Suite struct OCIArchiveImportTests {
    /// A project with `acme/tiny-model` locked and pulled, exported to `bundle.tar` (its lock
    /// attached); the Hub is stopped before `body` runs.
    static func bundled(repos: [FakeHub.Repo]? = nil, addArguments: [String] = [], _ body: (ProjectSandbox, URL) throws -> Void) throws {
        let run: (ProjectSandbox) throws -> Void = { project in
            var modelpin = project.env.sandbox.modelpin
            modelpin.currentDirectory = project.directory
            let added = try modelpin.run(["add", "acme/tiny-model"] + addArguments)
            try #require(added.status == 0, "\(added.stderr)")
            let archive = project.directory.appendingPathComponent("bundle.tar")
            let exported = try project.run("export", "--oci-archive", archive.path)
            try #require(exported.status == 0, "\(exported.stderr)")
            project.env.hub.hub.stop()
            project.env.hub.cdn.stop()
            try body(project, archive)
        }
        if let repos { try ProjectSandbox.with(repos: repos, run) } else { try ProjectSandbox.with(run) }
    }

    /// modelpin in `directory` (default: the project) with the store `store` under the project.
    static func modelpin(_ project: ProjectSandbox, store: String, in directory: URL? = nil) -> ModelpinProcess {
        var modelpin = project.env.sandbox.modelpin
        modelpin.environment["MODELPIN_HOME"] = project.directory.appendingPathComponent(store).path
        if let directory { modelpin.currentDirectory = directory }
        return modelpin
    }

    /// The blob files of a store (none when it was never written).
    static func blobs(_ project: ProjectSandbox, store: String) -> [String] {
        let directory = project.directory.appendingPathComponent(store).appendingPathComponent("blobs/sha256")
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    @Test func anImportedBundleServesAFrozenOfflinePullWithTheHubStopped() throws {
        try Self.bundled { project, archive in
            try FileManager.default.removeItem(at: project.model)
            let site = Self.modelpin(project, store: "site-store")
            let imported = try site.run(["import", archive.path, "--json"])
            #expect(imported.status == 0, "\(imported.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [String: Any], "\(imported.stdout)")
            let models = try #require(report["models"] as? [[String: Any]])
            #expect(models.count == 1 && models.first?["repo"] as? String == "acme/tiny-model", "\(imported.stdout)")
            #expect(report["added"] as? Int == HubSandbox.files.count, "\(imported.stdout)")
            #expect((report["attachments"] as? [String])?.contains("modelpin.lock") == true, "\(imported.stdout)")

            let pulled = try site.run(["pull", "--frozen", "--offline"])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
            #expect(try project.contents("config.json") == Data(HubSandbox.config))
            // By name too: the snapshot is recorded under its commit.
            let byName = try site.run(["pull", "acme/tiny-model@\(HubSandbox.commit)", "--offline", "--to", "by-name"])
            #expect(byName.status == 0, "\(byName.stderr)")

            // Importing the same bundle again adds nothing and changes nothing.
            let again = try site.run(["import", archive.path, "--json"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect((try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])?["added"] as? Int == 0)
        }
    }

    @Test func lockWritesTheArchivesLockIntoAProjectWithoutOneAndChecksAnExistingOne() throws {
        try Self.bundled { project, archive in
            // The air-gapped site has the project's modelpin.toml, not its lock.
            let directory = project.directory.appendingPathComponent("site")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for name in ["modelpin.toml", "models.allow"] {
                try FileManager.default.copyItem(at: project.directory.appendingPathComponent(name), to: directory.appendingPathComponent(name))
            }
            let site = Self.modelpin(project, store: "site-store", in: directory)
            let imported = try site.run(["import", archive.path, "--lock"])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("wrote the archive's lock"), "\(imported.stdout)")
            #expect(try Data(contentsOf: directory.appendingPathComponent("modelpin.lock")) == Data(contentsOf: project.lockfile))
            let pulled = try site.run(["pull", "--frozen", "--offline"])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(try Data(contentsOf: directory.appendingPathComponent("models/acme/tiny-model/model.safetensors")) == Data(HubSandbox.weights))

            // Now the site has a lock: it is kept, and checked against what the archive holds.
            let kept = try site.run(["import", archive.path, "--lock"])
            #expect(kept.status == 0 && kept.stdout.contains("holds every file"), "\(kept.stdout)\(kept.stderr)")
            // A lock naming a file the archive lacks refuses the import before anything enters.
            let lock = directory.appendingPathComponent("modelpin.lock")
            let text = try String(contentsOf: lock, encoding: .utf8)
            let weights = sha256Hex(Data(HubSandbox.weights))
            try text.replacingOccurrences(of: weights, with: String(repeating: "0", count: 64)).write(to: lock, atomically: true, encoding: .utf8)
            let other = Self.modelpin(project, store: "other-store", in: directory)
            let refused = try other.run(["import", archive.path, "--lock"])
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("does not hold"), "\(refused.stderr)")
            #expect(Self.blobs(project, store: "other-store").isEmpty)
        }
    }

    /// Each hostile variant of a good bundle (made with Python's tarfile, an independent
    /// writer) is refused, exit 1, naming the member, and leaves no blob in the store.
    @Test func aTamperedMissingOrUnexpectedMemberRefusesTheWholeArchive() throws {
        try Self.bundled { project, archive in
            let weights = sha256Hex(Data(HubSandbox.weights))
            let variants: [(name: String, script: String, message: String)] = [
                ("flipped", "data = data[:-1] + bytes([data[-1] ^ 1]) if name.endswith('\(weights)') else data", "not to its name"),
                ("missing", "skip = name.endswith('\(weights)')", "is missing"),
                ("extra", "extra = [('run.sh', b'#!/bin/sh\\nrm -rf ~\\n')]", "no part of an OCI image layout"),
                ("stray", "extra = [('blobs/sha256/' + hashlib.sha256(b'stray').hexdigest(), b'stray')]", "a blob no manifest names"),
                ("link", "links = [('blobs/sha256/' + 'a' * 64, '/etc/passwd')]", "a link"),
                ("traversal", "extra = [('../outside', b'x')]", "`..`"),
            ]
            for variant in variants {
                let hostile = project.directory.appendingPathComponent("\(variant.name).tar")
                try Self.rewrite(archive, to: hostile, variant.script)
                let store = "store-\(variant.name)"
                let outcome = try Self.modelpin(project, store: store).run(["import", hostile.path])
                #expect(outcome.status == 1, "\(variant.name): \(outcome.stderr)")
                #expect(outcome.stderr.contains(variant.message), "\(variant.name): \(outcome.stderr)")
                #expect(Self.blobs(project, store: store).isEmpty, "\(variant.name) left blobs behind")
                let tmp = project.directory.appendingPathComponent(store).appendingPathComponent("tmp")
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix("ingest-") }.isEmpty, "\(variant.name) left temp files")
            }
        }
    }

    /// One site admitted a pickle callable with --allow-global; another, importing the bundle
    /// without it, refuses the whole archive in the scan and keeps nothing of it.
    @Test func aFileTheScanRefusesRefusesTheWholeArchive() throws {
        let repo = FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: [
            FakeHub.File("config.json", HubSandbox.config),
            FakeHub.File("pytorch_model.bin", Pickles.unknownCallable, lfs: true),
        ])
        try Self.bundled(repos: [repo], addArguments: ["--allow-global", "acme.layers.CustomLayer"]) { project, archive in
            let outcome = try Self.modelpin(project, store: "strict-store").run(["import", archive.path])
            #expect(outcome.status == 1, "\(outcome.stderr)")
            #expect(outcome.stdout.contains("refused") && outcome.stdout.contains("pytorch_model.bin"), "\(outcome.stdout)")
            #expect(outcome.stdout.contains("nothing imported"), "\(outcome.stdout)")
            #expect(Self.blobs(project, store: "strict-store").isEmpty)
            let allowed = try Self.modelpin(project, store: "strict-store").run(["import", archive.path, "--allow-global", "acme.layers.CustomLayer"])
            #expect(allowed.status == 0, "\(allowed.stderr)")
        }
    }

    /// An archive of more files than the process may open descriptors (`ulimit -n 64`, 120
    /// files): every staged blob waits under one shared store lock, not a descriptor each.
    @Test func anArchiveOfManyFilesImportsUnderALowDescriptorLimit() throws {
        let files = (0..<120).map { FakeHub.File("shards/part-\($0).json", Array("{\"part\": \($0)}".utf8)) }
        let repo = FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)
        try Self.bundled(repos: [repo]) { project, archive in
            let site = Self.modelpin(project, store: "many-store")
            let script = "ulimit -n 64 && exec \"$0\" \"$@\""
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script, ModelpinProcess.binary.path, "import", archive.path]
            process.environment = site.environment
            process.currentDirectoryURL = site.currentDirectory
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(stderr)")
            #expect(Self.blobs(project, store: "many-store").count >= 120)
        }
    }

    /// The archive is what skopeo expects of `oci-archive:`: skopeo copies it into a real
    /// registry (Debian's docker-registry), byte for byte, where modelpin pulls it; and skopeo's
    /// own oci-archive of it (another tar writer) imports.
    @Test func skopeoCopiesTheBundleToARegistryAndIntoAnArchiveModelpinImports() throws {
        try Self.bundled { project, archive in
            let registry = try RegistryServer(directory: project.directory.appendingPathComponent("registry"), auth: .none)
            defer { registry.stop() }
            let skopeo = RegistrySkopeo(sandbox: project.directory)
            let reference = "acme/tiny-model:\(HubSandbox.commit)"
            let copied = try skopeo.copy("oci-archive:\(archive.path):\(reference)", "docker://\(registry.authority)/air/tiny:v1")
            #expect(copied.status == 0, "\(copied.stderr)")
            let raw = try skopeo.inspect("docker://\(registry.authority)/air/tiny:v1", raw: true)
            #expect(raw.status == 0 && raw.stdout.contains("application/vnd.cncf.model.config.v1+json"), "\(raw.stdout)\(raw.stderr)")
            let pulled = try Self.modelpin(project, store: "registry-store").run([
                "pull", "oci://\(registry.authority)/air/tiny:v1", "--plain-http", "--to", project.directory.appendingPathComponent("from-registry").path,
            ])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(try Data(contentsOf: project.directory.appendingPathComponent("from-registry/model.safetensors")) == Data(HubSandbox.weights))

            let rewritten = project.directory.appendingPathComponent("by-skopeo.tar")
            let again = try skopeo.copy("oci-archive:\(archive.path):\(reference)", "oci-archive:\(rewritten.path):\(reference)")
            #expect(again.status == 0, "\(again.stderr)")
            let site = Self.modelpin(project, store: "skopeo-site")
            let imported = try site.run(["import", rewritten.path])
            #expect(imported.status == 0, "\(imported.stderr)")
            let byName = try site.run(["pull", "acme/tiny-model@\(HubSandbox.commit)", "--offline", "--to", "by-name"])
            #expect(byName.status == 0, "\(byName.stderr)")
        }
    }

    /// Rewrites `archive` member by member with Python's tarfile; `script` may set `data`
    /// (bytes), `skip`, and append to `extra` (name, bytes) or `links` (name, target).
    static func rewrite(_ archive: URL, to output: URL, _ script: String) throws {
        let program = """
            import hashlib, io, sys, tarfile
            extra, links = [], []
            with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as dst:
                for member in src.getmembers():
                    name, skip = member.name, False
                    data = src.extractfile(member).read() if member.isfile() else None
            \(script.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
                    if skip: continue
                    info = tarfile.TarInfo(name); info.type = member.type
                    if data is not None: info.size = len(data)
                    dst.addfile(info, io.BytesIO(data) if data is not None else None)
                for name, data in extra:
                    info = tarfile.TarInfo(name); info.size = len(data); dst.addfile(info, io.BytesIO(data))
                for name, target in links:
                    info = tarfile.TarInfo(name); info.type = tarfile.SYMTYPE; info.linkname = target; dst.addfile(info)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", program, archive.path, output.path]
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let errors = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(errors)")
    }
}
