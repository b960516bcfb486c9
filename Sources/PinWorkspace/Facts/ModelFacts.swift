public import PinModel

/// What modelpin knows about one model snapshot: what its card and config files say, what the
/// scanner recognised each file as, and how it was obtained. The one subject both the admission
/// policy's rules and the SBOM are written from, so the two can never describe a model
/// differently.
///
/// Gathered (`ModelFacts.gather`) from a snapshot the store recorded: the files' bytes are the
/// store's blobs, verified when they were admitted, never the user's editable directory. What
/// the card and the config files say is the repository owner's word (a licence is a claim);
/// formats and verdicts are the scanner's, from the records the store keeps per blob.
public struct ModelFacts: Sendable, Equatable, Encodable {
    /// `owner/name`, or `datasets/owner/name` for a dataset.
    public var repo: String
    public var commit: String
    /// The Hub the snapshot was resolved on, when known.
    public var endpoint: String?

    /// The card metadata (licences, task, datasets, base models, tags, languages).
    public var card: ModelCardMetadata
    /// Where `card` came from.
    public var cardSource: CardSource
    /// Why the card's front matter could not be read (then `card` is the Hub's, or empty).
    public var cardProblem: String?

    /// `config.json`'s `model_type` (`llama`, `bert`…).
    public var modelType: String?
    /// `config.json`'s `architectures` (`LlamaForCausalLM`…).
    public var architectures: [String]
    /// `auto_map` entries of `config.json` and `tokenizer_config.json`: classes loaded from the
    /// repository's own Python code (or another repo's: `org/repo--module.Class`) when a loader
    /// is told `trust_remote_code=True`.
    public var autoMap: [AutoMapEntry]
    /// Every `*.py` file of the snapshot.
    public var pythonFiles: [String]
    /// Chat templates: Jinja that formats every prompt (and that an attacker who changes it
    /// controls), with where each lives and the SHA-256 of its text.
    public var chatTemplates: [ChatTemplate]
    /// Why `config.json`, `tokenizer_config.json` or a chat template file could not be read.
    public var problems: [String]

    /// The commit's date, as the Hub's revision answer gives it (`lastModified`), in seconds
    /// since 1970; nil when the snapshot was not resolved on a Hub just now.
    public var commitDate: Int64?

    /// Every file, sorted by path.
    public var files: [File]

    /// Who signed, when the files were vouched for by OpenPGP signatures (from the lock).
    public var signedBy: Fingerprint?
    /// The signature documents among `files` (from the lock).
    public var signatures: [String]
    /// The scanner whose verdicts `files` carry (`modelpin-scan/3`).
    public var scanner: String

    public struct File: Sendable, Equatable, Encodable {
        public var path: String
        public var size: Int64
        public var sha256: SHA256Digest
        public var lfs: Bool
        /// The format the scanner recognised (`safetensors`, `pickle`, `pytorch-zip`…); nil when
        /// the store keeps no verdict for these bytes under `scanner`.
        public var format: String?
        public var verdict: Verdict?
    }

    /// Where the card metadata came from.
    public enum CardSource: String, Sendable, Equatable, Encodable {
        /// The snapshot's `README.md` front matter (the store's blob).
        case readme
        /// The Hub's `cardData` (the README was not in the snapshot).
        case hub
        /// Neither: nothing is known about licences, task or datasets.
        case none
    }

    /// One `auto_map` entry: `file` (`config.json`), the Auto class, the code reference(s).
    public struct AutoMapEntry: Sendable, Equatable, Encodable {
        public var file: String
        public var autoClass: String
        public var references: [String]
    }

    /// One chat template.
    public struct ChatTemplate: Sendable, Equatable, Encodable {
        /// The file that holds it (`tokenizer_config.json`, `chat_template.jinja`…).
        public var file: String
        /// Its name when the file holds several (`default`, `tool_use`), else nil.
        public var name: String?
        /// SHA-256 of the template's text (UTF-8): equal to the file's for a `.jinja` file.
        public var sha256: SHA256Digest
        /// SHA-256 of the file that holds it.
        public var fileSHA256: SHA256Digest
        /// The text's length in bytes.
        public var size: Int
    }

    public var fileCount: Int { files.count }
    public var totalSize: Int64 { files.reduce(0) { $0 + $1.size } }
    /// Every format the scanner recognised, sorted, without repeats.
    public var formats: [String] { Array(Set(files.compactMap(\.format))).sorted() }
    /// Code from the repository would run with `trust_remote_code=True`.
    public var hasRemoteCode: Bool { !autoMap.isEmpty || !pythonFiles.isEmpty }

    public init(repo: String, commit: String, endpoint: String?, scanner: String) {
        self.repo = repo
        self.commit = commit
        self.endpoint = endpoint
        self.scanner = scanner
        card = ModelCardMetadata()
        cardSource = .none
        modelType = nil
        architectures = []
        autoMap = []
        pythonFiles = []
        chatTemplates = []
        problems = []
        files = []
        signatures = []
    }

    enum CodingKeys: String, CodingKey {
        case repo, commit, endpoint, card, cardSource = "card-source", cardProblem = "card-problem"
        case modelType = "model-type", architectures, autoMap = "auto-map", pythonFiles = "python-files"
        case chatTemplates = "chat-templates", problems, commitDate = "commit-date", files, signedBy = "signed-by"
        case signatures, scanner
    }
}
