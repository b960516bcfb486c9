public import PinAudit
import PinModel

/// What an audit entry records, its `"kind"` (README, "What is logged"). Every operation's
/// entries end with one `operation` entry.
public enum AuditKind: String, Sendable, CaseIterable {
    /// One operation's end: its outcome and, when it failed or found problems, why (`reasons`).
    case operation
    /// One model (or dataset) an operation concerned: repo, commit, digests.
    case model
    /// A gate's decision (`gate`, `subject`): every one but the scan gate's per-file allows.
    case decision
    /// Pinned signers vouched for a model's files (`signer`, `documents`).
    case signature
    /// A scan verdict other than `safe` (`path`, `digest`; the verdict is the outcome).
    case scan
    /// A source's bytes for `path` were not admitted (`source`, `reasons`).
    case refusal
    /// A source could not give `path` and the next one was tried.
    case fallback
    /// A source could not be reached for any of `paths`.
    case sourceUnavailable = "source-unavailable"
    /// `serve` found other bytes than `digest` in the store's blob for `path`: not served.
    case servedBlobRefused = "served-blob-refused"
}

extension AuditEntry {
    /// A new entry of `kind`, timed now; `user` and `command` are stamped when the operation
    /// ends (`AuditRecorder.entries`). An empty outcome is the operation's.
    public init(_ kind: AuditKind, outcome: String, repo: String? = nil, extra: [String: CanonicalJSON] = [:], reasons: [String] = []) {
        self.init(
            time: AuditTime.now().description, user: "", command: "", kind: kind.rawValue, outcome: outcome, repo: repo, reasons: reasons,
            extra: extra)
    }

    /// `digests` from (path, digest) pairs.
    mutating func setDigests(_ pairs: some Sequence<(String, SHA256Digest)>) {
        digests = Dictionary(pairs.map { ($0.0, $0.1.description) }, uniquingKeysWith: { first, _ in first })
    }
}

extension CanonicalJSON {
    /// An array of strings.
    static func strings(_ values: [String]) -> CanonicalJSON { .array(values.map { .string($0) }) }
}
