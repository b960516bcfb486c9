import Foundation
import PinDigest
import PinModel
import PinStore
import PinTestSupport
@testable import PinWorkspace
import Testing

/// ModelFacts gathered from what a pull put in the store: the card, config.json, the chat
/// templates, remote code, and each file's format and verdict as the store records them.
@Suite struct ModelFactsTests {
    static let card = Array("---\nlicense: apache-2.0\ndatasets: [acme/corpus]\npipeline_tag: text-classification\nlanguage: [en, fr]\nbase_model: acme/base\n---\n# Tiny\n".utf8)
    static let config = Array(#"{"model_type": "bert", "architectures": ["BertForSequenceClassification"]}"#.utf8)
    static let tokenizerConfig = Array(#"{"chat_template": [{"name": "default", "template": "{{ a }}"}, {"name": "tool_use", "template": "{{ b }}"}]}"#.utf8)
    static let jinja = Array("{{ messages }}".utf8)

    static func repo(withCard: Bool) -> FakeHub.Repo {
        var files = TestWorkspace.tinyFiles + [
            FakeHub.File("tokenizer_config.json", tokenizerConfig), FakeHub.File("chat_template.jinja", jinja),
        ]
        files = files.map { $0.path == "config.json" ? FakeHub.File("config.json", config) : $0 }
        if withCard { files.append(FakeHub.File("README.md", card)) }
        return FakeHub.Repo(id: "acme/tiny-model", commit: TestWorkspace.commit, files: files)
    }

    func facts(withCard: Bool, hub: HubFacts? = nil) throws -> ModelFacts {
        try TestWorkspace.with(repos: [Self.repo(withCard: withCard)]) { workspace in
            _ = try workspace.pull("acme/tiny-model")
            let snapshot = try #require(try workspace.store.snapshot(repo: RepoID(parsing: "acme/tiny-model"), revision: TestWorkspace.commit))
            return try ModelFacts.gather(snapshot, store: workspace.store, hub: hub)
        }
    }

    @Test func gathersTheCardConfigTemplatesAndVerdicts() throws {
        let facts = try facts(withCard: true, hub: HubFacts(lastModified: 1_700_000_000, cardData: ModelCardMetadata(licenses: ["mit"])))
        #expect(facts.cardSource == .readme)
        #expect(facts.card.licenses == ["apache-2.0"])
        #expect(facts.card.datasets == ["acme/corpus"])
        #expect(facts.card.languages == ["en", "fr"])
        #expect(facts.card.baseModels == ["acme/base"])
        #expect(facts.card.pipelineTag == "text-classification")
        #expect(facts.modelType == "bert")
        #expect(facts.architectures == ["BertForSequenceClassification"])
        #expect(facts.commitDate == 1_700_000_000)
        #expect(!facts.hasRemoteCode)
        #expect(facts.chatTemplates.map { "\($0.file):\($0.name ?? "-")" } == ["chat_template.jinja:-", "tokenizer_config.json:default", "tokenizer_config.json:tool_use"])
        #expect(facts.chatTemplates[0].sha256 == SHA256.hash(Self.jinja))
        #expect(facts.chatTemplates[1].sha256 == SHA256.hash(Array("{{ a }}".utf8)))
        #expect(facts.chatTemplates[1].fileSHA256 == SHA256.hash(Self.tokenizerConfig))
        #expect(facts.fileCount == 7)
        #expect(facts.totalSize == Self.repo(withCard: true).commits.values.first!.reduce(0) { total, file in
            if case .bytes(let bytes) = file.content { return total + Int64(bytes.count) }
            return total
        })
        let weights = try #require(facts.files.first { $0.path == "model.safetensors" })
        #expect(weights.format == "safetensors" && weights.verdict == .safe)
        #expect(facts.formats.contains("safetensors"))
        #expect(facts.problems.isEmpty)
    }

    @Test func withoutAREADMETheHubsCardIsUsed() throws {
        let facts = try facts(withCard: false, hub: HubFacts(lastModified: nil, cardData: ModelCardMetadata(licenses: ["mit"])))
        #expect(facts.cardSource == .hub)
        #expect(facts.card.licenses == ["mit"])
        let none = try self.facts(withCard: false)
        #expect(none.cardSource == .none && none.card.isEmpty)
    }

    @Test func autoMapAndPythonFilesAreRemoteCode() {
        let entries = ModelFacts.autoMap(["AutoTokenizer": ["tokenization_x.XTokenizer", NSNull()], "AutoModel": "modeling_x.X", "bad": 5] as [String: Any], file: "config.json")
        #expect(entries.map { "\($0.autoClass)=\($0.references)" } == ["AutoModel=[\"modeling_x.X\"]", "AutoTokenizer=[\"tokenization_x.XTokenizer\"]"])
    }
}
