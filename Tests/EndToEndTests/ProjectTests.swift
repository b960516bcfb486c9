import Foundation
import PinTestSupport
import Testing

@Suite("projects: modelpin.toml, modelpin.lock, add, lock, pull --locked, verify, remove")
struct ProjectTests {
    @Test func addChecksResolvesPullsAndRecordsTheModel() throws {
        try ProjectSandbox.with { project throws in
            let added = try project.run("add", "acme/tiny-model")
            #expect(added.status == 0, "\(added.stderr)")
            #expect(added.stdout.contains("added tiny-model: acme/tiny-model@\(HubSandbox.commit.prefix(12))"))
            #expect(try project.manifestText().contains("[models.tiny-model]\nrepo = \"acme/tiny-model\"\nrevision = \"main\""))
            let lock = try project.lockText()
            #expect(lock.contains("commit = \"\(HubSandbox.commit)\""))
            // Every file, LFS or not, is locked by its SHA-256 (computed by coreutils here).
            for bytes in [HubSandbox.config, HubSandbox.tokenizer, HubSandbox.weights, HubSandbox.extra] {
                #expect(lock.contains("sha256 = \"sha256:\(sha256Hex(Data(bytes)))\""))
            }
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
            #expect(try project.run("verify").status == 0)
        }
    }

    @Test func aTyposquatIsRefusedAndNothingIsWritten() throws {
        try ProjectSandbox.with { project throws in
            let before = try project.manifestText()
            let refused = try project.run("add", "acrne/tiny-model")
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("acme/tiny-model"), "a did-you-mean names the allowed id: \(refused.stderr)")
            #expect(try project.manifestText() == before)
            #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))
        }
    }

    @Test func lockingAnUnchangedManifestIsByteIdentical() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model", "--include", "*.json", "--include", "*.safetensors").status == 0)
            let first = try project.lockText()
            #expect(try project.run("lock").stdout.contains("is up to date"))
            try FileManager.default.removeItem(at: project.lockfile)
            let relocked = try project.run("lock")
            #expect(relocked.status == 0, "\(relocked.stderr)")
            #expect(try project.lockText() == first)
            #expect(try project.run("lock", "--check").status == 0)
        }
    }

    @Test func pullLockedRebuildsEverythingOnAFreshMachine() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            try FileManager.default.removeItem(at: project.model)
            let pulled = try project.runWithFreshStore("pull", "--locked")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(pulled.stdout.contains("tiny-model  acme/tiny-model@\(HubSandbox.commit.prefix(12))"))
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
            #expect(try project.contents("tokenizer/tokenizer.json") == Data(HubSandbox.tokenizer))
            // Nothing re-resolved: the lock already names the commit.
            #expect(!project.env.hub.log.contains { $0.target.contains("/revision/") && $0.target.contains("fresh") })
        }
    }

    @Test func lockedRefusesAMissingOrStaleLockAndWritesNothing() throws {
        try ProjectSandbox.with { project throws in
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n").utf8))
            let missing = try project.run("pull", "--locked")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("modelpin.lock` does not exist, but --locked was given"))
            #expect(try project.run("lock").status == 0)
            let locked = try project.lockText()

            try writeFile(project.manifest, Array(try project.manifestText().replacingOccurrences(of: "[models.tiny]\nrepo = \"acme/tiny-model\"\n", with: "[models.tiny]\nrepo = \"acme/tiny-model\"\nrevision = \"v2\"\n").utf8))
            for (arguments, environment) in [(["pull", "--locked"], [:]), (["pull"], ["MODELPIN_LOCKED": "1"]), (["pull", "--frozen"], [:])] as [([String], [String: String])] {
                var modelpin = project.env.sandbox.modelpin
                modelpin.environment.merge(environment) { $1 }
                let stale = try modelpin.run(arguments)
                #expect(stale.status == 1, "\(arguments) \(environment)")
                #expect(stale.stderr.contains("needs to be updated, but --locked was given"))
                #expect(stale.stderr.contains("revision is `main` in modelpin.lock but `v2` in modelpin.toml") || stale.stderr.contains("`tiny`"), "\(stale.stderr)")
            }
            #expect(try project.lockText() == locked)
        }
    }

    @Test func aMovedBranchChangesTheLockOnlyUnderUpdate() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model", "--as", "tiny").status == 0)
            let newCommit = String(repeating: "9f", count: 20)
            let newWeights = safetensorsFile(payloadBytes: 1 << 20, seed: 77)
            try project.env.hub.update { repos in
                repos[0].commits[newCommit] = [FakeHub.File("config.json", HubSandbox.config), FakeHub.File("model.safetensors", newWeights, lfs: true)]
                repos[0].refs["main"] = newCommit
            }
            let lock = try project.run("lock")
            #expect(lock.status == 0)
            #expect(try project.lockText().contains(HubSandbox.commit))
            #expect(try project.run("pull", "--locked").status == 0)
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))

            let updated = try project.run("lock", "--update", "tiny")
            #expect(updated.status == 0, "\(updated.stderr)")
            #expect(updated.stderr.contains("updated tiny: \(HubSandbox.commit.prefix(12)) → \(newCommit.prefix(12))"))
            #expect(try project.lockText().contains(newCommit))
            #expect(try project.run("pull", "--locked").status == 0)
            #expect(try project.contents("model.safetensors") == Data(newWeights))
            // Files the new snapshot lacks are removed from the directory.
            #expect(!FileManager.default.fileExists(atPath: project.model.appendingPathComponent("weights/extra.bin").path))
        }
    }

    @Test func rewrittenHistoryAtTheLockedCommitIsRefused() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model", "--as", "tiny").status == 0)
            let before = try project.lockText()
            let swapped = safetensorsFile(payloadBytes: 3 << 20, seed: 99)
            try project.env.hub.update { repos in
                repos[0].commits[HubSandbox.commit] = HubSandbox.files.map { $0.path == "model.safetensors" ? FakeHub.File("model.safetensors", swapped, lfs: true) : $0 }
            }
            let refused = try project.run("lock", "--update")
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("describes acme/tiny-model at commit \(HubSandbox.commit) differently from the lock"))
            #expect(refused.stderr.contains("locked: sha256:\(sha256Hex(Data(HubSandbox.weights)))"))
            #expect(refused.stderr.contains("Hub:    sha256:\(sha256Hex(Data(swapped)))"))
            #expect(try project.lockText() == before)
        }
    }

    @Test func aHandEditedDigestIsRefusedAtPullNamingBothValues() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let real = sha256Hex(Data(HubSandbox.weights))
            let forged = String(repeating: "e", count: 64)
            try writeFile(project.lockfile, Array(try project.lockText().replacingOccurrences(of: real, with: forged).utf8))
            let refused = try project.runWithFreshStore("pull", "--locked")
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains(forged) && refused.stderr.contains(real), "\(refused.stderr)")
            let fresh = project.directory.appendingPathComponent("fresh-store/blobs/sha256")
            #expect(!project.env.sandbox.names(fresh).contains(forged))
            #expect(!project.env.sandbox.names(fresh).contains(real))
        }
    }

    @Test func offlineUsesTheStoreAndNamesWhatIsMissing() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            project.env.hub.clearLog()
            let offline = try project.run("pull", "--frozen")
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(project.env.hub.log.isEmpty)

            let missing = try project.runWithFreshStore("pull", "--offline")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("4 locked files are not in the store and --offline was given"))
            #expect(missing.stderr.contains("model.safetensors (sha256:\(sha256Hex(Data(HubSandbox.weights))))"))
            #expect(project.env.hub.log.isEmpty)
        }
    }

    @Test func aFileMirrorServesAnAirGappedPullAndABadBlobFallsBackToTheHub() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let mirror = project.directory.appendingPathComponent("mirror")
            let written = try project.run("mirror", mirror.path)
            #expect(written.status == 0, "\(written.stderr)")
            let kept = mirror.appendingPathComponent("projects/\(project.directory.lastPathComponent)/modelpin.lock")
            #expect(try Data(contentsOf: kept) == Data(contentsOf: project.lockfile))
            #expect(FileManager.default.fileExists(atPath: mirror.appendingPathComponent("oci-layout").path))

            try FileManager.default.removeItem(at: project.model)
            project.env.hub.clearLog()
            let airGapped = try project.runWithFreshStore("pull", "--frozen", "--mirror", "file://" + mirror.path)
            #expect(airGapped.status == 0, "\(airGapped.stderr)")
            #expect(project.env.hub.log.isEmpty)
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))

            // A mirror blob swapped for other bytes of the same size: refused, the Hub serves it.
            let blob = mirror.appendingPathComponent("blobs/sha256/" + sha256Hex(Data(HubSandbox.weights)))
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: blob.path)
            try Data(pseudoRandomBytes(count: HubSandbox.weights.count, seed: 5)).write(to: blob)
            let fallback = try project.runWithFreshStore("pull", "--locked", "--mirror", "file://" + mirror.path, store: "third-store")
            #expect(fallback.status == 0, "\(fallback.stderr)")
            #expect(fallback.stderr.contains("`model.safetensors` refused, trying the next source"))
            #expect(project.env.cdnRequests.count == 1)
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
            // Offline, with only the bad mirror: nothing else to try.
            let stuck = try project.runWithFreshStore("pull", "--frozen", "--mirror", "file://" + mirror.path, store: "fourth-store")
            #expect(stuck.status == 1)
            #expect(stuck.stderr.contains("1 locked file is not in the store and --offline was given"))
        }
    }

    @Test func anHTTPMirrorServedByNginx() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let mirror = project.directory.appendingPathComponent("mirror")
            #expect(try project.run("mirror", mirror.path).status == 0)
            let port = Nginx.freePort()
            let nginx = try Nginx(
                directory: project.directory.appendingPathComponent("nginx", isDirectory: true),
                servers: "server { listen 127.0.0.1:\(port); location /models/ { alias \(mirror.path)/; } }", ports: [port])
            defer { nginx.stop() }
            try FileManager.default.removeItem(at: project.model)
            project.env.hub.clearLog()
            let pulled = try project.runWithFreshStore("pull", "--locked", "--mirror", "http://127.0.0.1:\(port)/models")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(pulled.stdout.contains("4 from http://127.0.0.1:\(port)/models/"), "\(pulled.stdout)")
            #expect(project.env.hub.log.isEmpty, "the mirror had everything: the Hub is not asked")
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
        }
    }

    @Test func verifyFindsAModifiedFileAndPullRestoresIt() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            try Data("tampered".utf8).write(to: project.model.appendingPathComponent("config.json"))
            let verify = try project.run("verify")
            #expect(verify.status == 1)
            #expect(verify.stdout.contains("modified  tiny-model:") && verify.stdout.contains("config.json"))
            #expect(try project.run("pull", "--locked").status == 0)
            #expect(try project.run("verify").status == 0)
        }
    }

    @Test func lockedBlobsAreGCRootsUntilTheModelIsRemoved() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            #expect(try project.run("store", "gc", "--grace", "0s").status == 0)
            #expect(project.env.blobs.count == 6)  // 4 files, the snapshot's manifest and config
            let removed = try project.run("remove", "tiny-model")
            #expect(removed.status == 0, "\(removed.stderr)")
            #expect(!(try project.manifestText().contains("[models.tiny-model]")))
            #expect(!(try project.lockText().contains("tiny-model")))
            // The store's record of the snapshot still keeps it, until it is forgotten.
            #expect(try project.run("store", "gc", "--grace", "0s").status == 0)
            #expect(project.env.blobs.count == 6)
            #expect(try project.run("store", "forget", "acme/tiny-model").status == 0)
            #expect(try project.run("store", "gc", "--grace", "0s").status == 0)
            #expect(project.env.blobs.isEmpty)
        }
    }

    @Test func aDeletedProjectsRootIsForgottenOnlyWhenPrunedExplicitly() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let listed = try project.run("store", "roots")
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("lockfile  \(project.lockfile.path)  (4 blobs)"), "\(listed.stdout)")
            #expect(!listed.stdout.contains("gone"))
            #expect(try project.run("store", "ls").stdout.components(separatedBy: "  locked").count - 1 == 4)

            // The project is deleted: its root still keeps the blobs, and says why.
            try FileManager.default.removeItem(at: project.lockfile)
            let stale = try project.run("store", "roots")
            #expect(stale.stdout.contains("(4 blobs)  gone"), "\(stale.stdout)")
            #expect(stale.stderr.contains("`modelpin store roots --prune` forgets them"))
            #expect(try project.run("store", "gc", "--grace", "0s").status == 0)
            #expect(project.env.blobs.count == 6)  // 4 files, the snapshot's manifest and config

            let dry = try project.run("store", "roots", "--prune", "--dry-run")
            #expect(dry.stdout.contains("gone, would be forgotten"))
            #expect(try project.run("store", "gc", "--grace", "0s").status == 0)
            #expect(project.env.blobs.count == 6)  // 4 files, the snapshot's manifest and config

            let pruned = try JSONSerialization.jsonObject(with: Data(try project.run("store", "roots", "--prune", "--json").stdout.utf8)) as? [[String: Any]]
            #expect(pruned?.first?["pruned"] as? Bool == true)
            #expect(try project.run("store", "roots").stdout.isEmpty)
            // The store's record of the snapshot still keeps it, until it is forgotten.
            #expect(try project.run("store", "gc", "--grace", "0s").status == 0)
            #expect(project.env.blobs.count == 6)
            #expect(try project.run("store", "forget", "acme/tiny-model").status == 0)
            #expect(try project.run("store", "gc", "--grace", "0s").status == 0)
            #expect(project.env.blobs.isEmpty)
        }
    }

    @Test func listAndTreeShowWhatIsLocked() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model", "--as", "tiny").status == 0)
            let list = try project.run("list")
            #expect(list.stdout.contains("tiny  acme/tiny-model@\(HubSandbox.commit.prefix(12))  4 files"))
            let tree = try project.run("tree")
            #expect(tree.stdout.contains("└── weights/extra.bin"))
        }
    }
}

@Suite("projects: bad input")
struct ProjectBadInputTests {
    @Test func malformedManifestNamesFileLineAndColumn() throws {
        try ProjectSandbox.with { project throws in
            try writeFile(project.manifest, Array("version = 1\n[models.tiny]\nrepo = \"acme/tiny-model\"\ninclude = [\"*.json\",\n".utf8))
            let outcome = try project.run("lock")
            #expect(outcome.status != 0)
            #expect(outcome.stderr.contains("modelpin.toml`:"), "\(outcome.stderr)")
            #expect(outcome.stderr.range(of: #"modelpin\.toml`?:\d+:\d+"#, options: .regularExpression) != nil, "\(outcome.stderr)")
        }
    }

    @Test func aWrongTypeNamesTheField() throws {
        try ProjectSandbox.with { project throws in
            try writeFile(project.manifest, Array("[models.tiny]\nrepo = \"acme/tiny-model\"\nrevision = 3\n".utf8))
            let outcome = try project.run("lock")
            #expect(outcome.status != 0)
            #expect(outcome.stderr.contains("models.tiny.revision"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains(":3:"), "\(outcome.stderr)")
        }
    }

    @Test func twoModelsInOneDirectoryAreRefused() throws {
        try ProjectSandbox.with { project throws in
            try writeFile(project.manifest, Array("[models.a]\nrepo = \"acme/tiny-model\"\n\n[models.b]\nrepo = \"acme/tiny-model\"\nrevision = \"v2\"\n".utf8))
            let outcome = try project.run("pull")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("models `a` and `b` would both be laid out in"), "\(outcome.stderr)")
        }
    }

    @Test func anInvalidAliasIsAUsageError() throws {
        try ProjectSandbox.with { project throws in
            let outcome = try project.run("add", "acme/tiny-model", "--as", "my model")
            #expect(outcome.status == 64)
            #expect(outcome.stderr.contains("`my model` cannot be a model alias"))
        }
    }

    @Test func aLockFromANewerModelpinIsAClearError() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            try writeFile(project.lockfile, Array(try project.lockText().replacingOccurrences(of: "version = 1", with: "version = 2").utf8))
            let outcome = try project.run("pull", "--locked")
            #expect(outcome.status != 0)
            #expect(outcome.stderr.contains("version 2"), "\(outcome.stderr)")
        }
    }

    @Test func aLockWithAnUnsafePathIsRefusedBeforeAnythingIsWritten() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            try writeFile(project.lockfile, Array(try project.lockText().replacingOccurrences(of: "path = \"config.json\"", with: "path = \"../escape.json\"").utf8))
            let outcome = try project.run("pull", "--locked")
            #expect(outcome.status != 0)
            #expect(outcome.stderr.contains("modelpin.lock`:17:1: field `model[1].file[1].path`"), "\(outcome.stderr)")
            #expect(!FileManager.default.fileExists(atPath: project.directory.appendingPathComponent("models/acme/escape.json").path))
        }
    }
}
