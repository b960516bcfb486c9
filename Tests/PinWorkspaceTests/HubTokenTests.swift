import Foundation
import PinTestSupport
import PinTransport
import SystemPackage
import Testing

@testable import PinWorkspace

/// The token modelpin sends: --token, HF_TOKEN, HUGGING_FACE_HUB_TOKEN, else the file
/// `hf auth login` saved, found and cleaned as huggingface_hub does, and held to the same
/// host rule whatever its origin.
@Suite("The Hub token: flag, environment, the file hf auth login saved")
struct HubTokenTests {
    struct PathCase: Sendable, CustomStringConvertible {
        let environment: [String: String]
        let path: String?
        var description: String { "\(environment)" }
    }

    static let paths: [PathCase] = [
        PathCase(environment: ["HOME": "/h"], path: "/h/.cache/huggingface/token"),
        PathCase(environment: ["HOME": "/h", "XDG_CACHE_HOME": "/x"], path: "/x/huggingface/token"),
        PathCase(environment: ["HOME": "/h", "XDG_CACHE_HOME": "/x", "HF_HOME": "/hf"], path: "/hf/token"),
        PathCase(environment: ["HOME": "/h", "HF_HOME": "~/hf"], path: "/h/hf/token"),
        PathCase(environment: ["HOME": "/h", "HF_HOME": "/hf", "HF_TOKEN_PATH": "/t/tok"], path: "/t/tok"),
        PathCase(environment: ["HOME": "/h", "HF_HOME": "", "HF_TOKEN_PATH": ""], path: "/h/.cache/huggingface/token"),
        PathCase(environment: [:], path: nil),
    ]

    @Test(arguments: paths)
    func theSavedTokenIsWhereHuggingFaceHubPutsIt(_ test: PathCase) {
        #expect(HubToken.savedPath(environment: test.environment)?.string == test.path)
    }

    /// The order, and what counts as no token at all.
    @Test func flagThenEnvironmentThenFile() throws {
        try withTemporaryDirectory("modelpin-token") { url in
            let home = FilePath(url.path).appending("hf")
            try FileManager.default.createDirectory(atPath: home.string, withIntermediateDirectories: true)
            try Data("  hf_saved\r\n".utf8).write(to: URL(fileURLWithPath: home.appending("token").string))
            var environment = ["HF_HOME": home.string]
            #expect(try HubToken.find(flag: nil, environment: environment) == HubToken(value: "hf_saved", origin: .file(home.appending("token"))))
            environment["HUGGING_FACE_HUB_TOKEN"] = "hf_old"
            #expect(try HubToken.find(flag: nil, environment: environment)?.origin == .environment("HUGGING_FACE_HUB_TOKEN"))
            environment["HF_TOKEN"] = " hf_env\n"
            #expect(try HubToken.find(flag: nil, environment: environment) == HubToken(value: "hf_env", origin: .environment("HF_TOKEN")))
            #expect(try HubToken.find(flag: "hf_flag", environment: environment) == HubToken(value: "hf_flag", origin: .flag))
            // Blank is unset, as huggingface_hub cleans it.
            environment["HF_TOKEN"] = " \n"
            #expect(try HubToken.find(flag: "", environment: environment)?.value == "hf_old")
            try Data("\n".utf8).write(to: URL(fileURLWithPath: home.appending("token").string))
            #expect(try HubToken.find(flag: nil, environment: ["HF_HOME": home.string]) == nil)
            // Not logged in: no file, no token, no error.
            #expect(try HubToken.find(flag: nil, environment: ["HF_HOME": home.appending("none").string]) == nil)
        }
    }

    /// A file that is not a token is an error naming the file, and never echoes its bytes.
    @Test func aFileThatIsNotATokenIsRefusedByName() throws {
        try withTemporaryDirectory("modelpin-token") { url in
            let path = FilePath(url.path).appending("token")
            let cases: [(bytes: [UInt8], says: String)] = [
                (Array("hf_a\u{1B}[2Jb".utf8), "control or non-ASCII"),
                (Array("hf_a\tX-Evil: 1".utf8), "control or non-ASCII"),
                ([0x68, 0x66, 0xFF], "not UTF-8"),
                (Array(repeating: UInt8(ascii: "a"), count: 5000), "larger than"),
            ]
            for (bytes, says) in cases {
                try Data(bytes).write(to: URL(fileURLWithPath: path.string))
                do throws(TokenError) {
                    _ = try HubToken.find(flag: nil, environment: ["HF_TOKEN_PATH": path.string])
                    Issue.record("accepted \(bytes.prefix(16))")
                } catch {
                    let text = ([error.description] + error.causes).joined(separator: " ")
                    #expect(text.contains(path.string) && text.contains(says), "\(text)")
                    #expect(!text.contains("hf_a") && !text.contains("X-Evil"), "\(text)")
                }
            }
            // A FIFO where the token should be: refused at once, not waited on.
            try FileManager.default.removeItem(atPath: path.string)
            #expect(mkfifo(path.string, 0o600) == 0)
            #expect(throws: TokenError.self) { try HubToken.find(flag: nil, environment: ["HF_TOKEN_PATH": path.string]) }
        }
    }

    /// The saved token and --token obey HF_TOKEN's host rule: a manifest-only endpoint gets
    /// neither; a trusted one gets the token; --token always warns.
    @Test func everyOriginObeysTheHostRule() throws {
        try withTemporaryDirectory("modelpin-token") { url in
            let path = FilePath(url.path).appending("token")
            try Data("hf_saved\n".utf8).write(to: URL(fileURLWithPath: path.string))
            var configuration = WorkspaceConfiguration(environment: ["HF_TOKEN_PATH": path.string], userAgent: "test")
            var warnings: [String] = []
            let untrusted = try configuration.pullSettings(endpoint: "https://toml.example") { warnings.append($0) }
            #expect(untrusted.policy.bearerToken == nil)
            #expect(warnings == ["the token `hf auth login` saved in `\(path)` is not sent to `https://toml.example`: only modelpin.toml names it, and a file in the repository does not decide where the token goes; if you trust it, pass --endpoint https://toml.example, or add its host to MODELPIN_TOKEN_HOSTS"])
            let hub = try configuration.pullSettings(endpoint: "https://huggingface.co") { warnings.append($0) }
            #expect(hub.policy.bearerToken == "hf_saved")
            #expect(warnings.count == 1)

            warnings = []
            configuration.tokenFlag = "hf_flag"
            let flagged = try configuration.pullSettings(endpoint: "https://huggingface.co") { warnings.append($0) }
            #expect(flagged.policy.bearerToken == "hf_flag")
            #expect(warnings.count == 1 && warnings[0].contains("other users of this machine can read it"))
            _ = try configuration.pullSettings(endpoint: "https://toml.example") { warnings.append($0) }
            #expect(warnings.contains { $0.hasPrefix("--token is not sent to `https://toml.example`") })
        }
    }
}
