public import PinHub
public import PinModel
public import PinNames
public import PinScan
public import PinStore
public import PinTransport
public import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// What to pull and where to put it.
public struct PullRequest: Sendable {
    /// The repo id as the user typed it (checked against the allowlist first).
    public var name: String
    /// A branch, tag or commit.
    public var revision: String
    /// fnmatch patterns: only matching paths are pulled (all when empty).
    public var include: [String] = []
    /// fnmatch patterns: matching paths are skipped.
    public var exclude: [String] = []
    /// Exactly these repo paths (`hf download`'s file names; all when empty): compared as they
    /// are, never as patterns, and each must be in the snapshot.
    public var files: [String] = []
    /// The directory a model loader reads from; nil: `models/<owner>/<name>` under `workingDirectory`.
    public var destination: FilePath?
    public var workingDirectory: FilePath
    public var linkMode: LinkMode = .copy
    /// Fetch an id that is not on the allowlist (typosquats are refused regardless).
    public var allowUnlisted = false
    /// Resolve from the snapshots the store recorded, never the network (`--offline`,
    /// `HF_HUB_OFFLINE=1`): every file must be in the store.
    public var offline = false
    /// Replace files in the directory that modelpin did not lay out there and that hold other
    /// bytes (`--force`); without it such a file stops the pull before anything is written.
    public var force = false
    /// `--hf-cache`: also write the snapshot into this Hugging Face cache root (`HFCacheWriter`).
    public var hfCache: FilePath?
    /// False: no model directory is laid out (`pull --hf-cache` without `--to`: the cache is
    /// the output, as `hf download` without `--local-dir`).
    public var layOutDirectory = true

    public init(name: String, revision: String, workingDirectory: FilePath) {
        self.name = name
        self.revision = revision
        self.workingDirectory = workingDirectory
    }
}

/// How to pull.
public struct PullSettings: Sendable {
    /// Transfers at once (whole files or parts of large ones).
    public var connections = PullSettings.defaultConnections
    /// Two per core, between 2 and 8. More connections only help when each is throttled (a
    /// far CDN); on a small machine, writers of one file contend in the kernel: measured on 2
    /// cores, 8 connections took twice as long as 4 for the same 2 GiB.
    public static var defaultConnections: Int {
        min(8, max(2, 2 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }
    /// Files larger than this are fetched in parts of this size, several at once.
    public var partSize: Int64 = 64 << 20
    public var policy: TransportPolicy
    public var endpoint: HubEndpoint
    /// nil when no allowlist is configured (a warning says names are not checked).
    public var names: NameChecker?
    public var allowlistSource: String?
    /// The gpg executable gpgme drives; nil: gpgme's default.
    public var gpgPath: String?
    /// What the scan accepts beyond its built-in allowlist (`--allow-global`).
    public var scanPolicy = ScanPolicy()
    /// Where HTTP connections come from: libcurl, or an in-process fake in tests. The policy
    /// above applies whichever it is (`HTTPClient` enforces it).
    public var transport: any HTTPTransport = CurlTransport()
    /// How OCI registries are reached (`pull oci://…`, `--mirror oci://…`); nil: not at all.
    public var registry: RegistryAccess?

    public init(endpoint: HubEndpoint, policy: TransportPolicy) {
        self.endpoint = endpoint
        self.policy = policy
    }
}

/// What a pull did, for `--json` and the final line: the resolved snapshot and, per file, the
/// facts the event stream reported (`PullLedger`).
public struct PullSummary: Sendable, Encodable {
    public struct File: Sendable, Encodable {
        /// Where a file's bytes came from in this pull.
        public enum Source: String, Sendable, Encodable {
            /// Fetched now, from `servedBy`.
            case downloaded
            /// The store held them already.
            case store
        }

        public let path: String
        public let size: Int64
        public let sha256: SHA256Digest
        public let gitBlobID: GitBlobID
        public let lfs: Bool
        public let source: Source
        /// The endpoint or mirror that served the bytes now; absent when they were in the store.
        public let servedBy: String?
        public let materialized: MaterializeMethod?
        /// The scan verdict it was admitted with: `safe`, `unsupported` (not checked), or
        /// `suspicious` under --allow-remote-code.
        public let verdict: Verdict
    }

    public let repo: String
    public let revision: String
    public let commit: String
    /// Where the snapshot was resolved.
    public let endpoint: String
    public let destination: String
    public let files: [File]
    public let bytes: Int64
    public let downloadedBytes: Int64
    public let resumedBytes: Int64
    public let seconds: Double
    /// For a model from an OCI registry: its manifest's digest (`commit` holds its hex digits).
    public let manifest: String?
    /// For a model from an OCI registry: what is attached to its manifest, and what was verified.
    public internal(set) var attachments: [AttachmentReport]?
    /// What `--hf-cache` wrote; absent without it.
    public internal(set) var hfCache: HFCacheWriter.Outcome?

    init(
        snapshot: ResolvedSnapshot, destination: ModelDirectory, digests: [String: SHA256Digest], ledger: PullLedger,
        downloadedBytes: Int64, resumedBytes: Int64, seconds: Double
    ) {
        files = snapshot.files.map { file in
            let digest = digests[file.path]!
            let origin = ledger.origin(of: digest) ?? .store
            return File(
                path: file.path, size: file.size, sha256: digest, gitBlobID: file.gitBlobID, lfs: file.isLFS,
                source: origin == .store ? .store : .downloaded, servedBy: origin.source,
                materialized: ledger.method(of: file.path) ?? nil, verdict: ledger.verdict(of: digest) ?? .safe)
        }
        repo = snapshot.registry?.repository ?? snapshot.repo.description
        revision = snapshot.revision
        commit = snapshot.commit.hex
        manifest = snapshot.registry != nil ? snapshot.commit.ociManifest?.description : nil
        endpoint = snapshot.endpoint
        self.destination = destination.path.string
        bytes = files.reduce(0) { $0 + $1.size }
        self.downloadedBytes = downloadedBytes
        self.resumedBytes = resumedBytes
        self.seconds = seconds
    }
}

/// Why a pull stopped.
public enum PullError: ModelpinError {
    case interrupted
    case noMatchingFiles(repo: String, include: [String], exclude: [String])
    /// Files named on the command line that the snapshot does not have.
    case filesNotInSnapshot(repo: String, revision: String, paths: [String])
    /// `--offline`, and the store recorded no snapshot of the repo at that revision.
    case notRecorded(repo: String, revision: String)
    /// `--offline`, and the recorded snapshot names files the store no longer holds (`gc`).
    case notStored(repo: String, paths: [String])
    /// The source could not be reached, and the store recorded this revision before: said, and
    /// left to the user (`--offline`), never used silently.
    case unreachable(repo: String, revision: String, recorded: CommitID, underlying: any ModelpinError)
    case unsafeDestination(FilePath, reason: String)
    /// The server says a file has another size than the listing promised.
    case sizeMismatch(path: String, listed: Int64, served: Int64)
    case download(path: String, underlying: any Error)
    /// Files at paths the snapshot writes that modelpin did not lay out there and that hold
    /// other bytes: the user's own, not replaced without `--force` (full paths).
    case wouldOverwrite([FilePath])

    public var kind: FailureKind {
        switch self {
        case .interrupted: .operational
        case .noMatchingFiles, .filesNotInSnapshot: .usage
        case .notRecorded, .notStored: .operational
        case .unreachable(_, _, _, let error): error.kind
        case .unsafeDestination, .sizeMismatch: .refused
        case .wouldOverwrite: .refused
        case .download(_, let error): (error as? any ModelpinError)?.kind ?? .operational
        }
    }

    public var description: String {
        switch self {
        case .interrupted: "interrupted"
        case .noMatchingFiles(let repo, _, _): "no file of `\(repo)` matches the --include/--exclude patterns"
        case .filesNotInSnapshot(let repo, let revision, let paths):
            "`\(repo)@\(revision)` has no file " + paths.map { "`\($0)`" }.joined(separator: ", ")
        case .notRecorded(let repo, let revision): "offline, and the store has no snapshot of `\(repo)@\(revision)`"
        case .notStored(let repo, let paths): "offline, and \(paths.count == 1 ? "a file" : "\(paths.count) files") of `\(repo)` are no longer in the store"
        case .unreachable(_, _, _, let error): error.description
        case .unsafeDestination(let path, _): "cannot write into `\(path)`"
        case .sizeMismatch(let path, let listed, let served):
            "`\(path)` is listed as \(listed) bytes but the server sends \(served)"
        case .download(let path, let error): "`\(path)`: " + ((error as? any ModelpinError)?.description ?? "\(error)")
        case .wouldOverwrite(let paths):
            "\(paths.count == 1 ? "a file" : "\(paths.count) files") that modelpin did not lay out would be replaced; nothing was changed"
        }
    }

    public var causes: [String] {
        switch self {
        case .noMatchingFiles(_, let include, let exclude):
            (include.isEmpty ? [] : ["include: " + include.joined(separator: " ")]) + (exclude.isEmpty ? [] : ["exclude: " + exclude.joined(separator: " ")])
        case .unsafeDestination(_, let reason): [reason]
        case .notStored(_, let paths): paths
        case .wouldOverwrite(let paths): paths.map { "`\($0)` holds other bytes than the snapshot's file" }
        case .unreachable(_, _, _, let error): error.causes
        case .download(_, let error as any ModelpinError): error.causes
        default: []
        }
    }

    public var hint: String? {
        switch self {
        case .interrupted: "run the same command again to resume"
        case .filesNotInSnapshot: "file names are whole paths in the repository, as the Hub lists them (`onnx/model.onnx`); use --include for patterns"
        case .noMatchingFiles: "patterns match whole paths, as fnmatch does: `*.safetensors`, `tokenizer/*`"
        case .sizeMismatch: "nothing was stored; the listing or the server is wrong"
        case .notRecorded(let repo, _):
            "a pull by name records its snapshot in the store; pull `\(repo)` once while online (`modelpin store snapshots` lists what is recorded)"
        case .notStored: "pull it again while online; `store gc` removed blobs nothing referenced"
        case .unreachable(let repo, let revision, let commit, _):
            "the store recorded `\(repo)@\(revision)` before, at commit \(commit.short); to use that snapshot, pull with --offline (or HF_HUB_OFFLINE=1)"
        case .download(_, let error as any ModelpinError): error.hint
        case .wouldOverwrite:
            "move them out of the way (or pull into another directory), or pass --force to replace them with the snapshot's files"
        default: nil
        }
    }
}
