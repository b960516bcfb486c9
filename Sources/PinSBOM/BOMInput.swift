public import PinModel

/// What a CycloneDX ML-BOM is written from: values only, gathered elsewhere (PinWorkspace's
/// SBOM operation, from the lock and the store's snapshots). PinSBOM does no I/O.
public struct BOMInput: Sendable {
    public enum SpecVersion: String, Sendable, CaseIterable {
        case v1_6 = "1.6"
        case v1_7 = "1.7"
    }

    public var specVersion: SpecVersion
    /// The tool that wrote the BOM (`modelpin`, its version).
    public var toolName: String
    public var toolVersion: String
    /// What the serial number is derived from (the lock's bytes): the same seed, the same
    /// `urn:uuid:`.
    public var serialSeed: [UInt8]
    /// `metadata.timestamp` (ISO 8601), only when asked for: without it the same lock gives
    /// the same bytes.
    public var timestamp: String?
    /// The lock's `policy-digest`, when a policy decided.
    public var policyDigest: String?
    public var models: [BOMModel]

    public init(
        specVersion: SpecVersion, toolName: String, toolVersion: String, serialSeed: [UInt8], timestamp: String? = nil,
        policyDigest: String? = nil, models: [BOMModel]
    ) {
        self.specVersion = specVersion
        self.toolName = toolName
        self.toolVersion = toolVersion
        self.serialSeed = serialSeed
        self.timestamp = timestamp
        self.policyDigest = policyDigest
        self.models = models
    }
}

/// One model (or dataset) snapshot in the BOM.
public struct BOMModel: Sendable {
    public struct File: Sendable {
        public var path: String
        public var size: Int64
        public var sha256: SHA256Digest
        /// The scanner's format and verdict for these bytes (nil: the store keeps none).
        public var format: String?
        public var verdict: String?

        public init(path: String, size: Int64, sha256: SHA256Digest, format: String?, verdict: String?) {
            self.path = path
            self.size = size
            self.sha256 = sha256
            self.format = format
            self.verdict = verdict
        }
    }

    public struct ChatTemplate: Sendable {
        public var file: String
        public var name: String?
        public var sha256: SHA256Digest
        public var size: Int

        public init(file: String, name: String?, sha256: SHA256Digest, size: Int) {
            self.file = file
            self.name = name
            self.sha256 = sha256
            self.size = size
        }
    }

    /// The lock's alias, when the model comes from a lock.
    public var alias: String?
    public var repo: RepoID
    public var commit: String
    /// The Hub it was resolved on.
    public var endpoint: String
    /// The branch or tag asked for, when known.
    public var revision: String?
    public var card: ModelCardMetadata
    public var modelType: String?
    public var architectures: [String]
    public var chatTemplates: [ChatTemplate]
    /// `auto_map` entries (`config.json: AutoModel → modeling_x.X`) and `*.py` files.
    public var remoteCode: [String]
    public var files: [File]
    public var scanner: String
    /// Required signers and who signed (OpenPGP primary fingerprints), the signature files.
    public var requiredSigners: [String]
    public var signedBy: String?
    public var signatures: [String]
    /// The lock's `policy` decision and its reasons, when a policy decided.
    public var policyDecision: String?
    public var policyReasons: [String]

    public init(repo: RepoID, commit: String, endpoint: String, scanner: String) {
        self.repo = repo
        self.commit = commit
        self.endpoint = endpoint
        self.scanner = scanner
        card = ModelCardMetadata()
        architectures = []
        chatTemplates = []
        remoteCode = []
        files = []
        requiredSigners = []
        signatures = []
        policyReasons = []
    }
}
