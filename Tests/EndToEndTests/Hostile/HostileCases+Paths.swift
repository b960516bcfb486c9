import Foundation
import PinTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Paths from outside — a listing, a lock, a manifest, the model directory itself — resolved
// against their root: no VCS directory, no `..`, no symbolic link, nothing deleted that
// modelpin did not put there.
extension HostileCases {
    static let paths: [HostileCase] = [
        HostileCase(2, "a listing carrying .git/config (core.fsmonitor) is refused before any download") {
            try refusesListing([".git/config"], reason: "version-control or tool directory (`.git`)")
        },
        HostileCase(2, "a listing spelling .git as NTFS or HFS+ would open it is refused") {
            try refusesListing([".GIT./config", "git~1/config", ".g\u{200C}it/config", "sub/.hg/hgrc"], reason: "version-control or tool directory")
        },
        HostileCase(2, "a lock naming .git/config is refused before anything is written") {
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                try rmrf(project.model)
                try writeFile(project.lockfile, Array(try project.lockText().replacingOccurrences(of: #"path = "config.json""#, with: #"path = ".git/config""#).utf8))
                let outcome = try project.run("pull", "--locked")
                #expect(outcome.status == 2, "\(outcome.stderr)")
                #expect(outcome.stderr.contains("modelpin.lock"))
                #expect(outcome.stderr.contains("version-control or tool directory (`.git`)"))
                #expect(!exists(project.model.appendingPathComponent(".git")))
            }
        },
        HostileCase(5, "a forged snapshot record with ../ entries deletes nothing outside the directory") {
            try HubSandbox.with { env throws in
                #expect(try env.pull("acme/tiny-model").status == 0)
                let victim = env.directory.appendingPathComponent("victim")
                try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
                try writeFile(victim.appendingPathComponent("precious.txt"), Array("keep me".utf8))
                // The record claims the victim (inode, time and size are anyone's to read).
                try forgeRecord(in: env.model) { files in
                    files["../../../victim"] = try placed(victim, sha256: files["config.json"]!["sha256"]!)
                }
                #expect(try env.pull("acme/tiny-model").status == 0)
                #expect(try Data(contentsOf: victim.appendingPathComponent("precious.txt")) == Data("keep me".utf8))
            }
        },
        HostileCase(5, "a forged snapshot record cannot delete a file whose bytes it does not hold") {
            try HubSandbox.with { env throws in
                #expect(try env.pull("acme/tiny-model").status == 0)
                let notes = env.model.appendingPathComponent("notes.txt")
                try writeFile(notes, Array("the user's own notes".utf8))
                try forgeRecord(in: env.model) { files in
                    files["notes.txt"] = try placed(notes, sha256: files["config.json"]!["sha256"]!)
                }
                #expect(try env.pull("acme/tiny-model").status == 0)
                #expect(try Data(contentsOf: notes) == Data("the user's own notes".utf8))
            }
        },
        HostileCase(5, "a forged snapshot record cannot reach through a symlinked subdirectory") {
            try HubSandbox.with { env throws in
                #expect(try env.pull("acme/tiny-model").status == 0)
                let outside = env.directory.appendingPathComponent("outside")
                let data = outside.appendingPathComponent("data.bin")
                try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
                try writeFile(data, HubSandbox.config)
                try FileManager.default.createSymbolicLink(at: env.model.appendingPathComponent("sub"), withDestinationURL: outside)
                // Even with the right digest: the path goes through a link.
                try forgeRecord(in: env.model) { files in
                    files["sub/data.bin"] = try placed(data, sha256: files["config.json"]!["sha256"]!)
                }
                #expect(try env.pull("acme/tiny-model").status == 0)
                #expect(exists(data))
            }
        },
        HostileCase(5, "a .modelpin link planted in the directory is not written or read through") {
            try HubSandbox.with { env throws in
                #expect(try env.pull("acme/tiny-model").status == 0)
                let outside = env.directory.appendingPathComponent("outside")
                try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
                try rmrf(env.model.appendingPathComponent(".modelpin"))
                try FileManager.default.createSymbolicLink(at: env.model.appendingPathComponent(".modelpin"), withDestinationURL: outside)
                let outcome = try env.pull("acme/tiny-model")
                #expect(outcome.status == 1, "\(outcome.stderr)")
                #expect(outcome.stderr.contains(".modelpin` is a symbolic link"))
                #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
            }
        },
        HostileCase(5, "a forged record that matches a tampered file does not keep it") {
            try HubSandbox.with { env throws in
                #expect(try env.pull("acme/tiny-model").status == 0)
                let weights = env.model.appendingPathComponent("model.safetensors")
                try overwriteInPlace(weights)
                // The forger rewrites the directory's record to describe their bytes exactly.
                try forgeRecord(in: env.model) { files in
                    files["model.safetensors"] = try placed(weights, sha256: files["model.safetensors"]!["sha256"]!)
                }
                let outcome = try env.pull("acme/tiny-model")
                #expect(outcome.status == 0, "\(outcome.stderr)")
                #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights), "the tampered bytes were kept")
            }
        },
        HostileCase(5, "a file rewritten in place with its old size and mtime is not kept") {
            try HubSandbox.with { env throws in
                #expect(try env.pull("acme/tiny-model").status == 0)
                let weights = env.model.appendingPathComponent("weights/extra.bin")
                try overwriteInPlace(weights)  // the record is untouched: inode, size and mtime still match it
                let outcome = try env.pull("acme/tiny-model")
                #expect(outcome.status == 0, "\(outcome.stderr)")
                #expect(try env.contents("weights/extra.bin") == Data(HubSandbox.extra), "the tampered bytes were kept")
            }
        },
        HostileCase(5, "a file whose identity moved but whose bytes are right is kept, not copied again") {
            try HubSandbox.with { env throws in
                #expect(try env.pull("acme/tiny-model").status == 0)
                let weights = env.model.appendingPathComponent("model.safetensors")
                let before = try inode(weights)
                // A forged record that no longer matches, and a touched file: both are hashed.
                try forgeRecord(in: env.model) { files in files["model.safetensors"]!["inode"] = 1 }
                #expect(utimensat(AT_FDCWD, weights.path, nil, 0) == 0)
                #expect(try env.pull("acme/tiny-model").status == 0)
                #expect(try inode(weights) == before, "a verified file was replaced")
                #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights))
            }
        },
        HostileCase(6, "a symbolic link committed on a model's `to` path is refused; nothing is written through it") {
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model", "--to", "weights/tiny").status == 0)
                let outside = project.directory.appendingPathComponent("outside")
                try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
                try rmrf(project.directory.appendingPathComponent("weights"))
                try FileManager.default.createSymbolicLink(at: project.directory.appendingPathComponent("weights"), withDestinationURL: outside)
                let outcome = try project.run("pull", "--locked")
                #expect(outcome.status == 1, "\(outcome.stderr)")
                #expect(outcome.stderr.contains("is a symbolic link"))
                #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
            }
        },
        HostileCase(6, "a committed `models` symbolic link under the default directory is refused") {
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                let outside = project.directory.appendingPathComponent("outside")
                try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
                try rmrf(project.directory.appendingPathComponent("models"))
                try FileManager.default.createSymbolicLink(at: project.directory.appendingPathComponent("models"), withDestinationURL: outside)
                let outcome = try project.run("pull", "--locked")
                #expect(outcome.status == 1, "\(outcome.stderr)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
            }
        },
        HostileCase(6, "verify does not vouch for files reached through a committed `models` link") {
            try ProjectSandbox.with { project throws in
                #expect(try project.run("add", "acme/tiny-model").status == 0)
                // The real files move elsewhere; the repo now carries a link to them.
                let outside = project.directory.appendingPathComponent("outside")
                try FileManager.default.moveItem(at: project.directory.appendingPathComponent("models"), to: outside)
                try FileManager.default.createSymbolicLink(at: project.directory.appendingPathComponent("models"), withDestinationURL: outside)
                let outcome = try project.run("verify")
                #expect(outcome.status == 1, "\(outcome.stdout)\(outcome.stderr)")
                #expect(outcome.stdout.contains("models` is a symbolic link"))
            }
        },
        HostileCase(6, "to = \".git\" is refused; no model file lands in .git/") {
            try ProjectSandbox.with { project throws in
                let added = try project.run("add", "acme/tiny-model", "--to", ".git")
                #expect(added.status == 2, "\(added.stderr)")
                #expect(added.stderr.contains("version-control or tool directory (`.git`)"))
                try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\nto = \".git/objects\"\n").utf8))
                let pulled = try project.run("pull")
                #expect(pulled.status == 2, "\(pulled.stderr)")
                #expect(pulled.stderr.contains("models.tiny.to"))
                #expect(!exists(project.directory.appendingPathComponent(".git")))
            }
        },
        HostileCase(10, "temp files a killed pull left in the directory are removed by the next pull") {
            try HubSandbox.with { env throws in
                env.hub.configure { $0.stallAfter = 1000 }
                let modelpin = env.sandbox.modelpin
                let running = try modelpin.start(["pull", "acme/tiny-model", "--endpoint", env.hub.endpoint, "--stall-timeout", "60"])
                let deadline = Date().addingTimeInterval(20)
                while temporaries(in: env.model).count + temporaries(in: env.model.appendingPathComponent("weights")).count < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
                Thread.sleep(forTimeInterval: 0.3)
                running.kill(signal: SIGKILL)
                #expect(running.wait().signaled)
                #expect(!temporaries(in: env.model).isEmpty, "the killed pull left no temp file to clean up")
                #expect(!temporaries(in: env.model.appendingPathComponent("weights")).isEmpty)
                // Near-misses stay: a link named like a temp file, a user's file named alike.
                let victim = env.directory.appendingPathComponent("victim.txt")
                try writeFile(victim, Array("keep".utf8))
                try FileManager.default.createSymbolicLink(
                    at: env.model.appendingPathComponent(".evil.modelpin-0123456789abcdef"), withDestinationURL: victim)
                try writeFile(env.model.appendingPathComponent(".notes.modelpin-draft"), Array("mine".utf8))

                env.hub.configure { $0.stallAfter = nil }
                let again = try env.pull("acme/tiny-model")
                #expect(again.status == 0, "\(again.stderr)")
                #expect(temporaries(in: env.model) == [".evil.modelpin-0123456789abcdef", ".notes.modelpin-draft"])
                #expect(temporaries(in: env.model.appendingPathComponent("weights")).isEmpty)
                #expect(try Data(contentsOf: victim) == Data("keep".utf8))
                #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights))
            }
        },
        HostileCase(10, "temp files an earlier release's killed pull left (.NAME.modelpin-<decimal>) are removed; links stay") {
            try HubSandbox.with { env throws in
                #expect(try env.pull("acme/tiny-model").status == 0)
                // What `prepareCopy` named its temp files before the DirectoryRoot rewrite.
                try writeFile(env.model.appendingPathComponent(".model.safetensors.modelpin-\(UInt64.max)"), Array("partial".utf8))
                try writeFile(env.model.appendingPathComponent("weights/.extra.bin.modelpin-42"), Array("partial".utf8))
                let victim = env.directory.appendingPathComponent("victim.txt")
                try writeFile(victim, Array("keep".utf8))
                try FileManager.default.createSymbolicLink(at: env.model.appendingPathComponent(".config.json.modelpin-7"), withDestinationURL: victim)
                try writeFile(env.model.appendingPathComponent(".notes.modelpin-18446744073709551616"), Array("mine".utf8))

                let again = try env.pull("acme/tiny-model")
                #expect(again.status == 0, "\(again.stderr)")
                #expect(temporaries(in: env.model) == [".config.json.modelpin-7", ".notes.modelpin-18446744073709551616"])
                #expect(temporaries(in: env.model.appendingPathComponent("weights")).isEmpty)
                #expect(try Data(contentsOf: victim) == Data("keep".utf8))
            }
        },
    ]

    /// A listing with `paths` added to the model's files: the pull is refused with `reason`,
    /// before any download, and nothing is written.
    private static func refusesListing(_ paths: [String], reason: String) throws {
        // Distinct bytes per path: identical blobs in one pull are another review item (#3).
        let files = HubSandbox.files + paths.map { FakeHub.File($0, Array("[core]\n\tfsmonitor = \"touch /tmp/pwned-\($0.utf8.count)\"\n# \($0)\n".utf8)) }
        try HubSandbox.with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)]) { env throws in
            let outcome = try env.pull("acme/tiny-model")
            #expect(outcome.status == 1, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("cannot be written safely"))
            #expect(outcome.stderr.contains(reason))
            #expect(!env.hub.log.contains { $0.target.contains("/resolve/") })
            #expect(!exists(env.model))
        }
    }

    /// Rewrites `DIR/.modelpin/snapshot.json` as someone who can write the directory would.
    private static func forgeRecord(in model: URL, _ change: (inout [String: [String: Any]]) throws -> Void) throws {
        let url = model.appendingPathComponent(".modelpin/snapshot.json")
        var record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var files = try #require(record["files"] as? [String: [String: Any]])
        try change(&files)
        record["files"] = files
        try JSONSerialization.data(withJSONObject: record).write(to: url)
    }

    /// A record entry that matches `url` as lstat sees it: what a forger can read.
    private static func placed(_ url: URL, sha256: Any) throws -> [String: Any] {
        var status = stat()
        guard lstat(url.path, &status) == 0 else { throw CocoaError(.fileReadNoSuchFile) }
        return [
            "sha256": sha256, "size": Int64(status.st_size), "inode": UInt64(status.st_ino), "mode": "copy",
            "modified": Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec),
        ]
    }

    /// New bytes of the same size written into the file itself (same inode), its modification
    /// time then set back: what a local user who can write the file can do without root.
    private static func overwriteInPlace(_ url: URL) throws {
        var status = stat()
        guard lstat(url.path, &status) == 0 else { throw CocoaError(.fileReadNoSuchFile) }
        let handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: Data(repeating: 0x41, count: Int(status.st_size)))
        try handle.close()
        var times = [status.st_atim, status.st_mtim]
        guard utimensat(AT_FDCWD, url.path, &times, 0) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var after = stat()
        _ = lstat(url.path, &after)
        #expect(after.st_ino == status.st_ino && after.st_mtim.tv_nsec == status.st_mtim.tv_nsec)
    }

    private static func inode(_ url: URL) throws -> UInt64 {
        var status = stat()
        guard lstat(url.path, &status) == 0 else { throw CocoaError(.fileReadNoSuchFile) }
        return UInt64(status.st_ino)
    }

    /// Names in `directory` that contain `.modelpin-`, sorted.
    private static func temporaries(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.contains(".modelpin-") }.sorted()
    }

    private static func exists(_ url: URL) -> Bool {
        var status = stat()
        return lstat(url.path, &status) == 0
    }

    private static func rmrf(_ url: URL) throws {
        if exists(url) { try FileManager.default.removeItem(at: url) }
    }
}
