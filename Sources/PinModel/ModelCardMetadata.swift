/// What a model card's metadata says about a model: the YAML front matter of its `README.md`
/// (Hugging Face's model card metadata spec), or the Hub's `cardData`, which is the same
/// front matter as the Hub parsed it. Values only; nothing here is checked: a licence is the
/// text the card wrote (`apache-2.0`, `other`, `llama3.1`), to be judged by whoever reads it.
///
/// Both sources are written by the repository's owner: these are claims, not verified facts.
public struct ModelCardMetadata: Sendable, Equatable, Encodable {
    /// `license`: one id, or a list of them (the spec allows both).
    public var licenses: [String]
    /// `license_name`: the name of a licence that is not on the Hub's list (`license: other`).
    public var licenseName: String?
    /// `license_link`: where that licence's text is (a URL or a file of the repo, `LICENSE`).
    public var licenseLink: String?
    /// `pipeline_tag`: the task (`text-generation`, `image-classification`…).
    public var pipelineTag: String?
    /// `datasets`: Hub dataset ids the model was trained or tuned on.
    public var datasets: [String]
    /// `base_model`: the model(s) this one derives from.
    public var baseModels: [String]
    public var tags: [String]
    /// `language`: ISO 639 codes.
    public var languages: [String]
    /// `library_name`: `transformers`, `diffusers`, `gguf`…
    public var libraryName: String?

    public init(
        licenses: [String] = [], licenseName: String? = nil, licenseLink: String? = nil, pipelineTag: String? = nil,
        datasets: [String] = [], baseModels: [String] = [], tags: [String] = [], languages: [String] = [],
        libraryName: String? = nil
    ) {
        self.licenses = licenses
        self.licenseName = licenseName
        self.licenseLink = licenseLink
        self.pipelineTag = pipelineTag
        self.datasets = datasets
        self.baseModels = baseModels
        self.tags = tags
        self.languages = languages
        self.libraryName = libraryName
    }

    /// Nothing at all was said (a card without front matter, or a `cardData` of `{}`).
    public var isEmpty: Bool { self == ModelCardMetadata() }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Field.self)
        try container.encode(licenses, forKey: .licenses)
        try container.encodeIfPresent(licenseName, forKey: .licenseName)
        try container.encodeIfPresent(licenseLink, forKey: .licenseLink)
        try container.encodeIfPresent(pipelineTag, forKey: .pipelineTag)
        try container.encode(datasets, forKey: .datasets)
        try container.encode(baseModels, forKey: .baseModels)
        try container.encode(tags, forKey: .tags)
        try container.encode(languages, forKey: .languages)
        try container.encodeIfPresent(libraryName, forKey: .libraryName)
    }

    /// The metadata keys, as the card and `cardData` spell them.
    public enum Field: String, CodingKey, Sendable, CaseIterable {
        case licenses = "license", licenseName = "license_name", licenseLink = "license_link", pipelineTag = "pipeline_tag"
        case datasets, baseModels = "base_model", tags, languages = "language", libraryName = "library_name"
    }
}
