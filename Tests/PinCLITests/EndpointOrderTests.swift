import ArgumentParser
import PinTransport
import Testing

@testable import PinCLI
@testable import PinWorkspace

/// Which endpoint resolves and which fetches locked files, from `--endpoint`, the environment
/// and modelpin.toml: the flag, then MODELPIN_ENDPOINT, then HF_ENDPOINT, then the manifest
/// (a project's default, which the environment overrides), then the Hub.
@Suite("Endpoint order: flag, environment, manifest, Hub")
struct EndpointOrderTests {
    struct Case: Sendable, CustomStringConvertible {
        let flag: String?
        let environment: [String: String]
        let manifest: String?
        let resolves: String
        /// What fetches locked files instead of the lock's recorded endpoint; nil: the lock's.
        let overrides: String?
        var description: String { "\(flag ?? "-") \(environment) \(manifest ?? "-")" }
    }

    static let cases: [Case] = [
        Case(flag: nil, environment: [:], manifest: nil, resolves: "https://huggingface.co", overrides: nil),
        Case(flag: nil, environment: [:], manifest: "https://toml.example/", resolves: "https://toml.example", overrides: nil),
        Case(flag: nil, environment: ["HF_ENDPOINT": "https://hf.example"], manifest: "https://toml.example",
             resolves: "https://hf.example", overrides: "https://hf.example"),
        Case(flag: nil, environment: ["HF_ENDPOINT": "https://hf.example", "MODELPIN_ENDPOINT": "https://mp.example//"],
             manifest: "https://toml.example", resolves: "https://mp.example", overrides: "https://mp.example"),
        Case(flag: "https://flag.example/", environment: ["MODELPIN_ENDPOINT": "https://mp.example"], manifest: "https://toml.example",
             resolves: "https://flag.example", overrides: "https://flag.example"),
        // An empty variable is unset.
        Case(flag: nil, environment: ["MODELPIN_ENDPOINT": ""], manifest: "https://toml.example", resolves: "https://toml.example", overrides: nil),
    ]

    @Test(arguments: cases)
    func resolvesAndOverrides(_ test: Case) throws {
        let options = try TransferOptions.parse(test.flag.map { ["--endpoint", $0] } ?? [])
        var configuration = try options.configuration()
        configuration.environment = test.environment
        #expect(configuration.resolveEndpoint(manifest: test.manifest) == test.resolves)
        #expect(configuration.endpointOverride == test.overrides)
    }

    /// The order does not change where HF_TOKEN may go: a manifest-only endpoint gets none.
    @Test func aManifestOnlyEndpointGetsNoToken() throws {
        var configuration = try TransferOptions.parse([]).configuration()
        configuration.environment = ["HF_TOKEN": "hf_secret"]
        var warnings: [String] = []
        let settings = try configuration.pullSettings(endpoint: configuration.resolveEndpoint(manifest: "https://toml.example")) { warnings.append($0) }
        #expect(settings.policy.bearerToken == nil)
        #expect(warnings.count == 1 && warnings[0].contains("HF_TOKEN is not sent to `https://toml.example`"))
        configuration.environment["MODELPIN_ENDPOINT"] = "https://toml.example"
        let trusted = try configuration.pullSettings(endpoint: configuration.resolveEndpoint(manifest: "https://toml.example")) { warnings.append($0) }
        #expect(trusted.policy.bearerToken == "hf_secret")
        #expect(warnings.count == 1)
    }
}
