import PinDigest
import PinModel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A CycloneDX 1.6 / 1.7 JSON BOM of model snapshots (`machine-learning-model` components with
/// their files, model card, chat templates, licences, scan verdicts, signatures and how they
/// were obtained). Pure: the same input gives the same bytes.
///
/// JSON is written with Foundation's JSONEncoder over a small value tree (`JSONValue`) with
/// `.sortedKeys`: key order is then canonical, and the tree holds only strings, integers and
/// booleans (no floating point), so the bytes depend on nothing but the input. Arrays are
/// sorted where CycloneDX gives them no meaning of order.
public enum CycloneDX {
    /// The namespace of modelpin's serial numbers (a random UUID, fixed once): the BOM's
    /// `urn:uuid:` is the RFC 9562 version-5 UUID of the lock's bytes in it.
    static let serialNamespace: [UInt8] = [
        0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x70, 0x4e, 0x1a, 0x9b, 0x2c, 0x53, 0x42, 0x4f, 0x4d, 0x21, 0x01,
    ]

    public static let defaultEndpoint = "https://huggingface.co"

    /// The BOM's bytes (pretty-printed JSON and a final newline).
    public static func render(_ input: BOMInput) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Strings, integers and booleans only: encoding cannot fail.
        let text = String(decoding: try! encoder.encode(document(input)), as: UTF8.self)
        // A card's owner writes tags and names: a bidi override in one becomes a JSON escape,
        // so the BOM prints safely and is the same bytes on stdout as in a file.
        return Array(text.jsonEscapingHidden.utf8) + [0x0A]
    }

    /// The serial number: `urn:uuid:` and the version-5 UUID of `seed`.
    public static func serialNumber(_ seed: [UInt8]) -> String {
        "urn:uuid:" + NameBasedUUID.version5(namespace: serialNamespace, name: seed)
    }

    static func document(_ input: BOMInput) -> JSONValue {
        var metadata: [String: JSONValue] = [
            "tools": ["components": [[
                "type": "application", "name": .string(input.toolName), "version": .string(input.toolVersion),
                "bom-ref": .string("tool:\(input.toolName)"),
            ]]],
        ]
        metadata["timestamp"] = input.timestamp.map(JSONValue.string)
        if let digest = input.policyDigest { metadata["properties"] = properties([("modelpin:policy-digest", digest)]) }
        let serial = serialNumber(input.serialSeed)
        let models = input.models.sorted { ($0.repo.description, $0.commit, $0.alias ?? "") < ($1.repo.description, $1.commit, $1.alias ?? "") }
        var components = models.map { ModelComponent(model: $0, serial: serial).json }
        components += datasets(of: models)
        var document: [String: JSONValue] = [
            "bomFormat": "CycloneDX", "specVersion": .string(input.specVersion.rawValue), "serialNumber": .string(serial),
            "version": 1, "metadata": .object(metadata), "components": .array(components),
        ]
        if !models.isEmpty {
            document["formulation"] = [[
                "bom-ref": "formulation:modelpin", "workflows": .array(models.map { ModelComponent(model: $0, serial: serial).workflow(input) }),
            ]]
        }
        return .object(document)
    }

    /// The datasets the cards name, once each: `data` components the model cards refer to.
    static func datasets(of models: [BOMModel]) -> [JSONValue] {
        var seen = Set<String>()
        var components: [JSONValue] = []
        for model in models where model.repo.kind == .model {
            for dataset in model.card.datasets where seen.insert(datasetReference(dataset, endpoint: model.endpoint)).inserted {
                var component: [String: JSONValue] = [
                    "type": "data", "bom-ref": .string(datasetReference(dataset, endpoint: model.endpoint)), "name": .string(dataset),
                    "data": [["type": "dataset", "name": .string(dataset)]],
                ]
                if let url = datasetURL(dataset, endpoint: model.endpoint) {
                    component["externalReferences"] = [["type": "website", "url": .string(url)]]
                }
                components.append(.object(component))
            }
        }
        return components.sorted { $0.sortKey < $1.sortKey }
    }

    /// A dataset the card names: `huggingface:datasets/ID`, or with the endpoint when not the
    /// Hub's. Not a purl: the purl spec's `huggingface` type is for models, and a dataset's
    /// `pkg:huggingface/org/name` would name the model of the same id.
    static func datasetReference(_ id: String, endpoint: String) -> String {
        endpoint == defaultEndpoint ? "huggingface:datasets/\(id)" : "huggingface:\(endpoint)/datasets/\(id)"
    }

    /// The dataset's page, when the card's text is a Hub id (`org/name` or `name`).
    static func datasetURL(_ id: String, endpoint: String) -> String? {
        guard let repo = try? RepoID(parsing: "datasets/" + id) else { return nil }
        return "\(endpoint)/datasets/\(Purl.encode(repo.owner))/\(Purl.encode(repo.name))"
    }

    static func properties(_ pairs: [(String, String)]) -> JSONValue {
        .array(pairs.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { ["name": .string($0.0), "value": .string($0.1)] })
    }

    static func hashes(_ digest: SHA256Digest) -> JSONValue {
        [["alg": "SHA-256", "content": .string(digest.hex)]]
    }
}

/// One snapshot's component, and its workflow in `formulation`.
struct ModelComponent {
    let model: BOMModel
    let serial: String

    var isModel: Bool { model.repo.kind == .model }

    /// The purl for a model; for a dataset (no purl type) `huggingface:datasets/ORG/NAME@COMMIT`.
    var reference: String {
        isModel ? Purl.huggingface(model.repo, commit: model.commit, endpoint: model.endpoint)
            : CycloneDX.datasetReference("\(model.repo.ownerAndName)@\(model.commit.lowercased())", endpoint: model.endpoint)
    }

    /// `ENDPOINT/[datasets/]ORG/NAME`.
    var page: String { "\(model.endpoint)/\(model.repo.kind.prefix)\(Purl.encode(model.repo.owner))/\(Purl.encode(model.repo.name))" }
    /// Where the files are downloaded from: `PAGE/resolve/COMMIT/`.
    var distribution: String { "\(page)/resolve/\(model.commit)/" }

    var json: JSONValue {
        var component: [String: JSONValue] = [
            "type": isModel ? "machine-learning-model" : "data", "bom-ref": .string(reference),
            "group": .string(model.repo.owner), "name": .string(model.repo.name), "version": .string(model.commit),
            "externalReferences": .array(externalReferences), "components": .array(files + templates),
            "properties": CycloneDX.properties(properties),
        ]
        if isModel { component["purl"] = .string(reference) }
        let licences = LicenceChoice.choose(model.card, linkBase: distribution, files: Set(model.files.map(\.path)))
        if !licences.isEmpty { component["licenses"] = .array(licences) }
        if isModel, let card = modelCard { component["modelCard"] = card }
        if !isModel { component["data"] = [["type": "dataset", "name": .string(model.repo.ownerAndName)]] }
        return .object(component)
    }

    /// `modelParameters` from config.json and the card; nil when neither says anything.
    var modelCard: JSONValue? {
        var parameters: [String: JSONValue] = [:]
        parameters["task"] = model.card.pipelineTag.map(JSONValue.string)
        parameters["architectureFamily"] = model.modelType.map(JSONValue.string)
        if !model.architectures.isEmpty { parameters["modelArchitecture"] = .string(model.architectures.joined(separator: ", ")) }
        let datasets = Set(model.card.datasets.map { CycloneDX.datasetReference($0, endpoint: model.endpoint) }).sorted()
        if !datasets.isEmpty { parameters["datasets"] = .array(datasets.map { ["ref": .string($0)] }) }
        guard !parameters.isEmpty else { return nil }
        return ["bom-ref": .string(reference + "#model-card"), "modelParameters": .object(parameters)]
    }

    var files: [JSONValue] {
        model.files.map { file in
            var pairs = [("modelpin:size", String(file.size))]
            if let format = file.format { pairs.append(("modelpin:scan-format", format)) }
            if let verdict = file.verdict { pairs.append(("modelpin:scan-verdict", verdict)) }
            return [
                "type": "file", "bom-ref": .string("\(reference)#file:\(file.path)"), "name": .string(file.path),
                "hashes": CycloneDX.hashes(file.sha256), "properties": CycloneDX.properties(pairs),
            ]
        }.sorted { $0.sortKey < $1.sortKey }
    }

    /// Each chat template: a `data` component (kind `configuration`) with the SHA-256 of its text.
    var templates: [JSONValue] {
        model.chatTemplates.map { template in
            let label = template.name.map { "\(template.file):\($0)" } ?? template.file
            var pairs = [("modelpin:file", template.file), ("modelpin:size", String(template.size))]
            if let name = template.name { pairs.append(("modelpin:template-name", name)) }
            return [
                "type": "data", "bom-ref": .string("\(reference)#chat-template:\(label)"), "name": .string("chat template (\(label))"),
                "hashes": CycloneDX.hashes(template.sha256), "properties": CycloneDX.properties(pairs),
                "data": [["type": "configuration", "name": "chat_template"]],
            ]
        }.sorted { $0.sortKey < $1.sortKey }
    }

    var externalReferences: [JSONValue] {
        var references: [JSONValue] = [
            ["type": "distribution", "url": .string(distribution)],
            ["type": "website", "url": .string(page)],
            ["type": "static-analysis-report", "url": .string(scanReportURL), "comment": .string(scanSummary)],
        ]
        let files = Dictionary(model.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        for signature in model.signatures.sorted() {
            var reference: [String: JSONValue] = [
                "type": "attestation", "url": .string(distribution + Purl.encodePath(signature)),
                "comment": .string("OpenPGP signature over the model's files; good signature by \(model.signedBy ?? "a required signer")"),
            ]
            if let file = files[signature] { reference["hashes"] = CycloneDX.hashes(file.sha256) }
            references.append(.object(reference))
        }
        return references
    }

    /// The scan verdicts as a JSON document in a `data:` URL: the report travels with the BOM.
    var scanReportURL: String {
        let report: JSONValue = [
            "scanner": .string(model.scanner),
            "files": .array(model.files.map { file in
                var entry: [String: JSONValue] = ["path": .string(file.path), "sha256": .string(file.sha256.hex)]
                entry["format"] = file.format.map(JSONValue.string)
                entry["verdict"] = file.verdict.map(JSONValue.string)
                return .object(entry)
            }),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return "data:application/json;base64," + (try! encoder.encode(report)).base64EncodedString()
    }

    /// `modelpin-scan/3: 3 safe, 1 unsupported`.
    var scanSummary: String {
        var counts: [String: Int] = [:]
        for file in model.files { counts[file.verdict ?? "not recorded", default: 0] += 1 }
        let parts = counts.keys.sorted().map { "\(counts[$0]!) \($0)" }
        return "\(model.scanner): " + (parts.isEmpty ? "no files" : parts.joined(separator: ", "))
    }

    var properties: [(String, String)] {
        var pairs: [(String, String)] = [("modelpin:scanner", model.scanner), ("modelpin:endpoint", model.endpoint)]
        if let alias = model.alias { pairs.append(("modelpin:alias", alias)) }
        if let revision = model.revision { pairs.append(("modelpin:revision", revision)) }
        pairs += model.remoteCode.map { ("modelpin:remote-code", $0) }
        pairs += model.card.tags.map { ("huggingface:tag", $0) }
        pairs += model.card.languages.map { ("huggingface:language", $0) }
        pairs += model.card.baseModels.map { ("huggingface:base-model", $0) }
        if let library = model.card.libraryName { pairs.append(("huggingface:library-name", library)) }
        // What the card said, verbatim, whether or not it is SPDX (the licences say only SPDX).
        pairs += model.card.licenses.map { ("huggingface:license", $0) }
        if let name = model.card.licenseName { pairs.append(("huggingface:license-name", name)) }
        if let link = model.card.licenseLink { pairs.append(("huggingface:license-link", link)) }
        return pairs
    }

    /// How the snapshot was obtained: tool, endpoint, commit, signers, scanner, policy.
    func workflow(_ input: BOMInput) -> JSONValue {
        var pairs: [(String, String)] = [
            ("modelpin:tool", input.toolName), ("modelpin:tool-version", input.toolVersion), ("modelpin:endpoint", model.endpoint),
            ("modelpin:repo", model.repo.description), ("modelpin:commit", model.commit), ("modelpin:scanner", model.scanner),
        ]
        if let revision = model.revision { pairs.append(("modelpin:revision", revision)) }
        pairs += model.requiredSigners.map { ("modelpin:required-signer", $0) }
        if let signer = model.signedBy { pairs.append(("modelpin:signed-by", signer)) }
        if let decision = model.policyDecision { pairs.append(("modelpin:policy-decision", decision)) }
        pairs += model.policyReasons.map { ("modelpin:policy-reason", $0) }
        if let digest = input.policyDigest, model.policyDecision != nil { pairs.append(("modelpin:policy-digest", digest)) }
        return [
            "bom-ref": .string(reference + "#obtained"), "uid": .string(reference + "#obtained"),
            "name": .string("\(input.toolName) pull \(model.repo.description)@\(model.commit)"),
            "description": "Resolved on the endpoint, fetched, verified (SHA-256, git blob ids, OpenPGP signatures when required), scanned and admitted into the store",
            "taskTypes": ["copy", "scan"],
            "outputs": [["resource": ["ref": .string(reference)]]],
            "properties": CycloneDX.properties(pairs),
        ]
    }
}

/// Which of a card's licence texts the BOM carries, and how (`licenses`).
///
/// - A valid SPDX id (matched without regard to case: `apache-2.0` → `Apache-2.0`):
///   `license.id`.
/// - A valid compound SPDX expression (`MIT OR Apache-2.0`), when it is the card's only licence:
///   `expression` (CycloneDX 1.6 allows one expression alone, not among other licences).
/// - A licence the card names that is not SPDX (`llama3.1`, `gemma`, `openrail`, or `other`
///   with a `license_name`): `license.name`, the card's text verbatim, with `license.url` when
///   `license_link` is a URL or a file of the snapshot. A named licence is valid CycloneDX and
///   says exactly what the card says; it is never dressed up as an SPDX id.
/// - A placeholder (`other` without a name, `unknown`, empty): nothing. No licence is better
///   than a made-up one.
enum LicenceChoice {
    static let placeholders: Set<String> = ["other", "unknown", "none", "noassertion", "see license", "custom"]

    static func choose(_ card: ModelCardMetadata, linkBase: String, files: Set<String>) -> [JSONValue] {
        let url = link(card.licenseLink, base: linkBase, files: files)
        var texts = card.licenses.filter { !$0.trimmingSpaces.isEmpty }
        // `license: other` with a `license_name`: the name is the licence.
        if let name = card.licenseName, !name.trimmingSpaces.isEmpty {
            texts = texts.filter { $0.lowercased() != "other" } + [name]
        }
        if texts.count == 1, let expression = SPDX.expression(texts[0]), expression.singleID == nil {
            return [["expression": .string(expression.description)]]
        }
        var seen = Set<String>()
        var choices: [JSONValue] = []
        for text in texts where !placeholders.contains(text.lowercased().trimmingSpaces) {
            var licence: [String: JSONValue]
            if let id = SPDX.expression(text)?.singleID {
                licence = ["id": .string(id)]
            } else {
                licence = ["name": .string(text)]
                licence["url"] = url.map(JSONValue.string)
            }
            if seen.insert(licence.description).inserted { choices.append(["license": .object(licence)]) }
        }
        return choices
    }

    /// `license_link` as a URL: an absolute http(s) URL as it is, a file of the snapshot as its
    /// download URL; anything else is no URL.
    static func link(_ link: String?, base: String, files: Set<String>) -> String? {
        guard let link = link?.trimmingSpaces, !link.isEmpty else { return nil }
        if link.hasPrefix("https://") || link.hasPrefix("http://") {
            return link.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\"" && $0 != "<" && $0 != ">" }) ? link : nil
        }
        let path = link.hasPrefix("./") ? String(link.dropFirst(2)) : link
        return files.contains(path) ? base + Purl.encodePath(path) : nil
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
