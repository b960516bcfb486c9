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

    /// The commit's date, as the Hub's revision answer gives it (`lastModified`, ISO 8601);
    /// nil when the snapshot was not resolved on a Hub just now.
    public var commitDate: String?

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

    /// The commit date as a point in time (nil when unknown or not ISO 8601).
    public var committed: Timestamp? { commitDate.flatMap(Timestamp.init(iso8601:)) }

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

/// Seconds since the Unix epoch (UTC), from an ISO 8601 date-time as the Hub writes it
/// (`2024-07-23T16:08:02.000Z`). Parsed by hand: a fixed shape, and Foundation's ISO 8601
/// parsing differs between its platform implementations in what fractions and offsets it takes.
public struct Timestamp: Sendable, Equatable, Comparable {
    public var secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) {
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil for anything else.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 40 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return bytes[range].reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
        }
        guard let year = number(0..<4), bytes[4] == UInt8(ascii: "-"), let month = number(5..<7), bytes[7] == UInt8(ascii: "-"),
              let day = number(8..<10), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              let hour = number(11..<13), bytes[13] == UInt8(ascii: ":"), let minute = number(14..<16),
              bytes[16] == UInt8(ascii: ":"), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var rest = bytes[19...]
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            let digits = rest.prefix { (0x30...0x39).contains($0) }
            guard !digits.isEmpty else { return nil }
            rest = rest.dropFirst(digits.count)
        }
        var offset: Int64 = 0
        if rest.elementsEqual("Z".utf8) {
            offset = 0
        } else {
            let zone = Array(rest)
            guard zone.count == 6, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"), zone[3] == UInt8(ascii: ":"),
                  zone[1...2].allSatisfy({ (0x30...0x39).contains($0) }), zone[4...5].allSatisfy({ (0x30...0x39).contains($0) })
            else { return nil }
            let hours = Int64(zone[1] - 0x30) * 10 + Int64(zone[2] - 0x30)
            let minutes = Int64(zone[4] - 0x30) * 10 + Int64(zone[5] - 0x30)
            offset = (hours * 60 + minutes) * 60 * (zone[0] == UInt8(ascii: "-") ? -1 : 1)
        }
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        secondsSinceEpoch = days * 86_400 + hour * 3600 + minute * 60 + second - offset
    }

    /// Howard Hinnant's days-from-civil: the proleptic Gregorian calendar, exact for all years here.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }
}
