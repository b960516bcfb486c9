public import PinLock
public import PinModel
public import PinScan
public import PinStore
import Synchronization
public import SystemPackage

/// The scan every model file passes before it is admitted into the store or laid out: code
/// that would run on load (a pickle's callables) and structurally invalid weights are refused.
///
/// Downloads are scanned after their digest is verified and before promotion, so an unsafe
/// file never gets a digest name; files already in the store are scanned before they are laid
/// out. A verdict is kept in the store (`verdicts/<scanner>/<hex>`), written here right after
/// the scan, and reused only for the same digest, the same scanner and a policy that still
/// accepts every callable it depended on. A lockfile's verdicts decide nothing: the lock is
/// input anyone can edit in a pull request. They are a record for review, and one that
/// disagrees with the scanner is an error naming both.
public final class ScanGate: Sendable {
    public let policy: ScanPolicy
    private let store: Store?
    /// What the locks record per digest, for comparison only.
    private let recorded: [SHA256Digest: RecordedVerdict]
    private let judgements: Mutex<[SHA256Digest: Judgement]>
    /// Where verdicts are reported and decisions reviewed and acted on.
    private let decisions: Decisions

    /// A verdict a lock records for a digest, and where.
    struct RecordedVerdict {
        let verdict: String
        let alias: String
        let path: String
        let scanner: String?
    }

    /// What this gate knows of a digest: a scan it ran, or a verdict the store kept.
    private enum Judgement {
        case scanned(ScanReport)
        case stored(Verdict, StoredVerdict)

        var verdict: Verdict {
            switch self {
            case .scanned(let report): report.verdict
            case .stored(let verdict, _): verdict
            }
        }
    }

    /// `store`: where verdicts are kept and looked up (nil: scan everything, keep nothing).
    /// `models`: locked models whose callables marked `accepted` are requests the user reviewed
    /// in the lock (they join the policy), and whose verdicts are compared with the scanner's.
    public init(policy: ScanPolicy, store: Store?, lockedModels models: [LockedModel] = [], decisions: Decisions = Decisions(events: DiscardEvents())) {
        var policy = policy
        var recorded: [SHA256Digest: RecordedVerdict] = [:]
        for model in models {
            policy.allowedGlobals.formUnion(model.files.flatMap(\.accepted))
            for file in model.files {
                guard let verdict = file.verdict else { continue }
                recorded[file.sha256] = RecordedVerdict(verdict: verdict.rawValue, alias: model.alias.rawValue, path: file.path, scanner: model.scanner)
            }
        }
        self.policy = policy
        self.store = store
        self.recorded = recorded
        self.decisions = decisions
        judgements = Mutex([:])
    }

    /// The admission check for the store: nil to admit, else why not (the decision as acted on).
    public var admission: Admission {
        { [self] path, digest, source in decisions.outcome(of: decide(path, digest: digest, name: source)) }
    }

    /// Judges the file at `path` (named `name` in reports), whose bytes hash to `digest`: by
    /// the verdict the store keeps for it, else by scanning it now (and keeping the verdict).
    public func decide(_ path: FilePath, digest: SHA256Digest, name: String) -> GateDecision {
        let judgement = judge(path, digest: digest, name: name)
        decisions.events.emit(.scanned(path: name, digest: digest, verdict: judgement.verdict))
        let decision: Decision = decide(judgement, digest: digest).map { .refuse($0) } ?? .allow
        return GateDecision(gate: .scan, subject: name, decision: decision)
    }

    private func judge(_ path: FilePath, digest: SHA256Digest, name: String) -> Judgement {
        if let known = judgements.withLock({ $0[digest] }) { return known }
        if let stored = reusableVerdict(for: digest) {
            let judgement = Judgement.stored(stored.0, stored.1)
            judgements.withLock { $0[digest] = judgement }
            return judgement
        }
        let report: ScanReport
        do {
            report = Scanner.scan(try FileSource(path), path: name, policy: policy)
        } catch {
            report = ScanReport(path: name, format: "unknown", findings: [
                Finding(verdict: .malformed, kind: "unreadable", detail: "\(error)"),
            ])
        }
        // Kept for the next pull. A record that cannot be written only costs a rescan then.
        try? store?.recordVerdict(
            StoredVerdict(verdict: report.verdict.rawValue, format: report.format, accepted: Self.accepted(in: report)),
            for: digest, scanner: ScannerIdentity.description)
        judgements.withLock { $0[digest] = .scanned(report) }
        return .scanned(report)
    }

    /// Scans a blob already in the store (unless its verdict is kept), named by the repo path
    /// it will be laid out at.
    public func check(blobOf digest: SHA256Digest, in store: Store, name: String) throws {
        try decisions.act(decide(try store.path(of: digest), digest: digest, name: name))
    }

    /// The store's verdict for `digest`, if it may stand: the same scanner wrote it, this policy
    /// admits it by its verdict alone (so `--strict` rescans what was `unsupported`, and remote
    /// code admitted by `--allow-remote-code` is judged again on every run), and the policy still
    /// accepts every callable it depended on. A refusal is never reused: the file is scanned
    /// again, so that the error can show every finding.
    private func reusableVerdict(for digest: SHA256Digest) -> (Verdict, StoredVerdict)? {
        guard let stored = store?.storedVerdict(for: digest, scanner: ScannerIdentity.description),
              let verdict = Verdict(rawValue: stored.verdict), policy.admits(verdict),
              Set(stored.accepted).isSubset(of: policy.allowedGlobals)
        else { return nil }
        return (verdict, stored)
    }

    private func decide(_ judgement: Judgement, digest: SHA256Digest) -> (any ModelpinError)? {
        let verdict = judgement.verdict
        let admitted = switch judgement {
        case .scanned(let report): policy.admits(report)
        case .stored: true  // only admitting verdicts are reused (`reusableVerdict`)
        }
        if let recorded = recorded[digest], recorded.verdict != verdict.rawValue {
            let report: ScanReport? = if case .scanned(let report) = judgement { report } else { nil }
            return VerdictDisagreement(
                alias: recorded.alias, path: recorded.path, digest: digest, locked: recorded.verdict,
                lockScanner: recorded.scanner, scanned: verdict, admitted: admitted, report: report)
        }
        guard !admitted, case .scanned(let report) = judgement else { return nil }
        return ScanRefusal(report: report)
    }

    private static func accepted(in report: ScanReport) -> [String] {
        Set(report.findings.filter { $0.kind == Finding.acceptedKind }.compactMap(\.callable)).sorted()
    }

    /// What this gate found for a digest it judged: the verdict and the callables the policy
    /// accepted in it (what a lock records); nil for a digest it has not judged.
    public func judged(_ digest: SHA256Digest) -> (verdict: Verdict, accepted: [String])? {
        switch judgements.withLock({ $0[digest] }) {
        case .scanned(let report)?: (report.verdict, Self.accepted(in: report))
        case .stored(let verdict, let stored)?: (verdict, stored.accepted)
        case nil: nil
        }
    }
}

/// A lockfile records one verdict for a file and the scanner finds another. The lock is only
/// a record (anyone can edit it in a pull request), so the scanner decides; the disagreement
/// itself is refused, because a lock that says otherwise was edited by hand or is stale.
public struct VerdictDisagreement: ModelpinError, Encodable {
    public let alias: String
    public let path: String
    public let digest: SHA256Digest
    public let locked: String
    public let lockScanner: String?
    public let scanned: Verdict
    /// Whether the policy admits the file as the scanner judges it.
    public let admitted: Bool
    public let report: ScanReport?

    public var kind: FailureKind { .refused }

    public var description: String {
        "`\(alias)`: `\(path)` is locked as `\(locked)`, but the scanner judges it `\(scanned.rawValue)`"
    }

    public var causes: [String] {
        var lines = [
            "modelpin.lock: verdict = \"\(locked)\"" + (lockScanner.map { " (scanner \($0))" } ?? ""),
            "scanner \(ScannerIdentity.description): \(scanned.rawValue) for \(digest)",
        ]
        if let report { lines += ScanRefusal(report: report).causes }
        return lines
    }

    public var hint: String? {
        admitted
            ? "nothing was laid out; the lock's verdict is not the scanner's: run `modelpin lock --update \(alias)` to record what the scanner finds"
            : "nothing was laid out; a lock that calls this file `\(locked)` was edited by hand or by another tool: review the change that made it"
    }
}

public struct ScanRefusal: ModelpinError, Encodable {
    public let report: ScanReport

    public var kind: FailureKind { .refused }

    public var description: String {
        let remoteCodeOnly = report.verdict == .suspicious
            && report.findings.allSatisfy { $0.verdict != .suspicious || $0.kind == Finding.remoteCodeKind }
        let what = switch report.verdict {
        case .suspicious where remoteCodeOnly: "is the repository's own code, run by loaders that trust remote code; admit it with --allow-remote-code"
        case .unsafe: "would run code or reach outside the model when loaded"
        case .suspicious: "calls something modelpin does not know to be safe when loaded"
        case .malformed: "is not a valid \(report.format == "unknown" ? "model" : report.format) file"
        case .safe: "is safe"
        case .unsupported: "is in no format modelpin recognises, and --strict refuses what was not checked"
        }
        return "`\(report.path)` \(what) (\(report.verdict.rawValue), \(report.format))"
    }

    public var causes: [String] {
        report.findings.filter { $0.verdict != .safe }.prefix(20).map { finding in
            var line = finding.detail
            if let member = finding.member { line += " [in \(member)]" }
            if let offset = finding.offset, !finding.detail.contains("offset \(offset)") { line += " at offset \(offset)" }
            return line
        }
    }

    public var hint: String? {
        switch report.verdict {
        case .suspicious where report.findings.contains(where: { $0.kind == Finding.remoteCodeKind }):
            return "nothing was stored; if you will run this repository's own code, say so with --allow-remote-code"
        case .unsupported:
            return "nothing was stored; without --strict (and MODELPIN_STRICT) such a file is admitted and listed as `unsupported`"
        case .suspicious:
            let callables = report.findings.compactMap(\.callable)
            return "nothing was stored; if you trust this callable, accept it explicitly with "
                + (callables.first.map { "--allow-global \($0)" } ?? "--allow-global MODULE.NAME")
        case .unsafe: return "nothing was stored or laid out; prefer a safetensors version of the model"
        default: return "nothing was stored or laid out"
        }
    }
}
