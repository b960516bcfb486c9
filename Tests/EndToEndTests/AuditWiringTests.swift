import Foundation
import PinAudit
import PinTestSupport
import Synchronization
import SystemPackage
import Testing

/// The entries a store's audit log holds, read as plain JSON lines (`audit/entries.jsonl`),
/// independently of modelpin's own reader.
func auditEntries(in store: URL) throws -> [[String: Any]] {
    let file = store.appendingPathComponent("audit/entries.jsonl")
    guard FileManager.default.fileExists(atPath: file.path) else { return [] }
    let text = try String(contentsOf: file, encoding: .utf8)
    return try text.split(separator: "\n").map { line in try #require(try json(String(line)) as? [String: Any]) }
}

/// The store's log as modelpin's engine reads it (the same key, so its checkpoints verify).
func auditLog(in store: URL) throws -> AuditLog {
    let directory = FilePath(store.appendingPathComponent("audit").path)
    return try AuditLog(directory: directory, signer: AuditKeys.signer(directory: directory, environment: [:]))
}

extension Dictionary where Key == String, Value == Any {
    subscript(text key: String) -> String? { self[key] as? String }
}

/// Every operation leaves its entries in the store's audit log, through the real binary: what
/// a pull, a lock, a locked pull, an HF cache import and export, a verify, a refusal by a gate,
/// a lying mirror and a signature check each record, and a checkpoint a project keeps.
@Suite("audit log: what each operation records")
struct AuditWiringTests {
    static var user: String { String(cString: getpwuid(geteuid())!.pointee.pw_name) }

    /// The common fields every entry has, with the time in RFC 3339 UTC.
    static func expectStamped(_ entries: [[String: Any]], command: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for entry in entries {
            #expect(entry["v"] as? Int == 1, sourceLocation: sourceLocation)
            #expect(entry[text: "user"] == user && entry[text: "command"] == command, "\(entry)", sourceLocation: sourceLocation)
            let time = entry[text: "time"] ?? ""
            #expect(time.count == 20 && time.hasSuffix("Z") && time.dropFirst(10).first == "T", "\(time)", sourceLocation: sourceLocation)
        }
    }

    static func kinds(_ entries: [[String: Any]]) -> [String] { entries.compactMap { $0[text: "kind"] } }

    @Test func aPullByNameRecordsItsModelWithEveryDigestThenItsOutcome() throws {
        try HubSandbox.with { env throws in
            let pulled = try env.pull("acme/tiny-model")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            let entries = try auditEntries(in: env.sandbox.store)
            Self.expectStamped(entries, command: "pull")
            // No allowlist: the names gate warned, and that is on record.
            #expect(Self.kinds(entries) == ["decision", "model", "operation"], "\(entries)")
            #expect(entries[0][text: "gate"] == "names" && entries[0][text: "outcome"] == "warned")
            let model = entries[1]
            #expect(model[text: "repo"] == "acme/tiny-model" && model[text: "commit"] == HubSandbox.commit && model[text: "outcome"] == "ok")
            let digests = try #require(model["digests"] as? [String: String])
            #expect(digests.count == HubSandbox.files.count)
            #expect(digests["model.safetensors"] == "sha256:" + sha256Hex(Data(HubSandbox.weights)))
            #expect(digests["config.json"] == "sha256:" + sha256Hex(Data(HubSandbox.config)))
            #expect(entries[2][text: "outcome"] == "ok")
        }
    }

    @Test func aTyposquatRefusedByTheNamesGateIsOnRecordWithItsReason() throws {
        let repos = [FakeHub.Repo(id: "meta-llama/Llama-3.1-8B", commit: HubSandbox.commit, files: HubSandbox.files)]
        try HubSandbox.with(repos: repos) { env throws in
            try env.sandbox.file("allow.txt", Array("meta-llama/Llama-3.1-8B\n".utf8))
            let refused = try env.pull("meta-IIama/Llama-3.1-8B", "--allowlist", env.directory.appendingPathComponent("allow.txt").path)
            #expect(refused.status == 1, "\(refused.stderr)")
            let entries = try auditEntries(in: env.sandbox.store)
            Self.expectStamped(entries, command: "pull")
            #expect(Self.kinds(entries) == ["decision", "operation"], "\(entries)")
            #expect(entries[0][text: "gate"] == "names" && entries[0][text: "subject"] == "meta-IIama/Llama-3.1-8B")
            #expect(entries[0][text: "outcome"] == "refused")
            #expect((entries[0]["reasons"] as? [String])?.first?.contains("looks like the allowed `meta-llama/Llama-3.1-8B`") == true, "\(entries[0])")
            #expect(entries[1][text: "outcome"] == "refused" && (entries[1]["reasons"] as? [String])?.isEmpty == false)
            #expect(env.hub.log.isEmpty)
        }
    }

    @Test func aScanRefusalRecordsTheVerdictAndTheDecision() throws {
        let pickle: [UInt8] = [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x58, 10, 0, 0, 0] + Array("echo pwned".utf8) + [0x85, 0x52, 0x2E]
        let repo = FakeHub.Repo(id: "acme/legacy", commit: HubSandbox.commit, files: [
            FakeHub.File("config.json", HubSandbox.config), FakeHub.File("pytorch_model.bin", pickle, lfs: true),
        ])
        try HubSandbox.with(repos: [repo]) { env throws in
            let refused = try env.pull("acme/legacy")
            #expect(refused.status == 1, "\(refused.stderr)")
            let entries = try auditEntries(in: env.sandbox.store)
            let scan = try #require(entries.first { $0[text: "kind"] == "scan" })
            #expect(scan[text: "path"]?.hasSuffix("pytorch_model.bin") == true && scan[text: "outcome"] != "safe", "\(scan)")
            #expect(scan[text: "digest"] == "sha256:" + sha256Hex(Data(pickle)))
            let decision = try #require(entries.first { $0[text: "kind"] == "decision" && $0[text: "gate"] == "scan" })
            #expect(decision[text: "outcome"] == "refused" && decision[text: "subject"]?.hasSuffix("pytorch_model.bin") == true, "\(decision)")
            #expect(entries.last?[text: "kind"] == "operation" && entries.last?[text: "outcome"] == "refused")
            // The model entry names what was verified before the refusal, not the refused file.
            let model = try #require(entries.first { $0[text: "kind"] == "model" })
            #expect((model["digests"] as? [String: String])?["pytorch_model.bin"] == nil)
        }
    }

    @Test func lockThenALockedPullRecordTheLockAndItsModels() throws {
        try ProjectSandbox.with { project throws in
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n").utf8))
            let locked = try project.run("lock")
            #expect(locked.status == 0, "\(locked.stderr)")
            let lockDigest = "sha256:" + sha256Hex(try Data(contentsOf: project.lockfile))
            var entries = try auditEntries(in: project.env.sandbox.store)
            Self.expectStamped(entries, command: "lock")
            let model = try #require(entries.first { $0[text: "kind"] == "model" })
            #expect(model[text: "alias"] == "tiny" && model[text: "change"] == "added" && model[text: "commit"] == HubSandbox.commit)
            #expect((model["digests"] as? [String: String])?.count == HubSandbox.files.count)
            #expect(entries.last?[text: "lock-digest"] == lockDigest && entries.last?[text: "lockfile"] == project.lockfile.path)

            let before = entries.count
            let pulled = try project.run("pull", "--locked")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            entries = Array(try auditEntries(in: project.env.sandbox.store).dropFirst(before))
            Self.expectStamped(entries, command: "pull")
            #expect(Self.kinds(entries) == ["model", "operation"], "\(entries)")
            #expect(entries[0][text: "destination"] == project.model.path && entries[0][text: "outcome"] == "ok")
            #expect(entries[1][text: "lock-digest"] == lockDigest)
        }
    }

    @Test func aLyingMirrorIsARefusalAndAFallbackAndWithNothingElseTheOperationIsRefused() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let mirror = project.directory.appendingPathComponent("mirror")
            #expect(try project.run("mirror", mirror.path).status == 0)
            let blob = mirror.appendingPathComponent("blobs/sha256/" + sha256Hex(Data(HubSandbox.weights)))
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: blob.path)
            try Data(pseudoRandomBytes(count: HubSandbox.weights.count, seed: 5)).write(to: blob)

            let fallback = try project.runWithFreshStore("pull", "--locked", "--mirror", "file://" + mirror.path, store: "second")
            #expect(fallback.status == 0, "\(fallback.stderr)")
            var entries = try auditEntries(in: project.directory.appendingPathComponent("second"))
            let refusal = try #require(entries.first { $0[text: "kind"] == "refusal" })
            #expect(refusal[text: "path"] == "model.safetensors" && refusal[text: "source"]?.hasPrefix("file://") == true)
            #expect((refusal["reasons"] as? [String])?.first?.isEmpty == false)
            let fell = try #require(entries.first { $0[text: "kind"] == "fallback" })
            #expect(fell[text: "path"] == "model.safetensors" && fell["refused"] as? Bool == true)
            #expect(entries.last?[text: "outcome"] == "ok")

            let stuck = try project.runWithFreshStore("pull", "--frozen", "--mirror", "file://" + mirror.path, store: "third")
            #expect(stuck.status == 1)
            entries = try auditEntries(in: project.directory.appendingPathComponent("third"))
            #expect(entries.contains { $0[text: "kind"] == "refusal" })
            #expect(entries.last?[text: "kind"] == "operation" && entries.last?[text: "outcome"] == "refused")
            #expect((entries.last?["reasons"] as? [String])?.contains { $0.contains("not in the store") } == true, "\(entries)")
        }
    }

    @Test func verifyRecordsEachModelAndWhatItFoundWrong() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let count = try auditEntries(in: project.env.sandbox.store).count
            #expect(try project.run("verify").status == 0)
            var entries = Array(try auditEntries(in: project.env.sandbox.store).dropFirst(count))
            Self.expectStamped(entries, command: "verify")
            #expect(Self.kinds(entries) == ["model", "operation"] && entries.allSatisfy { $0[text: "outcome"] == "ok" }, "\(entries)")

            let config = project.model.appendingPathComponent("config.json")
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config.path)
            try Data("{}".utf8).write(to: config)
            #expect(try project.run("verify").status == 1)
            entries = Array(try auditEntries(in: project.env.sandbox.store).dropFirst(count + 2))
            #expect(entries.map { $0[text: "outcome"] } == ["refused", "refused"], "\(entries)")
            #expect((entries[1]["reasons"] as? [String])?.first?.contains("config.json") == true)
        }
    }

    @Test func anHFCacheExportAndImportRecordTheSnapshotsTheyWrote() throws {
        try HubSandbox.with { env throws in
            #expect(try env.pull("acme/tiny-model").status == 0)
            let cache = env.directory.appendingPathComponent("hf-cache")
            let exported = try env.sandbox.run("export", "--hf-cache", "acme/tiny-model", "--cache-dir", cache.path)
            #expect(exported.status == 0, "\(exported.stderr)")
            var entries = try auditEntries(in: env.sandbox.store).filter { $0[text: "command"] == "export" }
            #expect(Self.kinds(entries) == ["model", "operation"], "\(entries)")
            #expect(entries[0][text: "commit"] == HubSandbox.commit && entries[0][text: "destination"]?.hasPrefix(cache.path) == true)
            #expect((entries[0]["digests"] as? [String: String])?.count == HubSandbox.files.count)

            var fresh = env.sandbox.modelpin
            let other = env.directory.appendingPathComponent("other-store")
            fresh.environment["MODELPIN_HOME"] = other.path
            let imported = try fresh.run(["import", "--hf-cache", "--cache-dir", cache.path])
            #expect(imported.status == 0, "\(imported.stderr)")
            entries = try auditEntries(in: other)
            Self.expectStamped(entries, command: "import")
            let model = try #require(entries.first { $0[text: "kind"] == "model" })
            #expect(model[text: "repo"] == "acme/tiny-model" && model[text: "outcome"] == "ok")
            #expect((model["digests"] as? [String: String])?["model.safetensors"] == "sha256:" + sha256Hex(Data(HubSandbox.weights)))
            #expect(entries.last?[text: "cache"] == cache.path)
        }
    }

    @Test func aSignatureCheckRecordsWhoVouched() throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.addedSigned(publisher, by: publisher.alice) { project throws in
                let entries = try auditEntries(in: project.env.sandbox.store)
                #expect(entries.contains { $0[text: "command"] == "keys import" && $0[text: "kind"] == "operation" })
                let signature = try #require(entries.first { $0[text: "kind"] == "signature" })
                #expect(signature[text: "signer"] == publisher.alice.fingerprint && signature[text: "alias"] == "tiny")
                #expect(signature[text: "command"] == "add")
                let decision = try #require(entries.first { $0[text: "kind"] == "decision" && $0[text: "gate"] == "signature" })
                #expect(decision[text: "outcome"] == "allowed")
            }
        }
    }

    @Test func theLogCanBeTurnedOffOnlyLoudly() throws {
        try HubSandbox.with { env throws in
            let pulled = try env.pull("acme/tiny-model", environment: ["MODELPIN_AUDIT": "off"])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(pulled.stderr.contains("MODELPIN_AUDIT=off"))
            #expect(try auditEntries(in: env.sandbox.store).isEmpty)
            let typo = try env.pull("acme/tiny-model", environment: ["MODELPIN_AUDIT": "no"])
            #expect(typo.status == 64 && typo.stderr.contains("MODELPIN_AUDIT"), "\(typo.stderr)")
            let flag = try env.pull("acme/tiny-model", "--audit-checkpoint", "cp", environment: ["MODELPIN_AUDIT": "off"])
            #expect(flag.status == 64 && flag.stderr.contains("--audit-checkpoint"), "\(flag.stderr)")
        }
    }

    @Test func aStoreThatCannotTakeTheLogStopsThePullBeforeAnyFetch() throws {
        try HubSandbox.with { env throws in
            // A file where the log's directory belongs: nothing can be appended.
            try FileManager.default.createDirectory(at: env.sandbox.store, withIntermediateDirectories: true)
            try writeFile(env.sandbox.store.appendingPathComponent("audit"), Array("not a directory".utf8))
            let pulled = try env.pull("acme/tiny-model")
            #expect(pulled.status == 2, "\(pulled.stderr)")
            #expect(pulled.stderr.contains("audit"), "\(pulled.stderr)")
            #expect(env.cdnRequests.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: env.model.path))
        }
    }

    @Test func sixProcessesPullingAtOnceLeaveAnExactVerifiableLog() throws {
        try HubSandbox.with { env throws in
            let count = 6
            let outcomes = Mutex<[Int32]>([])
            DispatchQueue.concurrentPerform(iterations: count) { index in
                let status = (try? env.pull("acme/tiny-model", "--to", "m\(index)"))?.status ?? -1
                outcomes.withLock { $0.append(status) }
            }
            #expect(outcomes.withLock { $0 } == Array(repeating: 0, count: count))
            let entries = try auditEntries(in: env.sandbox.store)
            // One append per operation: each process's three entries lie together.
            #expect(Self.kinds(entries) == Array(repeating: ["decision", "model", "operation"], count: count).flatMap { $0 }, "\(Self.kinds(entries))")
            let destinations = Set(entries.compactMap { $0[text: "destination"] })
            #expect(destinations == Set((0..<count).map { env.directory.appendingPathComponent("m\($0)").path }))
            let verified = try env.sandbox.run("audit", "verify", "--json")
            #expect(verified.status == 0, "\(verified.stderr)")
            let result = try #require(try json(verified.stdout) as? [String: Any])
            #expect(result["entries"] as? Int == 3 * count && result["checkpointSize"] as? Int == 3 * count, "\(result)")
        }
    }

    @Test func aCheckpointTheProjectKeepsProvesTheLogOnlyGrewUntilItsHistoryIsRewritten() throws {
        try ProjectSandbox.with { project throws in
            try writeFile(project.manifest, Array(("audit-checkpoint = \"audit/modelpin.checkpoint\"\n" + (try project.manifestText())
                + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n").utf8))
            #expect(try project.run("lock").status == 0)
            let kept = project.directory.appendingPathComponent("audit/modelpin.checkpoint")
            let store = project.env.sandbox.store
            let log = try auditLog(in: store)
            let text = try String(contentsOf: kept, encoding: .utf8)
            // The checkpoint written after lock's append: the log's own, signed by its key.
            let checkpoint = try Checkpoint(parsing: text, verifier: log.verifier)
            #expect(checkpoint.size == (try auditEntries(in: store)).count)
            #expect(try log.latestCheckpoint() == checkpoint)

            // --audit-checkpoint wins over the manifest's, and the log grew append-only since.
            let flag = project.directory.appendingPathComponent("later.checkpoint")
            #expect(try project.run("pull", "--locked", "--audit-checkpoint", "later.checkpoint").status == 0)
            let later = try Checkpoint(parsing: try String(contentsOf: flag, encoding: .utf8), verifier: log.verifier)
            #expect(later.size > checkpoint.size)
            #expect(try String(contentsOf: kept, encoding: .utf8) == text)
            let grown = try project.run("audit", "consistency", kept.path)
            #expect(grown.status == 0, "\(grown.stderr)")

            // Rewritten: the log started over with the same key and origin, then a new history
            // at least as long. The kept checkpoint no longer agrees with it.
            for name in ["entries.jsonl", "offsets", "hashes", "checkpoint"] {
                try? FileManager.default.removeItem(at: store.appendingPathComponent("audit/" + name))
            }
            for _ in 0..<3 { #expect(try project.run("verify").status == 0) }
            #expect(try auditLog(in: store).size() >= checkpoint.size)
            let caught = try project.run("audit", "consistency", kept.path)
            #expect(caught.status == 1, "\(caught.stdout) \(caught.stderr)")
            #expect(caught.stderr.contains("rewritten") || caught.stderr.contains("changed"), "\(caught.stderr)")
        }
    }

    @Test func aManifestCheckpointBehindASymbolicLinkIsRefusedAfterTheEntriesAreIn() throws {
        try ProjectSandbox.with { project throws in
            let outside = project.directory.appendingPathComponent("elsewhere")
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                at: project.directory.appendingPathComponent("anchors"), withDestinationURL: outside)
            let base = try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n"
            try writeFile(project.manifest, Array(("audit-checkpoint = \"anchors/modelpin.checkpoint\"\n" + base).utf8))
            let locked = try project.run("lock")
            #expect(locked.status == 2, "\(locked.stderr)")
            #expect(locked.stderr.contains("cannot write the audit checkpoint") && locked.stderr.contains("symbolic link"), "\(locked.stderr)")
            #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("modelpin.checkpoint").path))
            #expect(try auditEntries(in: project.env.sandbox.store).last?[text: "outcome"] == "ok")

            try writeFile(project.manifest, Array(("audit-checkpoint = \"../x\"\n" + base).utf8))
            let bad = try project.run("lock")
            #expect(bad.status == 2 && bad.stderr.contains("field `audit-checkpoint`") && bad.stderr.contains("`..`"), "\(bad.stderr)")
        }
    }

    @Test func aMirrorAndASignatureOfTheLockAreOnRecord() throws {
        try Publisher.with { publisher throws in
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                let lockDigest = "sha256:" + sha256Hex(try Data(contentsOf: project.lockfile))
                let mirror = project.directory.appendingPathComponent("mirror")
                #expect(try project.run("mirror", mirror.path).status == 0)
                let signed = try project.run("sign", "--key", publisher.alice.fingerprint, "--gnupg-home", publisher.gpg.home)
                #expect(signed.status == 0, "\(signed.stderr)")

                let entries = try auditEntries(in: project.env.sandbox.store)
                let mirrored = entries.filter { $0[text: "command"] == "mirror" }
                #expect(Self.kinds(mirrored) == ["model", "operation"], "\(mirrored)")
                #expect(mirrored[0][text: "commit"] == HubSandbox.commit && (mirrored[0]["digests"] as? [String: String])?.count == HubSandbox.files.count)
                #expect(mirrored[1][text: "directory"] == mirror.path && mirrored[1][text: "lock-digest"] == lockDigest)
                let signing = try #require(entries.last)
                #expect(signing[text: "command"] == "sign" && signing[text: "kind"] == "operation" && signing[text: "outcome"] == "ok")
                #expect(signing[text: "key"] == publisher.alice.fingerprint && signing[text: "lock-digest"] == lockDigest)
                #expect(signing[text: "signature"] == project.lockfile.path + ".asc")
            }
        }
    }
}
