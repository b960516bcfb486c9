import Foundation
import PinTestSupport
import Testing

@Suite("projects: a lock with merge-conflict markers, and lock --check's own contract")
struct LockConflictTests {
    static let repos = [
        FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: HubSandbox.files),
        FakeHub.Repo(id: "acme/other-model", commit: HubSandbox.commit, files: HubSandbox.files),
    ]
    static let moved = String(repeating: "9f", count: 20)
    static let theirs = String(repeating: "5d", count: 20)

    /// `text` with the commit of the model `alias` in conflict: the locked commit on our side,
    /// `theirs` on theirs, as a merge of two branches that relocked differently leaves it.
    static func conflicted(_ text: String, alias: String) throws -> String {
        let start = try #require(text.range(of: "alias = \"\(alias)\""))
        let line = "commit = \"\(HubSandbox.commit)\""
        let commit = try #require(text.range(of: line, range: start.upperBound..<text.endIndex))
        return text.replacingCharacters(in: commit, with: "<<<<<<< HEAD\n\(line)\n=======\ncommit = \"\(theirs)\"\n>>>>>>> relock-other\n")
    }

    @Test func lockRecoversKeepingWhatBothSidesAgreeOnAndLockedPullsRefuse() throws {
        try ProjectSandbox.with(repos: Self.repos) { project throws in
            #expect(try project.run("add", "acme/tiny-model", "--as", "tiny").status == 0)
            #expect(try project.run("add", "acme/other-model", "--as", "other").status == 0)
            let text = try Self.conflicted(try project.lockText(), alias: "other")
            try writeFile(project.lockfile, Array(text.utf8))
            let markerLine = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("<<<<<<<") }! + 1
            // Both branches move on: only a model the conflict leaves open may follow.
            try project.env.hub.update { repos in
                for index in repos.indices {
                    repos[index].commits[Self.moved] = [FakeHub.File("config.json", HubSandbox.config)]
                    repos[index].refs["main"] = Self.moved
                }
            }

            for arguments in [["pull", "--locked"], ["pull", "--frozen"], ["verify"]] {
                let refused = try project.env.sandbox.modelpin.run(arguments)
                #expect(refused.status != 0, "\(arguments)")
                #expect(refused.stderr.contains("merge-conflict markers"), "\(arguments): \(refused.stderr)")
                #expect(!refused.stderr.contains("not valid TOML"), "\(arguments): \(refused.stderr)")
                #expect(refused.stderr.contains("hint: run `modelpin lock`"), "\(arguments): \(refused.stderr)")
            }
            let locked = try project.run("pull", "--locked")
            #expect(locked.status == 1)
            #expect(locked.stderr.contains("(line \(markerLine))"), "\(locked.stderr)")
            #expect(locked.stderr.contains("its two sides lock differently: other"), "\(locked.stderr)")
            let check = try project.run("lock", "--check")
            #expect(check.status == 1)
            #expect(check.stderr.contains("has unresolved merge-conflict markers (line \(markerLine)), so it does not answer"), "\(check.stderr)")
            #expect(try project.lockText() == text, "refusals write nothing")

            let relocked = try project.run("lock")
            #expect(relocked.status == 0, "\(relocked.stderr)")
            #expect(relocked.stderr.contains("resolved the merge conflict in modelpin.lock: kept 1 model both sides lock alike; locking again: other"), "\(relocked.stderr)")
            let clean = try project.lockText()
            #expect(!clean.contains("<<<<<<<") && !clean.contains("=======") && !clean.contains(">>>>>>>"))
            let commits = clean.split(separator: "\n").filter { $0.hasPrefix("commit = ") }
            // `other` (first in alias order) is resolved again and follows its branch; `tiny`,
            // on which both sides agreed, keeps its commit.
            #expect(commits == ["commit = \"\(Self.moved)\"", "commit = \"\(HubSandbox.commit)\""])
            #expect(try project.run("lock", "--check").status == 0)
        }
    }

    @Test func checkHasItsOwnWordsAndAJSONResult() throws {
        try ProjectSandbox.with { project throws in
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n").utf8))
            let missing = try project.run("lock", "--check")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("modelpin.lock` does not exist"), "\(missing.stderr)")
            #expect(!missing.stderr.contains("--locked"), "\(missing.stderr)")

            let missingJSON = try project.run("lock", "--check", "--json")
            #expect(missingJSON.status == 1)
            let missingResult = try #require(try JSONSerialization.jsonObject(with: Data(missingJSON.stdout.utf8)) as? [String: Any])
            #expect(missingResult["answers"] as? Bool == false)
            #expect(missingResult["missing"] as? Bool == true)

            #expect(try project.run("lock").status == 0)
            let answers = try project.run("lock", "--check", "--json")
            #expect(answers.status == 0, "\(answers.stderr)")
            let result = try #require(try JSONSerialization.jsonObject(with: Data(answers.stdout.utf8)) as? [String: Any])
            #expect(result["answers"] as? Bool == true)
            #expect(result["lockfile"] as? String == project.lockfile.path)

            try writeFile(project.manifest, Array(try project.manifestText().replacingOccurrences(of: "repo = \"acme/tiny-model\"\n", with: "repo = \"acme/tiny-model\"\nrevision = \"v2\"\n").utf8))
            let stale = try project.run("lock", "--check", "--json")
            #expect(stale.status == 1)
            #expect(stale.stderr.contains("modelpin.lock` does not answer `modelpin.toml`"), "\(stale.stderr)")
            let staleResult = try #require(try JSONSerialization.jsonObject(with: Data(stale.stdout.utf8)) as? [String: Any])
            #expect(staleResult["answers"] as? Bool == false)
            #expect((staleResult["drift"] as? [String])?.count == 1)
        }
    }
}

@Suite("small contracts: relative and offline mirrors, `dir/` patterns, verify -q, list columns")
struct SmallContractTests {
    @Test func aRelativeMirrorDirectoryServesAPull() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            #expect(try project.run("mirror", "usb").status == 0)
            try FileManager.default.removeItem(at: project.model)
            project.env.hub.clearLog()
            let pulled = try project.runWithFreshStore("pull", "--frozen", "--mirror", "usb")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(project.env.hub.log.isEmpty)
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
        }
    }

    @Test(arguments: [["--frozen"], ["--offline"], ["--locked", "--offline"]])
    func anHTTPMirrorUnderOfflineIsAUsageErrorAndNothingIsFetched(_ flags: [String]) throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            project.env.hub.clearLog()
            // The Hub itself as the "mirror": any request would show in its log.
            var modelpin = project.env.sandbox.modelpin
            modelpin.environment["MODELPIN_HOME"] = project.directory.appendingPathComponent("fresh-store").path
            let refused = try modelpin.run(["pull"] + flags + ["--mirror", project.env.hub.endpoint])
            #expect(refused.status == 64, "\(refused.stderr)")
            #expect(refused.stderr.contains("needs the network, but --offline (or --frozen) was given"), "\(refused.stderr)")
            #expect(project.env.hub.log.isEmpty)
        }
    }

    /// (pattern flag, pattern, what is laid out): a pattern ending in `/` is everything below
    /// that directory, as `hf download` reads it.
    @Test(arguments: [
        ("--include", "tokenizer/", [".modelpin", "tokenizer"]),
        ("--exclude", "weights/", [".modelpin", "config.json", "model.safetensors", "tokenizer"]),
    ])
    func aPatternEndingInASlashIsTheWholeDirectory(_ flag: String, _ pattern: String, _ expected: [String]) throws {
        try HubSandbox.with { env throws in
            let outcome = try env.pull("acme/tiny-model", flag, pattern, "--to", "out")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(env.sandbox.names(env.directory.appendingPathComponent("out")) == expected)
        }
    }

    @Test func verifyQuietPrintsOnlyProblems() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let clean = try project.run("verify", "-q")
            #expect(clean.status == 0, "\(clean.stderr)")
            #expect(clean.stdout.isEmpty && clean.stderr.isEmpty, "\(clean.stdout)\(clean.stderr)")

            let file = project.model.appendingPathComponent("config.json")
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
            try Data("{}".utf8).write(to: file)
            let broken = try project.run("verify", "--quiet")
            #expect(broken.status == 1)
            #expect(broken.stdout.contains("config.json"), "\(broken.stdout)")
            #expect(!broken.stderr.contains("checked"), "\(broken.stderr)")
        }
    }

    @Test func listAlignsItsColumns() throws {
        let repos = [
            FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: HubSandbox.files),
            FakeHub.Repo(id: "acme/other-model", commit: HubSandbox.commit, files: Array(HubSandbox.files.prefix(1))),
        ]
        try ProjectSandbox.with(repos: repos) { project throws in
            #expect(try project.run("add", "acme/tiny-model", "--as", "t").status == 0)
            #expect(try project.run("add", "acme/other-model", "--as", "a-longer-alias").status == 0)
            let list = try project.run("list")
            #expect(list.status == 0, "\(list.stderr)")
            let lines = list.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            for column in ["acme/", "→ "] {
                let offsets = lines.compactMap { line in line.range(of: column).map { $0.lowerBound.utf16Offset(in: line) } }
                #expect(offsets.count == 2 && offsets[0] == offsets[1], "`\(column)` starts at \(offsets) in\n\(list.stdout)")
            }
        }
    }
}
