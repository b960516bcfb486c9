import Foundation
import PinDigest
import PinModel
@testable import PinSBOM
import PinTestSupport
import Testing

/// The BOM as a document: what it says about a model, that it is deterministic, and that the
/// CycloneDX validator accepts it as 1.6 and as 1.7.
@Suite struct CycloneDXTests {
    static let commit = String(repeating: "ab", count: 20)

    static func model(endpoint: String = "https://huggingface.co") throws -> BOMModel {
        var model = BOMModel(repo: try RepoID(parsing: "acme/tiny-chat"), commit: commit, endpoint: endpoint, scanner: "modelpin-scan/3")
        model.alias = "chat"
        model.revision = "main"
        model.card = ModelCardMetadata(
            licenses: ["other"], licenseName: "llama3.1", licenseLink: "LICENSE", pipelineTag: "text-generation",
            datasets: ["acme/corpus", "HuggingFaceFW/fineweb"], baseModels: ["meta-llama/Llama-3.1-8B"], tags: ["chat"], languages: ["en"])
        model.modelType = "llama"
        model.architectures = ["LlamaForCausalLM"]
        model.chatTemplates = [.init(file: "tokenizer_config.json", name: nil, sha256: SHA256.hash(Array("{{ messages }}".utf8)), size: 14)]
        model.remoteCode = ["config.json: AutoModel → modeling_tiny.TinyModel", "code file: modeling_tiny.py"]
        model.files = [
            .init(path: "model.safetensors", size: 100, sha256: SHA256.hash([1]), format: "safetensors", verdict: "safe"),
            .init(path: "LICENSE", size: 10, sha256: SHA256.hash([2]), format: "unknown", verdict: "unsupported"),
            .init(path: "modeling_tiny.py", size: 10, sha256: SHA256.hash([3]), format: "python", verdict: "suspicious"),
            .init(path: "model.safetensors.asc", size: 10, sha256: SHA256.hash([4]), format: nil, verdict: nil),
        ]
        model.requiredSigners = ["0123456789ABCDEF0123456789ABCDEF01234567"]
        model.signedBy = "0123456789ABCDEF0123456789ABCDEF01234567"
        model.signatures = ["model.safetensors.asc"]
        model.policyDecision = "log"
        model.policyReasons = ["licences: llama3.1 is not allowed"]
        return model
    }

    static func input(_ version: BOMInput.SpecVersion = .v1_6, timestamp: String? = nil, seed: String = "lock") throws -> BOMInput {
        var dataset = BOMModel(repo: try RepoID(parsing: "datasets/acme/corpus"), commit: commit, endpoint: "http://127.0.0.1:9", scanner: "modelpin-scan/3")
        dataset.files = [.init(path: "train.parquet", size: 5, sha256: SHA256.hash([5]), format: "parquet", verdict: "safe")]
        return BOMInput(
            specVersion: version, toolName: "modelpin", toolVersion: "0.1.0", serialSeed: Array(seed.utf8), timestamp: timestamp,
            policyDigest: "sha256:" + String(repeating: "0", count: 64), models: [try model(), dataset])
    }

    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func describesTheModel() throws {
        let bom = try Self.object(CycloneDX.render(Self.input()))
        let components = try #require(bom["components"] as? [[String: Any]])
        let model = try #require(components.first { $0["type"] as? String == "machine-learning-model" })
        #expect(model["purl"] as? String == "pkg:huggingface/acme/tiny-chat@\(Self.commit)")
        #expect((model["licenses"] as? [[String: [String: String]]])?.first?["license"]?["name"] == "llama3.1")
        let card = try #require(model["modelCard"] as? [String: Any])
        let parameters = try #require(card["modelParameters"] as? [String: Any])
        #expect(parameters["task"] as? String == "text-generation")
        #expect(parameters["architectureFamily"] as? String == "llama")
        #expect(parameters["modelArchitecture"] as? String == "LlamaForCausalLM")
        #expect((parameters["datasets"] as? [[String: String]])?.map { $0["ref"] } == ["huggingface:datasets/HuggingFaceFW/fineweb", "huggingface:datasets/acme/corpus"])
        let nested = try #require(model["components"] as? [[String: Any]])
        #expect(nested.filter { $0["type"] as? String == "file" }.count == 4)
        let template = try #require(nested.first { ($0["name"] as? String)?.hasPrefix("chat template") == true })
        #expect((template["hashes"] as? [[String: String]])?.first?["content"] == SHA256.hash(Array("{{ messages }}".utf8)).hex)
        let references = try #require(model["externalReferences"] as? [[String: Any]])
        #expect(Set(references.compactMap { $0["type"] as? String }) == ["distribution", "website", "static-analysis-report", "attestation"])
        #expect(references.first { $0["type"] as? String == "distribution" }?["url"] as? String == "https://huggingface.co/acme/tiny-chat/resolve/\(Self.commit)/")
        let report = try #require(references.first { $0["type"] as? String == "static-analysis-report" })
        let url = try #require(report["url"] as? String)
        let decoded = try #require(Data(base64Encoded: String(url.dropFirst("data:application/json;base64,".count))))
        #expect(String(decoding: decoded, as: UTF8.self).contains(#""verdict":"suspicious""#))
        let properties = try #require(model["properties"] as? [[String: String]])
        #expect(properties.contains { $0["name"] == "modelpin:remote-code" && $0["value"] == "code file: modeling_tiny.py" })
        // Datasets the card names are `data` components the model card refers to.
        #expect(components.contains { $0["bom-ref"] as? String == "huggingface:datasets/acme/corpus" && $0["type"] as? String == "data" })
        // A dataset snapshot: a `data` component without a purl (the huggingface purl type is for models).
        #expect(components.contains { ($0["bom-ref"] as? String)?.hasPrefix("huggingface:http://127.0.0.1:9/datasets/acme/corpus@") == true && $0["purl"] == nil })
    }

    @Test func formulationRecordsHowItWasObtained() throws {
        let bom = try Self.object(CycloneDX.render(Self.input()))
        let formulation = try #require((bom["formulation"] as? [[String: Any]])?.first)
        let workflows = try #require(formulation["workflows"] as? [[String: Any]])
        let chat = try #require(workflows.first { ($0["bom-ref"] as? String)?.contains("tiny-chat") == true })
        let properties = try #require(chat["properties"] as? [[String: String]])
        let pairs = Set(properties.map { "\($0["name"]!)=\($0["value"]!)" })
        for expected in [
            "modelpin:tool=modelpin", "modelpin:tool-version=0.1.0", "modelpin:endpoint=https://huggingface.co",
            "modelpin:commit=\(Self.commit)", "modelpin:scanner=modelpin-scan/3", "modelpin:signed-by=0123456789ABCDEF0123456789ABCDEF01234567",
            "modelpin:policy-decision=log", "modelpin:policy-reason=licences: llama3.1 is not allowed",
            "modelpin:policy-digest=sha256:" + String(repeating: "0", count: 64),
        ] {
            #expect(pairs.contains(expected), "\(expected)")
        }
    }

    @Test func theSameInputGivesTheSameBytes() throws {
        let first = CycloneDX.render(try Self.input())
        #expect(first == CycloneDX.render(try Self.input()))
        #expect(!String(decoding: first, as: UTF8.self).contains("timestamp"))
        // The serial number is the lock's: another lock, another serial number.
        let other = try Self.object(CycloneDX.render(Self.input(seed: "another lock")))
        let serial = try #require(try Self.object(first)["serialNumber"] as? String)
        #expect(serial.hasPrefix("urn:uuid:") && serial != other["serialNumber"] as? String)
        // --timestamp: only that line differs.
        let stamped = CycloneDX.render(try Self.input(timestamp: "2026-12-02T17:00:00Z"))
        let lines = Set(String(decoding: stamped, as: UTF8.self).split(separator: "\n")).subtracting(String(decoding: first, as: UTF8.self).split(separator: "\n"))
        #expect(lines == [#"    "timestamp" : "2026-12-02T17:00:00Z","#])
    }

    /// A card's owner writes the tags: a bidi override in one is a JSON escape in the BOM, so the
    /// BOM prints safely and reads back as the card said.
    @Test func hiddenCharactersAreEscaped() throws {
        var input = try Self.input()
        input.models[0].card.tags = ["\u{202E}gpj.exe", "zero\u{200B}width", "😀"]
        let bytes = CycloneDX.render(input)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"\u202egpj.exe"#) && text.contains(#"zero\u200bwidth"#) && text.contains("😀"))
        #expect(!text.unicodeScalars.contains { $0.isHiddenOnTerminal && $0 != "\n" })
        let tags = try #require(try Self.object(bytes)["components"] as? [[String: Any]]).flatMap { component in
            (component["properties"] as? [[String: String]] ?? []).filter { $0["name"] == "huggingface:tag" }.compactMap { $0["value"] }
        }
        #expect(Set(tags) == ["\u{202E}gpj.exe", "zero\u{200B}width", "😀"])
    }

    @Test(.enabled(if: PythonClients.enabled), arguments: BOMInput.SpecVersion.allCases)
    func validates(version: BOMInput.SpecVersion) throws {
        let bytes = CycloneDX.render(try Self.input(version, timestamp: "2026-12-02T17:00:00Z"))
        #expect(try CycloneDXValidator.problems(bytes, version: version.rawValue) == [])
    }

    /// A BOM with what the validator refuses is refused: the test above can fail.
    @Test(.enabled(if: PythonClients.enabled)) func theValidatorRefusesAPlaceholderLicence() throws {
        var text = String(decoding: CycloneDX.render(try Self.input()), as: UTF8.self)
        text = text.replacingOccurrences(of: #""name" : "llama3.1""#, with: #""id" : "other""#)
        #expect(try CycloneDXValidator.problems(Array(text.utf8), version: "1.6") != [])
    }
}
