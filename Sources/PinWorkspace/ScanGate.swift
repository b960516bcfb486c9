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
/// out, unless the lock records a verdict for the same digest under the same scanner.
public final class ScanGate: Sendable {
    public let policy: ScanPolicy
    /// Digests a lock already vouches for under the current scanner (not scanned again), with
    /// the callables it accepted for them.
    private let judged: [SHA256Digest: [String]]
    /// Those of `judged` the lock records as `unsupported` (not checked), so that the lock and the
    /// summary keep saying so.
    private let judgedUnsupported: Set<SHA256Digest>
    private let reports: Mutex<[SHA256Digest: ScanReport]>

    public convenience init(policy: ScanPolicy) {
        self.init(policy: policy, judged: [:])
    }

    /// A gate that takes the locked models' word: their safe verdicts under the current scanner
    /// stand, and the callables they record as accepted stay accepted when a newer scanner rescans.
    public convenience init(policy: ScanPolicy, vouchedBy models: [LockedModel]) {
        var policy = policy
        var judged: [SHA256Digest: [String]] = [:]
        var unsupported: Set<SHA256Digest> = []
        for model in models {
            policy.allowedGlobals.formUnion(model.files.flatMap(\.accepted))
            guard model.scanner == ScannerIdentity.description else { continue }
            for file in model.files {
                // The lock's word counts only for a verdict this policy admits: under --strict an
                // `unsupported` file is refused, whatever the lock says.
                guard let verdict = file.verdict.flatMap(Verdict.init(rawValue:)), policy.admits(verdict) else { continue }
                judged[file.sha256] = file.accepted
                if verdict == .unsupported { unsupported.insert(file.sha256) }
            }
        }
        self.init(policy: policy, judged: judged, unsupported: unsupported)
    }

    private init(policy: ScanPolicy, judged: [SHA256Digest: [String]], unsupported: Set<SHA256Digest> = []) {
        self.policy = policy
        self.judged = judged
        judgedUnsupported = unsupported
        reports = Mutex([:])
    }

    /// The admission check for the store: nil to admit, else why not.
    public var admission: Admission {
        { [self] path, digest, source in check(path, digest: digest, name: source) }
    }

    /// Scans the file at `path` (named `name` in reports) unless its digest was judged already.
    public func check(_ path: FilePath, digest: SHA256Digest, name: String) -> ScanRefusal? {
        if judged[digest] != nil { return nil }
        if let known = reports.withLock({ $0[digest] }) {
            return policy.admits(known) ? nil : ScanRefusal(report: known)
        }
        let report: ScanReport
        do {
            report = Scanner.scan(try FileSource(path), path: name, policy: policy)
        } catch {
            report = ScanReport(path: name, format: "unknown", findings: [
                Finding(verdict: .malformed, kind: "unreadable", detail: "\(error)"),
            ])
        }
        reports.withLock { $0[digest] = report }
        return policy.admits(report) ? nil : ScanRefusal(report: report)
    }

    /// Scans a blob already in the store, named by the repo path it will be laid out at.
    public func check(blobOf digest: SHA256Digest, in store: Store, name: String) throws {
        if judged[digest] != nil { return }  // before resolving the path: a stat per file adds up
        if let refusal = check(try store.path(of: digest), digest: digest, name: name) { throw refusal }
    }

    /// The callables accepted in the digest's file: by the policy if this gate scanned it, else
    /// as the vouching lock records them. nil for a digest this gate knows nothing of.
    public func accepted(for digest: SHA256Digest) -> [String]? {
        guard let report = reports.withLock({ $0[digest] }) else { return judged[digest] }
        return Set(report.findings.filter { $0.kind == Finding.acceptedKind }.compactMap(\.callable)).sorted()
    }

    /// The verdict for a digest this gate judged (or that the lock vouched for).
    public func verdict(for digest: SHA256Digest) -> Verdict? {
        if judged[digest] != nil { return judgedUnsupported.contains(digest) ? .unsupported : .safe }
        return reports.withLock { $0[digest]?.verdict }
    }
}

/// A file refused by the scan: its report, rendered for a person (and as data for `--json`).
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
