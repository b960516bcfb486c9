import Foundation
import PinTestSupport
import Testing

/// A private repo that only `hf_secret` opens.
let privateTinyModel = [
    FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: HubSandbox.files, access: .privateRepo(token: "hf_secret"))
]

@Suite("HF_TOKEN goes only to hosts the environment trusts, never to one modelpin.toml alone names")
struct TokenHostsTests {
    @Test func anEndpointOnlyTheManifestNamesGetsNoTokenAndAWarning() throws {
        try ProjectSandbox.with(repos: privateTinyModel) { project throws in
            // `init --endpoint` wrote the hub into modelpin.toml: the manifest names the host.
            #expect(try project.manifestText().contains("endpoint = \"\(project.env.hub.endpoint)\""))
            let refused = try project.run("add", "acme/tiny-model", environment: ["HF_TOKEN": "hf_secret"])
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("warning: HF_TOKEN is not sent to `\(project.env.hub.endpoint)`"), "\(refused.stderr)")
            #expect(refused.stderr.contains("MODELPIN_TOKEN_HOSTS"))
            #expect(!project.env.hub.log.isEmpty)
            #expect(project.env.hub.log.allSatisfy { $0.authorization == nil })
        }
    }

    /// The same host, trusted from outside the repository, gets the token.
    @Test(arguments: ["--endpoint", "MODELPIN_ENDPOINT", "HF_ENDPOINT", "MODELPIN_TOKEN_HOSTS"])
    func aHostTheEnvironmentTrustsGetsIt(_ how: String) throws {
        try ProjectSandbox.with(repos: privateTinyModel) { project throws in
            let endpoint = project.env.hub.endpoint
            var environment = ["HF_TOKEN": "hf_secret"]
            var arguments = ["add", "acme/tiny-model"]
            if how == "--endpoint" { arguments += ["--endpoint", endpoint] } else { environment[how] = endpoint }
            var modelpin = project.env.sandbox.modelpin
            modelpin.environment.merge(environment) { $1 }
            let added = try modelpin.run(arguments)
            #expect(added.status == 0, "\(added.stderr)")
            #expect(!added.stderr.contains("HF_TOKEN is not sent"))
            #expect(project.env.hub.log.contains { $0.authorization == "Bearer hf_secret" })
        }
    }

    @Test func aMalformedTokenHostIsAUsageError() throws {
        try ProjectSandbox.with(repos: privateTinyModel) { project throws in
            let refused = try project.run("add", "acme/tiny-model", environment: ["HF_TOKEN": "hf_secret", "MODELPIN_TOKEN_HOSTS": "https://hub.test/path"])
            #expect(refused.status == 64, "\(refused.stderr)")
            #expect(refused.stderr.contains("invalid entry `https://hub.test/path` in MODELPIN_TOKEN_HOSTS"), "\(refused.stderr)")
            #expect(project.env.hub.log.isEmpty)
        }
    }
}
