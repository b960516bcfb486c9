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
