import Foundation
import PinTestSupport
import Testing

/// Issue 15, items 3 and 4: the token hf saved, `--token`, gated and private repos named as
/// such; and what CI sees — exit 75 for a source that is down, `-q` printing the directory,
/// progress lines without a terminal, one error for a Hub that is down.
@Suite("Auth as the hf CLI does it, and output for CI")
struct AuthAndCIOutputTests {
    static let gatedAndPrivate = [
        FakeHub.Repo(id: "meta/gated", commit: HubSandbox.commit, files: [FakeHub.File("config.json", HubSandbox.config)], access: .gated(token: "hf_ok")),
        FakeHub.Repo(id: "acme/private", commit: HubSandbox.commit, files: [FakeHub.File("config.json", HubSandbox.config)], access: .privateRepo(token: "hf_ok")),
    ]

    /// The token `hf auth login` saved ($HF_HOME/token) is used when HF_TOKEN is unset: sent to
    /// the Hub's API, never to its CDN, and never to an endpoint only modelpin.toml names.
    @Test func theSavedTokenIsUsedAndObeysTheHostRule() throws {
        try ProjectSandbox.with(repos: privateTinyModel) { project throws in
            let hfHome = project.directory.appendingPathComponent("hf-home")
            try FileManager.default.createDirectory(at: hfHome, withIntermediateDirectories: true)
            try writeFile(hfHome.appendingPathComponent("token"), Array("hf_secret\n".utf8))
            let saved = ["HF_HOME": hfHome.path]

            let refused = try project.run("add", "acme/tiny-model", environment: saved)
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("warning: the token `hf auth login` saved in `\(hfHome.path)/token` is not sent to `\(project.env.hub.endpoint)`"), "\(refused.stderr)")
            #expect(project.env.hub.log.allSatisfy { $0.authorization == nil })
            #expect(!refused.stderr.contains("hf_secret"))

            project.env.hub.clearLog()
            let pulled = try project.env.pull("acme/tiny-model", "--to", "by-name", environment: saved)
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(project.env.hub.log.filter { $0.server == "hub" }.allSatisfy { $0.authorization == "Bearer hf_secret" })
            #expect(project.env.cdnRequests.allSatisfy { $0.authorization == nil })
            #expect(!pulled.stderr.contains("hf_secret"))
        }
    }

    /// `--token` works as hf's does, and says out loud that the command line is not secret.
    @Test func theTokenFlagWorksAndWarns() throws {
        try HubSandbox.with(repos: Self.gatedAndPrivate) { env throws in
            let pulled = try env.pull("acme/private", "--token", "hf_ok", environment: ["HF_TOKEN": "hf_wrong"])
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(pulled.stderr.contains("warning: --token puts the token on the command line, where other users of this machine can read it"))
            #expect(env.hub.log.filter { $0.server == "hub" }.allSatisfy { $0.authorization == "Bearer hf_ok" })
        }
    }

    struct Refusal: Sendable, CustomStringConvertible {
        let repo: String
        let token: String?
        let error: String
        let hint: String
        var description: String { "\(repo) with \(token ?? "no token")" }
    }

    static let refusals = [
        Refusal(repo: "meta/gated", token: nil, error: "error: `meta/gated` is gated: you need to accept its conditions at ENDPOINT/meta/gated",
                hint: "hint: request access at ENDPOINT/meta/gated, then set HF_TOKEN to a token of that account, or run `hf auth login`"),
        Refusal(repo: "meta/gated", token: "hf_other", error: "error: `meta/gated` is gated: you need to accept its conditions at ENDPOINT/meta/gated",
                hint: "hint: the token sent belongs to an account without access: request access at ENDPOINT/meta/gated"),
        Refusal(repo: "acme/private", token: nil, error: "error: `acme/private` is private or does not exist (ENDPOINT/acme/private)",
                hint: "hint: check the name; if it is private, set HF_TOKEN to a token that can read it, or run `hf auth login`"),
        Refusal(repo: "acme/private", token: "hf_other", error: "error: `acme/private` is private or does not exist (ENDPOINT/acme/private)",
                hint: "hint: check the name; if it is private, check that the token sent"),
    ]

    /// 401/403 with the Hub's X-Error-Code: named, with the repo's URL and what to do; not the
    /// JSON body; exit 2 (not the 75 of a temporary failure).
    @Test(arguments: refusals)
    func gatedAndPrivateRepositoriesAreNamed(_ test: Refusal) throws {
        try HubSandbox.with(repos: Self.gatedAndPrivate) { env throws in
            let outcome = try env.pull(test.repo, environment: test.token.map { ["HF_TOKEN": $0] } ?? [:])
            #expect(outcome.status == 2, "\(outcome.stderr)")
            #expect(outcome.stderr.contains(test.error.replacingOccurrences(of: "ENDPOINT", with: env.hub.endpoint)), "\(outcome.stderr)")
            #expect(outcome.stderr.contains(test.hint.replacingOccurrences(of: "ENDPOINT", with: env.hub.endpoint)), "\(outcome.stderr)")
            #expect(!outcome.stderr.contains(#"{"error""#), "\(outcome.stderr)")
        }
    }

    /// EX_TEMPFAIL for what a later run may fix; a missing repo stays 2.
    @Test func aHubThatIsDownExits75() throws {
        try HubSandbox.with { env throws in
            env.hub.configure {
                $0.failStatus = 503
                $0.failCount = 100
            }
            let overloaded = try env.pull("acme/tiny-model", "--retries", "2")
            #expect(overloaded.status == 75, "\(overloaded.stderr)")
            #expect(overloaded.stderr.contains("answered HTTP 503"))
            env.hub.configure { $0.failCount = 0 }
            #expect(try env.pull("acme/nope").status == 2)

            env.hub.hub.stop()
            let down = try env.pull("acme/tiny-model", "--retries", "1")
            #expect(down.status == 75, "\(down.stderr)")
            #expect(down.stderr.contains("error: cannot reach"), "\(down.stderr)")
        }
    }

    /// A locked pull from a Hub that is down: one warning and one error naming the Hub and the
    /// count, not a warning per file; exit 75.
    @Test func aLockedPullFromAHubThatIsDownSaysSoOnce() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            project.env.hub.hub.stop()
            let outcome = try project.runWithFreshStore("pull", "--locked", "--retries", "1")
            #expect(outcome.status == 75, "\(outcome.stderr)")
            let warnings = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("warning:") }
            #expect(warnings.count == 1, "\(outcome.stderr)")
            #expect(warnings.first?.contains("\(project.env.hub.endpoint): unavailable for 4 files") == true, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("error: `\(project.env.hub.endpoint)` could not be reached: 4 locked files are not in the store"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("hint: nothing is wrong with the lock: run the same command again later"))
        }
    }

    /// `-q`: the directory and nothing else on stdout, for `DIR=$(modelpin pull ORG/NAME -q)`.
    @Test func quietPrintsTheModelDirectory() throws {
        try ProjectSandbox.with { project throws in
            let byName = try project.env.pull("acme/tiny-model", "-q")
            #expect(byName.status == 0, "\(byName.stderr)")
            #expect(byName.stdout == project.model.standardizedFileURL.path + "\n")
            // Warnings only (here: no allowlist), on stderr.
            #expect(byName.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("warning:") }, "\(byName.stderr)")

            #expect(try project.run("add", "acme/tiny-model", "--as", "tiny").status == 0)
            let locked = try project.run("pull", "--locked", "-q")
            #expect(locked.status == 0, "\(locked.stderr)")
            #expect(locked.stdout.split(separator: "\n").count == 1)
            #expect(locked.stdout.hasPrefix(project.directory.standardizedFileURL.path + "/models/"), "\(locked.stdout)")
        }
    }

    /// Without a terminal, a long transfer prints a progress line at most every
    /// MODELPIN_PROGRESS_INTERVAL seconds (30 by default): file, bytes so far of the total, rate.
    @Test func aLongTransferPrintsProgressLines() throws {
        try HubSandbox.with { env throws in
            env.hub.configure { $0.bytesPerSecond = 1 << 20 }  // 3 MiB of weights: about 3 s
            let started = Date()
            let outcome = try env.pull("acme/tiny-model", "--jobs", "1", environment: ["MODELPIN_PROGRESS_INTERVAL": "1"])
            let seconds = Date().timeIntervalSince(started)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let lines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("downloading ") }
            #expect(!lines.isEmpty, "\(outcome.stderr)")
            #expect(Double(lines.count) <= seconds + 1, "\(lines)")
            #expect(lines.allSatisfy { $0.contains(" of ") && $0.hasSuffix("/s") }, "\(lines)")
            #expect(lines.contains { $0.contains("model.safetensors") || $0.contains("weights/extra.bin") }, "\(lines)")

            let bad = try env.pull("acme/tiny-model", environment: ["MODELPIN_PROGRESS_INTERVAL": "soon"])
            #expect(bad.status == 64, "\(bad.stderr)")
            #expect(bad.stderr.contains("MODELPIN_PROGRESS_INTERVAL"))
        }
    }
}
