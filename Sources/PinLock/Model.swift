public import PinModel

// The domain values of a project: what a person asked for (`Manifest`, from modelpin.toml) and
// exactly what they got (`Lockfile`, modelpin.lock). Their on-disk formats live in
// ManifestFormat.swift and LockfileFormat.swift, kept apart so that a format can change
// version without the rest of modelpin noticing.

/// `modelpin.toml`: written by a person (comments and order are theirs; modelpin edits it only
/// by appending or removing a whole `[models.ALIAS]` table).
public struct Manifest: Sendable, Equatable {
    public static let fileName = "modelpin.toml"
    public static let currentVersion = 1

    /// The Hub to resolve against; nil: `--endpoint`, `MODELPIN_ENDPOINT`, `HF_ENDPOINT`, the Hub.
    public var endpoint: String?
    /// The allowlist file, as written (relative paths are relative to the manifest's directory).
    public var allowlist: String?
    /// Where `lock` and `pull` write the audit log's signed checkpoint after their entries
    /// (`audit-checkpoint`), relative to the manifest's directory; a safe relative path
    /// (`PathSafety`), written without following symbolic links. nil: no checkpoint file.
    public var auditCheckpoint: String?
    /// Sorted by alias.
    public var models: [ModelRequest]

    public init(endpoint: String? = nil, allowlist: String? = nil, models: [ModelRequest] = []) {
        self.endpoint = endpoint
        self.allowlist = allowlist
        self.models = models.sorted { $0.alias < $1.alias }
    }

    public func model(_ alias: ModelAlias) -> ModelRequest? { models.first { $0.alias == alias } }
    /// The model named `alias` as a person typed it (a command-line argument).
    public func model(_ alias: String) -> ModelRequest? { models.first { $0.alias.rawValue == alias } }
}

/// One `[models.ALIAS]` table.
public struct ModelRequest: Sendable, Equatable {
    public var alias: ModelAlias
    /// The repo id as the person wrote it (checked against the allowlist on every lock).
    public var repo: String
    /// A branch, tag or 40-hex commit.
    public var revision: String
    public var include: [String]
    public var exclude: [String]
    /// `to`: the directory to lay the model out in, as written (relative to the manifest's
    /// directory); nil: `models/ORG/NAME`.
    public var directory: String?
    /// OpenPGP fingerprints (primary keys), sorted; when not empty, every file must be vouched
    /// for by a good signature of one of them.
    public var signers: [Fingerprint]
    /// OMS signers (`oms-key:…`, `oms-cert:…` in the same `signers` list), sorted; a good
    /// `model.sig` of one of them vouches for every file as well as an OpenPGP signature does.
    public var omsSigners: [OMSSigner] = []
    /// `layout`: where `pull` puts the model (a directory, or the Hugging Face cache).
    public var layout: ModelLayout = .directory

    /// Every pinned signer, of either kind, sorted.
    public var pinnedSigners: [SignerID] { (signers.map(SignerID.openpgp) + omsSigners.map(SignerID.oms)).sorted() }

    /// A model from an OCI registry (`source = "oci://…"`): `repo` is `oci://HOST[:PORT]/REPO`
    /// and `revision` its tag or `sha256:…` digest.
    public var isOCI: Bool { repo.hasPrefix(ModelRequest.ociScheme) }

    public static let ociScheme = "oci://"

    /// `oci://HOST/REPO:TAG` → (`oci://HOST/REPO`, `TAG`); `…@sha256:HEX` → the digest as the
    /// revision; no tag → `latest`. nil when the text is not of that form at all (no scheme, no
    /// repository path). Only the split: the registry module parses the reference strictly.
    public static func splitOCI(_ text: String) -> (repo: String, revision: String)? {
        guard text.hasPrefix(ociScheme) else { return nil }
        let rest = text.dropFirst(ociScheme.count)
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else { return nil }
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard at > slash, !digest.isEmpty else { return nil }
            return (ociScheme + rest[..<at], String(digest))
        }
        let path = rest[rest.index(after: slash)...]
        if let colon = path.lastIndex(of: ":") {
            let tag = path[path.index(after: colon)...]
            guard !tag.isEmpty, colon != path.startIndex else { return nil }
            return (ociScheme + rest[..<colon], String(tag))
        }
        return (String(text), "latest")
    }

    public init(
        alias: ModelAlias, repo: String, revision: String = "main", include: [String] = [], exclude: [String] = [],
        directory: String? = nil, signers: [Fingerprint] = []
    ) {
        self.alias = alias
        self.repo = repo
        self.revision = revision
        self.include = include
        self.exclude = exclude
        self.directory = directory
        self.signers = signers.sorted()
    }
}

/// Where a project's model is laid out by `pull`.
public enum ModelLayout: String, Sendable, Equatable, CaseIterable {
    /// Its own directory (`to`, default `models/ORG/NAME`).
    case directory
    /// The Hugging Face cache (`modelpin export --hf-cache`), where `from_pretrained("org/name")`
    /// finds it; no directory is made.
    case hfCache = "hf-cache"
    /// Resolved on an OCI registry (`repo` is `oci://HOST[:PORT]/REPO`): the snapshot is the
    /// manifest written as `manifest = "sha256:…"` (in `commit`, see `CommitID(ociManifest:)`),
    /// and every file is one of its layers, `sha256` the layer's digest.
    case oci
}

/// `modelpin.lock`: written only by modelpin, in canonical form (`LockfileFormat.render`).
public struct Lockfile: Sendable, Equatable {
    public static let fileName = "modelpin.lock"
    public static let currentVersion = 1

    /// Sorted by alias.
    public var models: [LockedModel]
    /// The digest of the admission policy every model's `policy` decision was made under (its
    /// canonical form, so reformatting the TOML does not change it); nil: no policy applied.
    public var policyDigest: SHA256Digest?

    public init(models: [LockedModel] = [], policyDigest: SHA256Digest? = nil) {
        self.models = models.sorted { $0.alias < $1.alias }
        self.policyDigest = policyDigest
    }

    public func model(_ alias: ModelAlias) -> LockedModel? { models.first { $0.alias == alias } }
    /// The model named `alias` as a person typed it (a command-line argument).
    public func model(_ alias: String) -> LockedModel? { models.first { $0.alias.rawValue == alias } }
}

/// One model as resolved: the request it answers and the exact bytes it names.
public struct LockedModel: Sendable, Equatable {
    public var alias: ModelAlias
    /// What was asked (`--locked` compares these with the manifest).
    public var requestedRepo: String
    public var requestedRevision: String
    public var include: [String]
    public var exclude: [String]
    /// What it resolved to.
    public var endpoint: String
    /// The canonical repo id, as the Hub spells it.
    public var repo: String
    public var commit: CommitID
    /// Sorted by path.
    public var files: [LockedFile]
    /// The signers the manifest required (sorted); empty when none.
    public var signers: [Fingerprint]
    /// Whose good signature vouched for the files (a primary fingerprint), when signers are required.
    public var signedBy: Fingerprint?
    /// The OMS signers the manifest required (sorted; `signers` holds the OpenPGP ones).
    public var omsSigners: [OMSSigner] = []
    /// The OMS signer whose good `model.sig` vouched for the files (then `signedBy` is nil).
    public var omsSignedBy: OMSSigner?
    /// The signature documents that did (paths among `files`, sorted).
    public var signatures: [String]
    /// The scanner that judged every file (`modelpin-scan/3`): a verdict means something only
    /// together with the rules that produced it. nil: not scanned (a lock from before scanning).
    public var scanner: String?
    /// Where the facts came from when not from resolving against `endpoint`: `.hfCache` for a
    /// snapshot adopted from a Hugging Face cache (`import --hf-cache --lock`), which no Hub has
    /// confirmed yet; `lock --update` confirms it and drops the mark. nil: resolved on a Hub.
    public var source: LockSource?
    /// What the admission policy (the lock's `policyDigest`) decided for this model when it was
    /// locked; nil: no policy applied. A record for review, like a verdict: pulls decide again.
    public var policy: LockedPolicy?

    public init(
        alias: ModelAlias, requestedRepo: String, requestedRevision: String, include: [String], exclude: [String],
        endpoint: String, repo: String, commit: CommitID, files: [LockedFile],
        signers: [Fingerprint] = [], signedBy: Fingerprint? = nil, signatures: [String] = []
    ) {
        self.signers = signers.sorted()
        self.signedBy = signedBy
        self.signatures = signatures.sorted()
        self.scanner = nil
        self.source = nil
        self.policy = nil
        self.alias = alias
        self.requestedRepo = requestedRepo
        self.requestedRevision = requestedRevision
        self.include = include
        self.exclude = exclude
        self.endpoint = endpoint
        self.repo = repo
        self.commit = commit
        self.files = files.sorted { $0.path < $1.path }
    }

    public var totalSize: Int64 { files.reduce(0) { $0 + $1.size } }

    /// A model from an OCI registry (`source = "oci"`): its `commit` is its manifest's digest.
    public var isOCI: Bool { source == .oci }

    /// Every pinned signer, of either kind, sorted; empty when the model requires none.
    public var pinnedSigners: [SignerID] { (signers.map(SignerID.openpgp) + omsSigners.map(SignerID.oms)).sorted() }

    /// Who vouched for the files, of either kind.
    public var vouchedBy: SignerID? {
        if let omsSignedBy { return .oms(omsSignedBy) }
        return signedBy.map(SignerID.openpgp)
    }

    /// Records `signer` as the one who vouched (in `signedBy` or `omsSignedBy` by its kind).
    public mutating func setVouchedBy(_ signer: SignerID?) {
        switch signer {
        case .openpgp(let fingerprint): (signedBy, omsSignedBy) = (fingerprint, nil)
        case .oms(let oms): (signedBy, omsSignedBy) = (nil, oms)
        case nil: (signedBy, omsSignedBy) = (nil, nil)
        }
    }

    /// Sets both pinned lists from `pins`.
    public mutating func pin(_ pins: [SignerID]) {
        (signers, omsSigners) = SignerID.split(pins)
    }
}

/// A model's admission-policy decision as the lock records it (`policy`, `policy-reasons`).
/// Only the decisions that let a model in: a block never reaches a lock (a dry run records it
/// as `log`).
public struct LockedPolicy: Sendable, Equatable {
    public enum Decision: String, Sendable, Equatable, CaseIterable {
        case allow
        case log
    }

    public var decision: Decision
    /// `rule-name: reason`, one per rule (or waiver) that matched; sorted.
    public var reasons: [String]

    public init(decision: Decision, reasons: [String] = []) {
        self.decision = decision
        self.reasons = reasons.sorted()
    }
}

/// Where a locked model's facts came from, when not from a Hub (`source` in modelpin.lock).
public enum LockSource: String, Sendable, Equatable, CaseIterable {
    /// Adopted from a Hugging Face cache: every file was checked against its cache name (its
    /// SHA-256 or git blob id) and scanned, but no Hub said this commit holds these files.
    case hfCache = "hf-cache"
    /// Resolved on an OCI registry (`repo` is `oci://HOST[:PORT]/REPO`): the snapshot is the
    /// manifest written as `manifest = "sha256:…"` (in `commit`, see `CommitID(ociManifest:)`),
    /// and every file is one of its layers, `sha256` the layer's digest.
    case oci
}

/// One file of a locked model.
public struct LockedFile: Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var sha256: SHA256Digest
    /// The git blob id the Hub lists for the file (for LFS files, the id of the pointer).
    public var gitBlobID: GitBlobID
    /// Whether the Hub stores it in LFS (then `sha256` is also the Hub's LFS oid).
    public var lfs: Bool
    /// The scan verdict for these bytes under the model's `scanner`: `safe`; `unsupported` for
    /// content that was not checked (admitted unless `--strict`); `suspicious` only for the
    /// repository's own code admitted with `--allow-remote-code` (which every pull of it must
    /// repeat). Anything else refuses the pull, so it is never locked. nil when the model has no
    /// scanner.
    public var verdict: Verdict?
    /// Pickle callables the user accepted (`--allow-global`) when these bytes were judged safe:
    /// the decision is recorded with the verdict, for review and for later pulls. Sorted.
    public var accepted: [String]

    public init(
        path: String, size: Int64, sha256: SHA256Digest, gitBlobID: GitBlobID, lfs: Bool, verdict: Verdict? = nil,
        accepted: [String] = []
    ) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.gitBlobID = gitBlobID
        self.lfs = lfs
        self.verdict = verdict
        self.accepted = accepted
    }
}
