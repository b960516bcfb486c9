import Foundation
import PinTestSupport
import Testing

/// `modelpin sbom` through the real binary, after a pull from the fake Hub: what the BOM says,
/// that the validator accepts it as CycloneDX 1.6 and 1.7, and that it is deterministic.
@Suite("sbom, end to end")
struct SBOMEndToEndTests {
    static let card = Array("""
        ---
        license: other
        license_name: llama3.1
        license_link: LICENSE
        pipeline_tag: text-generation
        datasets:
        - acme/corpus
        tags: [chat, tiny]
        ---
        # Tiny chat model

        """.utf8)
    static let config = Array(#"{"model_type": "llama", "architectures": ["LlamaForCausalLM"], "auto_map": {"AutoModel": "modeling_tiny.TinyModel"}}"#.utf8)
    static let template = "{% for m in messages %}{{ m.content }}{% endfor %}"
    static let tokenizerConfig = Array(#"{"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}"#.utf8)

    static let files = [
        FakeHub.File("README.md", card), FakeHub.File("LICENSE", Array("Llama 3.1 Community License\n".utf8)),
        FakeHub.File("config.json", config), FakeHub.File("tokenizer_config.json", tokenizerConfig),
        FakeHub.File("modeling_tiny.py", Array("class TinyModel: pass\n".utf8)),
        FakeHub.File("model.safetensors", HubSandbox.weights, lfs: true),
    ]

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func aBOMOfWhatWasPulled() throws {
        try ProjectSandbox.with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: Self.files)]) { project throws in
            try writeFile(project.manifest, Array((try project.manifestText() + "\n[models.tiny]\nrepo = \"acme/tiny-model\"\n").utf8))
            let pulled = try project.run("pull", "--allow-remote-code")
            #expect(pulled.status == 0, "\(pulled.stderr)")

            let first = try project.run("sbom")
            #expect(first.status == 0, "\(first.stderr)")
            let second = try project.run("sbom")
            #expect(first.stdout == second.stdout, "the same lock gives the same bytes")

            let bom = try Self.object(first.stdout)
            let components = try #require(bom["components"] as? [[String: Any]])
            let model = try #require(components.first { $0["type"] as? String == "machine-learning-model" })
            #expect(model["purl"] as? String == "pkg:huggingface/acme/tiny-model@\(HubSandbox.commit)?repository_url=\(project.env.hub.endpoint)")
            let licence = try #require((model["licenses"] as? [[String: [String: String]]])?.first?["license"])
            #expect(licence["name"] == "llama3.1")
            #expect(licence["url"] == "\(project.env.hub.endpoint)/acme/tiny-model/resolve/\(HubSandbox.commit)/LICENSE")
            let parameters = try #require((model["modelCard"] as? [String: Any])?["modelParameters"] as? [String: Any])
            #expect(parameters["architectureFamily"] as? String == "llama")
            #expect(parameters["task"] as? String == "text-generation")
            let nested = try #require(model["components"] as? [[String: Any]])
            #expect(nested.filter { $0["type"] as? String == "file" }.count == Self.files.count)
            let template = try #require(nested.first { ($0["name"] as? String) == "chat template (tokenizer_config.json)" })
            let hash = try #require((template["hashes"] as? [[String: String]])?.first?["content"])
            #expect(hash == sha256Hex(Data(Self.template.utf8)))
            let properties = try #require(model["properties"] as? [[String: String]])
            #expect(properties.contains { $0["name"] == "modelpin:remote-code" && $0["value"] == "config.json: AutoModel → modeling_tiny.TinyModel" })
            #expect(properties.contains { $0["name"] == "modelpin:remote-code" && $0["value"] == "code file: modeling_tiny.py" })
            let weights = try #require(nested.first { $0["name"] as? String == "model.safetensors" })
            let verdicts = try #require(weights["properties"] as? [[String: String]])
            #expect(verdicts.contains { $0["name"] == "modelpin:scan-format" && $0["value"] == "safetensors" })
            #expect(verdicts.contains { $0["name"] == "modelpin:scan-verdict" && $0["value"] == "safe" })

            for version in ["1.6", "1.7"] {
                let written = try project.run("sbom", "--spec-version", version, "--timestamp", "-o", "bom-\(version).json")
                #expect(written.status == 0, "\(written.stderr)")
                let bytes = Array(try Data(contentsOf: project.directory.appendingPathComponent("bom-\(version).json")))
                #expect(try CycloneDXValidator.problems(bytes, version: version) == [])
                let metadata = try #require(try Self.object(String(decoding: bytes, as: UTF8.self))["metadata"] as? [String: Any])
                #expect(metadata["timestamp"] is String)
            }
            // A named snapshot of the store, as `store snapshots` lists it, is the same model.
            let named = try project.run("sbom", "acme/tiny-model:\(HubSandbox.commit)")
            #expect(named.status == 0, "\(named.stderr)")
            #expect(named.stdout.contains("\"pkg:huggingface/acme/tiny-model@\(HubSandbox.commit)"))
            let missing = try project.run("sbom", "acme/other-model@main")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("the store holds no snapshot of `acme/other-model` at `main`"), "\(missing.stderr)")
            let usage = try project.run("sbom", "--spec-version", "1.5")
            #expect(usage.status == 64)
        }
    }
}
