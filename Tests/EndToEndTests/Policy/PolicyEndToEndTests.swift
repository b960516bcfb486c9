import Foundation
import PinTestSupport
import Testing

/// The admission policy through the real binary against the fake Hub: a pickle-weights repo
/// blocked, a missing licence logged, a cooldown applied, the lock's record of it, and the
/// `policy check` / `policy test` commands.
@Suite("admission policy, end to end")
struct PolicyEndToEndTests {
    static let rules = """

        [policy]
        mode = "enforce"

        [[policy.rule]]
        name = "no-pickle-weights"
        action = "block"
        formats = ["pickle", "pytorch-zip", "joblib"]

        [[policy.rule]]
        name = "licences"
        action = "log"
        license-unknown = true

        [[policy.rule]]
        name = "cooldown"
        action = "block"
        younger-than-days = 7

        """

    static let card = Array("---\nlicense: mit\ntags:\n- tiny\n---\n# Tiny model\n".utf8)

    static func iso(daysAgo: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date().addingTimeInterval(-daysAgo * 86_400))
    }

    /// `acme/tiny-model` with `files`, committed `daysAgo` days ago.
    static func repo(_ files: [FakeHub.File], daysAgo: Double = 30) -> FakeHub.Repo {
        var repo = FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: files)
        repo.lastModified[HubSandbox.commit] = iso(daysAgo: daysAgo)
        return repo
    }

    static let safetensors = [FakeHub.File("config.json", HubSandbox.config), FakeHub.File("model.safetensors", HubSandbox.weights, lfs: true)]

    @Test func aPickleWeightsRepoIsBlockedAndNeitherLockedNorLaidOut() throws {
        let pickled = Self.repo([FakeHub.File("config.json", HubSandbox.config), FakeHub.File("pytorch_model.bin", Pickles.plainData, lfs: true)] + [FakeHub.File("README.md", Self.card)])
        try ProjectSandbox.with(repos: [pickled]) { project throws in
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n" + Self.rules).utf8))
            let outcome = try project.run("pull")
            #expect(outcome.status == 1, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("the admission policy blocks `tiny`: no-pickle-weights: `pytorch_model.bin` is pickle"), "\(outcome.stderr)")
            #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))
            #expect(!FileManager.default.fileExists(atPath: project.model.appendingPathComponent("pytorch_model.bin").path))
        }
    }

    @Test func aPullByNameUnderTheSharedPolicyFileIsBlockedToo() throws {
        let pickled = Self.repo([FakeHub.File("config.json", HubSandbox.config), FakeHub.File("pytorch_model.bin", Pickles.plainData, lfs: true)])
        try HubSandbox.with(repos: [pickled]) { env throws in
            let policy = try env.sandbox.file("org-policy.toml", Array(Self.rules.utf8))
            let blocked = try env.pull("acme/tiny-model", environment: ["MODELPIN_POLICY": policy.path])
            #expect(blocked.status == 1)
            #expect(blocked.stderr.contains("the admission policy blocks `acme/tiny-model`"), "\(blocked.stderr)")
            #expect(!FileManager.default.fileExists(atPath: env.model.appendingPathComponent("pytorch_model.bin").path))
            // --policy names the same file; a malformed one is an error naming file, line and field.
            try writeFile(URL(fileURLWithPath: policy.path), Array((Self.rules + "[[policy.rule]]\nname = \"x\"\nactoin = \"log\"\n").utf8))
            let malformed = try env.pull("acme/tiny-model", "--policy", policy.path)
            #expect(malformed.status == 2)
            #expect(malformed.stderr.contains("org-policy.toml`:21:1: field `policy.rule[4].actoin`: unknown key `actoin` (did you mean `action`?)"), "\(malformed.stderr)")
        }
    }

    @Test func aMissingLicenceIsLoggedAndRecordedInTheLock() throws {
        try ProjectSandbox.with(repos: [Self.repo(Self.safetensors)]) { project throws in
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n" + Self.rules).utf8))
            let outcome = try project.run("pull")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("policy: `tiny`: licences: no licence is declared"), "\(outcome.stderr)")
            let lock = try project.lockText()
            #expect(lock.contains("version = 1\npolicy-digest = \"sha256:"))
            #expect(lock.contains("policy = \"log\"\npolicy-reasons = [\"licences: no licence is declared\"]\n"), "\(lock)")
            #expect(FileManager.default.fileExists(atPath: project.model.appendingPathComponent("model.safetensors").path))

            // policy check: the same decision, from the store, without fetching.
            let check = try project.run("policy", "check", "--json")
            #expect(check.status == 0, "\(check.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
            let models = try #require(report["models"] as? [[String: Any]])
            #expect(models.first?["decision"] as? String == "log")
            #expect(models.first?["recorded"] as? String == "log")
            #expect((models.first?["factsFromLock"] as? [String])?.isEmpty == true)
            #expect(report["policyDigest"] as? String == report["lockedDigest"] as? String)

            // A relock under the same policy changes nothing; --locked pulls.
            #expect(try project.run("pull", "--locked").status == 0)
            #expect(try project.lockText() == lock)

            // A changed policy is drift: --locked refuses, a plain pull relocks and records it.
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[[policy.rule]]\nname = \"big\"\naction = \"log\"\nsize-above = 1000\n").utf8))
            let locked = try project.run("pull", "--locked")
            #expect(locked.status == 1)
            #expect(locked.stderr.contains("policy-digest"), "\(locked.stderr)")
            let relocked = try project.run("pull")
            #expect(relocked.status == 0, "\(relocked.stderr)")
            #expect(try project.lockText().contains("\"big: its files add up to"))
        }
    }

    @Test func aCooldownRefusesAFreshCommitAndAdmitsAnOldOne() throws {
        let files = Self.safetensors + [FakeHub.File("README.md", Self.card)]
        try ProjectSandbox.with(repos: [Self.repo(files, daysAgo: 2)]) { project throws in
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n" + Self.rules).utf8))
            let fresh = try project.run("lock")
            #expect(fresh.status == 1)
            #expect(fresh.stderr.contains("cooldown: the commit is 2 days old, younger than 7"), "\(fresh.stderr)")
            #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))

            // Dry run: the block becomes a log, and the lock records it as such.
            let dry = (try project.manifestText()).replacingOccurrences(of: "mode = \"enforce\"", with: "mode = \"dry-run\"")
            try writeFile(project.manifest, Array(dry.utf8))
            let logged = try project.run("lock")
            #expect(logged.status == 0, "\(logged.stderr)")
            #expect(logged.stderr.contains("cooldown: would block (dry-run)"), "\(logged.stderr)")
            #expect(try project.lockText().contains("policy = \"log\""))
        }
        try ProjectSandbox.with(repos: [Self.repo(files, daysAgo: 30)]) { project throws in
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n" + Self.rules).utf8))
            let old = try project.run("lock")
            #expect(old.status == 0, "\(old.stderr)")
            #expect(!old.stderr.contains("policy:"), "\(old.stderr)")  // licensed (mit), old enough: allowed
            #expect(try project.lockText().contains("policy = \"allow\"\npolicy-reasons = []"))
        }
    }

    @Test func anExpiredWaiverStopsEveryCommandThatAppliesThePolicy() throws {
        try ProjectSandbox.with(repos: [Self.repo(Self.safetensors)]) { project throws in
            let waiver = "\n[[policy.waiver]]\nrule = \"licences\"\nrepos = [\"acme/*\"]\nreason = \"ticket 9\"\nexpires = 2020-01-31\n"
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n" + Self.rules + waiver).utf8))
            let outcome = try project.run("lock")
            #expect(outcome.status == 2)
            #expect(outcome.stderr.contains("the waiver of rule `licences` expired on 2020-01-31"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("ticket 9"))
        }
    }

    @Test func policyTestRunsAFixtureAgainstTheRules() throws {
        try Sandbox.with { sandbox throws in
            let policy = try sandbox.file("org.toml", Array(Self.rules.utf8))
            let fixture = """
                today = 2026-12-02

                [[model]]
                repo = "acme/pickled"
                licenses = ["mit"]
                commit-date = 2026-01-01
                expect = "block"
                [[model.file]]
                path = "pytorch_model.bin"
                format = "pickle"
                verdict = "safe"

                [[model]]
                repo = "acme/unlicensed"
                commit-date = 2026-01-01
                expect = "log"

                [[model]]
                repo = "acme/fresh"
                licenses = ["mit"]
                commit-date = 2026-11-30
                expect = "block"

                """
            let path = try sandbox.file("fixture.toml", Array(fixture.utf8))
            var modelpin = sandbox.modelpin
            modelpin.environment["MODELPIN_POLICY"] = policy.path
            let passed = try modelpin.run(["policy", "test", path.path])
            #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
            #expect(passed.stdout.contains("block  acme/pickled (expected: block)"), "\(passed.stdout)")
            #expect(passed.stdout.contains("cooldown: the commit is 2 days old, younger than 7"))

            let wrong = try sandbox.file("wrong.toml", Array(fixture.replacingOccurrences(of: "expect = \"log\"", with: "expect = \"allow\"").utf8))
            let failed = try modelpin.run(["policy", "test", wrong.path, "--json"])
            #expect(failed.status == 1)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [String: Any])
            let models = try #require(report["models"] as? [[String: Any]])
            #expect(models.map { $0["failed"] as? Bool } == [false, true, false])

            let bad = try sandbox.file("bad.toml", Array("today = \"2026-12-02\"\n".utf8))
            let malformed = try modelpin.run(["policy", "test", bad.path])
            #expect(malformed.status == 2)
            #expect(malformed.stderr.contains("bad.toml`:1:1: field `today`: must be a TOML date"), "\(malformed.stderr)")
        }
    }
}
