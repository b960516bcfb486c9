import Foundation
import PinTestSupport
import Testing

extension HostileCases {
    static let store: [HostileCase] = [
        // #1: a lock edited in a pull request calls a malicious pickle safe.
        HostileCase(1, "a lock that calls a malicious pickle safe: pull --locked scans it and refuses, naming both verdicts") {
            try ProjectSandbox.with(repos: [StoreAttacks.repo(Pickles.plainData)]) { project throws in
                try StoreAttacks.lockThenForge(project)
                let pulled = try project.runWithFreshStore("pull", "--locked")
                #expect(pulled.status == 1, "\(pulled.stderr)")
                #expect(pulled.stderr.contains("locked as `safe`, but the scanner judges it `unsafe`"), "\(pulled.stderr)")
                #expect(pulled.stderr.contains("os.system"))
                #expect(try project.contents("pytorch_model.bin") == Data(Pickles.plainData), "the pickle was laid out")
                #expect(!project.env.sandbox.names(project.directory.appendingPathComponent("fresh-store/blobs/sha256"))
                    .contains(sha256Hex(Data(Pickles.osSystem))))
            }
        },
        HostileCase(1, "a lock that calls a stored malicious pickle safe: the stored blob is scanned before it is laid out") {
            try ProjectSandbox.with(repos: [StoreAttacks.repo(Pickles.plainData)]) { project throws in
                try StoreAttacks.lockThenForge(project)
                let payload = try project.env.sandbox.file("payload.bin", Pickles.osSystem)
                #expect(try project.run("store", "add", payload.path).status == 0)
                let pulled = try project.run("pull", "--frozen")
                #expect(pulled.status == 1, "\(pulled.stderr)")
                #expect(pulled.stderr.contains("the scanner judges it `unsafe`"), "\(pulled.stderr)")
                #expect(try project.contents("pytorch_model.bin") == Data(Pickles.plainData), "the pickle was laid out")
            }
        },
        HostileCase(1, "verify takes the scanner's verdict from the store, not the lock's") {
            try ProjectSandbox.with(repos: [StoreAttacks.repo(Pickles.plainData)]) { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                try StoreAttacks.forge(project)
                let payload = try project.env.sandbox.file("payload.bin", Pickles.osSystem)
                #expect(try project.run("store", "add", payload.path).status == 0)
                try Data(Pickles.osSystem).write(to: project.model.appendingPathComponent("pytorch_model.bin"))
                let verified = try project.run("verify")
                #expect(verified.status == 1, "\(verified.stdout)\(verified.stderr)")
                #expect(verified.stdout.contains("refused  tiny-model: pytorch_model.bin"), "\(verified.stdout)")
                #expect(verified.stdout.contains("os.system"))
            }
        },
        HostileCase(1, "a stored verdict that needed --allow-global X is not reused once the lock no longer accepts X") {
            let repo = FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: [
                FakeHub.File("pytorch_model.bin", Pickles.unknownCallable, lfs: true),
            ])
            try ProjectSandbox.with(repos: [repo]) { project throws in
                let added = try project.run("add", "acme/tiny-model", "--allow-global", "acme.layers.CustomLayer")
                #expect(added.status == 0, "\(added.stderr)")
                let lock = try project.lockText()
                let accepted = "accepted = [\"acme.layers.CustomLayer\"]\n"
                #expect(lock.contains(accepted))
                try lock.replacingOccurrences(of: accepted, with: "").write(to: project.lockfile, atomically: true, encoding: .utf8)
                try FileManager.default.removeItem(at: project.model)
                let pulled = try project.run("pull", "--frozen")
                #expect(pulled.status == 1, "\(pulled.stderr)")
                #expect(pulled.stderr.contains("the scanner judges it `suspicious`"), "\(pulled.stderr)")
                #expect(!FileManager.default.fileExists(atPath: project.model.appendingPathComponent("pytorch_model.bin").path))
            }
        },

        // #3: the same content twice must not make a pull wait for itself.
        HostileCase(3, "two files with the same content: a pull by name fetches once, lays out both, and ends") {
            try HubSandbox.with(repos: [StoreAttacks.duplicates(id: "acme/tiny-model")]) { env throws in
                let outcome = try StoreAttacks.run(env.sandbox.modelpin, ["pull", "acme/tiny-model", "--endpoint", env.hub.endpoint])
                #expect(outcome.status == 0, "\(outcome.stderr)")
                for path in ["config.json", "variant/config.json", "a.safetensors", "b/a.safetensors"] {
                    #expect(FileManager.default.fileExists(atPath: env.model.appendingPathComponent(path).path), "\(path)")
                }
                #expect(try env.contents("b/a.safetensors") == Data(HubSandbox.weights))
                #expect(env.cdnRequests.count == 1, "the shared LFS blob is fetched once")
            }
        },
        HostileCase(3, "shared content within and across the models of a project: add, lock and a fresh pull --locked end") {
            let repos = [StoreAttacks.duplicates(id: "acme/tiny-model"), StoreAttacks.duplicates(id: "acme/other-model")]
            try ProjectSandbox.with(repos: repos) { project throws in
                var modelpin = project.env.sandbox.modelpin
                modelpin.currentDirectory = project.directory
                for repo in ["acme/tiny-model", "acme/other-model"] {
                    let added = try StoreAttacks.run(modelpin, ["add", repo])
                    #expect(added.status == 0, "\(added.stderr)")
                }
                modelpin.environment["MODELPIN_HOME"] = project.directory.appendingPathComponent("fresh-store").path
                let pulled = try StoreAttacks.run(modelpin, ["pull", "--locked"])
                #expect(pulled.status == 0, "\(pulled.stderr)")
                let other = project.directory.appendingPathComponent("models/acme/other-model/b/a.safetensors")
                #expect(try Data(contentsOf: other) == Data(HubSandbox.weights))
            }
        },
        HostileCase(3, "a blob another pull holds: the wait names the holder, Ctrl-C ends it, a timeout gives up") {
            try HubSandbox.with { env throws in
                env.hub.configure { $0.stallAfter = 1000 }
                let holder = try env.sandbox.modelpin.start(["pull", "acme/tiny-model", "--endpoint", env.hub.endpoint, "--to", "first"])
                defer {
                    holder.kill(signal: SIGKILL)
                    _ = holder.wait()
                }
                Thread.sleep(forTimeInterval: 2)  // the holder has its locks and is stalled on the CDN
                var waiter = env.sandbox.modelpin
                waiter.environment["MODELPIN_LOCK_TIMEOUT"] = "60"
                let interrupted = try waiter.start(["pull", "acme/tiny-model", "--endpoint", env.hub.endpoint, "--to", "second"])
                Thread.sleep(forTimeInterval: 3)
                interrupted.kill(signal: SIGINT)
                let stopped = StoreAttacks.wait(interrupted, seconds: 20)
                #expect(stopped.status == 130, "\(stopped.stderr)")
                #expect(stopped.stderr.contains("waiting for"), "\(stopped.stderr)")
                #expect(stopped.stderr.contains("held by pid \(holder.process.processIdentifier) (modelpin pull acme/tiny-model"), "\(stopped.stderr)")

                waiter.environment["MODELPIN_LOCK_TIMEOUT"] = "2"
                let gaveUp = try StoreAttacks.run(waiter, ["pull", "acme/tiny-model", "--endpoint", env.hub.endpoint, "--to", "third"])
                #expect(gaveUp.status == 2, "\(gaveUp.stderr)")
                #expect(gaveUp.stderr.contains("gave up after 2 s"), "\(gaveUp.stderr)")
                #expect(gaveUp.stderr.contains("pid \(holder.process.processIdentifier)"))
            }
        },

        // #4: sizes no file can have.
        HostileCase(4, "a Hub listing a size of 2^62: refused with exit 1, nothing allocated") {
            try StoreAttacks.pullWithListedSize(Int64(1) << 62)
        },
        HostileCase(4, "a Hub listing a size of 2^63-1: refused with exit 1, no overflow") {
            try StoreAttacks.pullWithListedSize(Int64.max)
        },
        HostileCase(4, "a lock declaring a size of 2^62: refused with exit 1, naming the field") {
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                let lock = try project.lockText()
                let size = "size = \(HubSandbox.weights.count)\n"
                #expect(lock.contains(size))
                try lock.replacingOccurrences(of: size, with: "size = 4611686018427387904\n").write(to: project.lockfile, atomically: true, encoding: .utf8)
                let pulled = try project.runWithFreshStore("pull", "--locked")
                #expect(pulled.status == 1, "\(pulled.stderr)")
                #expect(pulled.stderr.contains("size"), "\(pulled.stderr)")
                #expect(pulled.stderr.contains("1 TiB"))
            }
        },

        // #8: a FIFO where a file should be.
        HostileCase(8, "a FIFO in a file:// mirror: skipped as not a regular file, never opened for a blocking read") {
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                let mirror = project.directory.appendingPathComponent("mirror")
                #expect(try project.run("mirror", mirror.path).status == 0)
                let blob = mirror.appendingPathComponent("blobs/sha256/" + sha256Hex(Data(HubSandbox.weights)))
                try FileManager.default.removeItem(at: blob)
                #expect(mkfifo(blob.path, 0o644) == 0)
                var modelpin = project.env.sandbox.modelpin
                modelpin.currentDirectory = project.directory
                modelpin.environment["MODELPIN_HOME"] = project.directory.appendingPathComponent("fresh-store").path
                let pulled = try StoreAttacks.run(modelpin, ["pull", "--frozen", "--mirror", "file://" + mirror.path])
                #expect(pulled.status == 1, "\(pulled.stderr)")
                #expect(pulled.stderr.contains("not a regular file"), "\(pulled.stderr)")
            }
        },
        HostileCase(8, "a FIFO given to store add or in verify's model directory: refused at once") {
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                let fifo = project.directory.appendingPathComponent("pipe.bin")
                #expect(mkfifo(fifo.path, 0o644) == 0)
                var modelpin = project.env.sandbox.modelpin
                modelpin.currentDirectory = project.directory
                let added = try StoreAttacks.run(modelpin, ["store", "add", fifo.path])
                #expect(added.status == 2, "\(added.stderr)")
                #expect(added.stderr.contains("not a regular file"), "\(added.stderr)")
                let weights = project.model.appendingPathComponent("model.safetensors")
                try FileManager.default.removeItem(at: weights)
                #expect(mkfifo(weights.path, 0o644) == 0)
                let verified = try StoreAttacks.run(modelpin, ["verify"])
                #expect(verified.status == 1, "\(verified.stdout)\(verified.stderr)")
            }
        },

        HostileCase(8, "a FIFO where modelpin reads a file it did not write (manifest, lock, its signature, config, allowlists, key, CA bundle, scan): exit 2 at once, naming it") {
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                let signer = ["MODELPIN_LOCK_SIGNERS": "0123456789ABCDEF0123456789ABCDEF01234567"]
                try writeFile(URL(fileURLWithPath: project.lockfile.path + ".asc"), Array("-----BEGIN PGP SIGNATURE-----\n".utf8))
                try FileManager.default.createDirectory(
                    at: project.directory.appendingPathComponent("home/.config/modelpin"), withIntermediateDirectories: true)
                let rows: [(file: String, arguments: [String], environment: [String: String])] = [
                    ("modelpin.toml", ["pull", "--frozen"], [:]),
                    ("modelpin.lock", ["pull", "--frozen"], [:]),
                    ("modelpin.lock.asc", ["pull", "--require-signed-lock"], signer),
                    ("home/.config/modelpin/config.toml", ["pull", "--require-signed-lock"], [:]),
                    ("models.allow", ["add", "acme/other-model"], [:]),
                    ("pipe.allow", ["check", "--allowlist", "pipe.allow", "acme/tiny-model"], [:]),
                    ("pipe.allow", ["check", "acme/tiny-model"], ["MODELPIN_ALLOWLIST": "pipe.allow"]),
                    ("key.asc", ["keys", "import", "key.asc"], [:]),
                    ("ca.pem", ["add", "acme/other-model", "--cacert", "ca.pem"], [:]),
                    ("weights.bin", ["scan", "weights.bin"], [:]),
                ]
                for row in rows {
                    try StoreAttacks.withFIFO(at: project.directory.appendingPathComponent(row.file)) { fifo throws in
                        var modelpin = project.env.sandbox.modelpin
                        modelpin.currentDirectory = project.directory
                        modelpin.environment.merge(row.environment) { $1 }
                        let outcome = try StoreAttacks.run(modelpin, row.arguments, seconds: 20)
                        #expect(outcome.status == 2, "\(row.arguments) with a FIFO at \(row.file): \(outcome.stderr)")
                        #expect(outcome.stderr.contains(row.file), "\(row.arguments): \(outcome.stderr)")
                        #expect(outcome.stderr.contains("is a FIFO (named pipe), not a regular file"), "\(row.arguments): \(outcome.stderr)")
                    }
                }
            }
        },
        HostileCase(8, "a FIFO inside a directory given to scan: skipped, and the output says so; a link named to scan is followed") {
            try Sandbox.with { sandbox throws in
                let directory = sandbox.directory.appendingPathComponent("model")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try writeFile(directory.appendingPathComponent("config.json"), Array("{}".utf8))
                #expect(mkfifo(directory.appendingPathComponent("pipe.bin").path, 0o644) == 0)
                let outcome = try StoreAttacks.run(sandbox.modelpin, ["scan", directory.path], seconds: 20)
                #expect(outcome.status == 0, "\(outcome.stderr)")
                #expect(outcome.stderr.contains("pipe.bin`: a FIFO (named pipe)"), "\(outcome.stderr)")
                #expect(outcome.stderr.contains("not scanned"), "\(outcome.stderr)")

                // A symbolic link named on the command line is the user's choice: followed.
                let named = sandbox.directory.appendingPathComponent("named.json")
                try FileManager.default.createSymbolicLink(at: named, withDestinationURL: directory.appendingPathComponent("config.json"))
                let followed = try StoreAttacks.run(sandbox.modelpin, ["scan", named.path], seconds: 20)
                #expect(followed.status == 0, "\(followed.stderr)")
                #expect(followed.stdout.contains("named.json"), "\(followed.stdout)\(followed.stderr)")
            }
        },

        // #13: a store blob swapped for other bytes of the same size.
        HostileCase(13, "a store blob swapped for same-size bytes: fast store verify reports it, a pull never lays it out") {
            try HubSandbox.with { env throws in
                #expect(try env.pull("acme/tiny-model").status == 0)
                let blob = env.sandbox.blobs.appendingPathComponent(sha256Hex(Data(HubSandbox.weights)))
                try StoreAttacks.swap(blob)
                let verified = try env.sandbox.run("store", "verify")
                #expect(verified.status == 1, "\(verified.stdout)\(verified.stderr)")
                #expect(verified.stdout.contains("corrupt") || verified.stderr.contains("corrupt"), "\(verified.stdout)")

                try FileManager.default.removeItem(at: env.model.appendingPathComponent("model.safetensors"))
                let pulled = try env.pull("acme/tiny-model")
                #expect(pulled.status == 0, "\(pulled.stderr)")
                #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights), "the swapped bytes were laid out")
                try env.sandbox.expectEveryBlobMatchesItsName()
            }
        },
        HostileCase(13, "a store blob swapped for same-size bytes: an offline locked pull refuses instead of laying it out") {
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                let blob = project.env.sandbox.blobs.appendingPathComponent(sha256Hex(Data(HubSandbox.weights)))
                try StoreAttacks.swap(blob)
                try FileManager.default.removeItem(at: project.model)
                let pulled = try project.run("pull", "--frozen")
                #expect(pulled.status == 1, "\(pulled.stderr)")
                #expect(!FileManager.default.fileExists(atPath: project.model.appendingPathComponent("model.safetensors").path))
            }
        },
    ]
}

/// Set-ups shared by the store rows.
enum StoreAttacks {
    static func repo(_ weights: [UInt8]) -> FakeHub.Repo {
        FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: [
            FakeHub.File("config.json", HubSandbox.config),
            FakeHub.File("pytorch_model.bin", weights, lfs: true),
        ])
    }

    /// The same JSON in two folders and one LFS shard under two names.
    static func duplicates(id: String) -> FakeHub.Repo {
        FakeHub.Repo(id: id, commit: HubSandbox.commit, files: [
            FakeHub.File("config.json", HubSandbox.config),
            FakeHub.File("variant/config.json", HubSandbox.config),
            FakeHub.File("a.safetensors", HubSandbox.weights, lfs: true),
            FakeHub.File("b/a.safetensors", HubSandbox.weights, lfs: true),
        ])
    }

    /// Locks the benign model, then forges the lock as a hostile pull request would.
    static func lockThenForge(_ project: ProjectSandbox) throws {
        let added = try project.run("add", "acme/tiny-model")
        #expect(added.status == 0, "\(added.stderr)")
        try forge(project)
    }

    /// The attacker's edit: the weights' digest, size and git blob id become the malicious
    /// pickle's, the verdict stays `safe`; the Hub now serves the pickle at the locked commit.
    static func forge(_ project: ProjectSandbox) throws {
        let hub = project.env.hub
        let good = FakeHub.File("pytorch_model.bin", Pickles.plainData, lfs: true)
        let evil = FakeHub.File("pytorch_model.bin", Pickles.osSystem, lfs: true)
        var lock = try project.lockText()
        for (old, new) in [
            (hub.sha256(of: good), sha256Hex(Data(Pickles.osSystem))),
            ("size = \(Pickles.plainData.count)\n", "size = \(Pickles.osSystem.count)\n"),
        ] {
            #expect(lock.contains(old), "\(old)")
            lock = lock.replacingOccurrences(of: old, with: new)
        }
        try hub.update { repos in repos = [Self.repo(Pickles.osSystem)] }
        lock = lock.replacingOccurrences(of: hub.gitOID(of: good), with: hub.gitOID(of: evil))
        #expect(lock.contains("verdict = \"safe\""))
        try lock.write(to: project.lockfile, atomically: true, encoding: .utf8)
    }

    static func pullWithListedSize(_ size: Int64) throws {
        try HubSandbox.with { env throws in
            env.hub.configure { $0.treeSizeDelta = size - Int64(HubSandbox.weights.count) }
            let outcome = try run(env.sandbox.modelpin, ["pull", "acme/tiny-model", "--endpoint", env.hub.endpoint, "--include", "model.safetensors"])
            #expect(outcome.status == 1, "\(outcome.stderr)")
            #expect(!outcome.signaled)
            #expect(outcome.stderr.contains("a size no file can have"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("1 TiB"))
            #expect(env.cdnRequests.isEmpty)
        }
    }

    /// Overwrites a read-only blob in place with other bytes of the same size.
    static func swap(_ blob: URL) throws {
        var bytes = try Data(contentsOf: blob)
        bytes[bytes.count / 2] ^= 0xff
        chmod(blob.path, 0o644)
        try bytes.write(to: blob)
        chmod(blob.path, 0o444)
    }

    /// Runs modelpin, killing it (and failing) if it has not ended after `seconds`: the
    /// attacks here used to hang the process for ever.
    /// Puts a FIFO nobody writes to at `file` for `body`, then what was there before (if
    /// anything): a plain open(2) of it would block until a writer appears, forever.
    static func withFIFO(at file: URL, _ body: (URL) throws -> Void) throws {
        let saved = try? Data(contentsOf: file)
        try? FileManager.default.removeItem(at: file)
        #expect(mkfifo(file.path, 0o644) == 0)
        defer {
            try? FileManager.default.removeItem(at: file)
            if let saved { try? saved.write(to: file) }
        }
        try body(file)
    }

    static func run(_ modelpin: ModelpinProcess, _ arguments: [String], seconds: Double = 60) throws -> ModelpinProcess.Outcome {
        wait(try modelpin.start(arguments), seconds: seconds)
    }

    static func wait(_ running: ModelpinProcess.Running, seconds: Double) -> ModelpinProcess.Outcome {
        let deadline = Date().addingTimeInterval(seconds)
        while running.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let hung = running.process.isRunning
        if hung { running.kill(signal: SIGKILL) }
        let outcome = running.wait()
        #expect(!hung, "modelpin \(running.process.arguments ?? []) did not end within \(seconds) s: \(outcome.stderr)")
        return outcome
    }
}
