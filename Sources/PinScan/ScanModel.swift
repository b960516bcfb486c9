public import PinModel

// The values every scanner in PinScan produces and consumes. Scanners are pure functions over
// bytes (a `ByteSource`): they never execute, import or deserialize anything, never read a
// tensor payload they do not need, and report every error as a `malformed` verdict — never as
// clean.

/// One thing a scanner noticed.
public struct Finding: Codable, Sendable, Equatable {
    /// The verdict this finding alone implies.
    public var verdict: Verdict
    /// A stable, machine-readable kind: `global` (a callable in a pickle), `malformed`,
    /// `zip-header-mismatch`, `lambda-layer`, `external-data`, …
    public var kind: String
    /// One sentence for a person.
    public var detail: String
    /// The callable, `module.name`, for `global` findings.
    public var callable: String?
    /// How the callable is used (`REDUCE`, `BUILD`, `NEWOBJ`, `NEWOBJ_EX`, `OBJ`, `INST`, `EXT`…).
    public var uses: [String]?
    /// Where in the file (or in `member`) it was found.
    public var offset: Int64?
    /// The archive member (zip entry) or nested object it was found in, if any.
    public var member: String?

    public init(
        verdict: Verdict, kind: String, detail: String, callable: String? = nil, uses: [String]? = nil,
        offset: Int64? = nil, member: String? = nil
    ) {
        self.verdict = verdict
        self.kind = kind
        self.detail = detail
        self.callable = callable
        self.uses = uses
        self.offset = offset
        self.member = member
    }
}

/// The result for one file.
extension Finding {
    /// The kind of a `safe` finding that records a callable the policy accepted (`--allow-global`).
    public static let acceptedKind = "accepted"
    /// The kind of a finding for the repository's own Python (`*.py`, `auto_map`): `suspicious`,
    /// admitted only with `--allow-remote-code`.
    public static let remoteCodeKind = "remote-code"
}

public struct ScanReport: Codable, Sendable, Equatable {
    public var path: String
    /// What the content turned out to be: `pickle`, `pytorch-zip`, `pytorch-legacy`, `numpy`,
    /// `numpy-zip`, `joblib`, `safetensors`, `gguf`, `onnx`, `keras`, `hdf5`, `zip`, `text`, `unknown`,
    /// `tf-savedmodel`, `tf-graphdef`, `sentencepiece`, `json`, `json-config`, `yaml-config`, `jinja`, `python`.
    /// `tar`, `pytorch-legacy-tar`, `7z`, and a wrapper's name (`gzip`, `bzip2`, `xz`, `lzma`,
    /// `lz4`, `zstd`, `zlib`) for what was decoded from one. `parquet`, `arrow`, `arrow-stream`
    /// for datasets' columnar files.
    public var format: String
    public var verdict: Verdict
    public var findings: [Finding]

    public init(path: String, format: String, findings: [Finding]) {
        self.path = path
        self.format = format
        self.findings = findings
        verdict = findings.map(\.verdict).max() ?? .safe
    }
}

/// What the user accepts beyond the built-in allowlist.
public struct ScanPolicy: Sendable, Equatable {
    /// `module.name` callables accepted as safe (`--allow-global`): the user's explicit,
    /// per-callable decision; never a wildcard.
    public var allowedGlobals: Set<String>
    /// `--strict`: `unsupported` files (content that was not checked) are refused too.
    public var strict = false
    /// `--allow-remote-code`: a repository's own Python (`*.py`, `auto_map`) is admitted, though
    /// its verdict stays `suspicious` (and is locked as such): the user said they will run it, on
    /// this run; a later run must say so again.
    public var allowRemoteCode = false

    public init(allowedGlobals: Set<String> = []) {
        self.allowedGlobals = allowedGlobals
    }

    /// Whether a file with `verdict` may be admitted: `safe` always, `unsupported` unless strict.
    public func admits(_ verdict: Verdict) -> Bool {
        verdict == .safe || (verdict == .unsupported && !strict)
    }

    /// Whether a file may be admitted: by its verdict, or — with `allowRemoteCode` — when what
    /// makes it `suspicious` is only remote code (and nothing the policy refuses besides).
    public func admits(_ report: ScanReport) -> Bool {
        if admits(report.verdict) { return true }
        guard allowRemoteCode, report.verdict == .suspicious else { return false }
        return report.findings.allSatisfy { finding in
            finding.verdict == .suspicious ? finding.kind == Finding.remoteCodeKind : admits(finding.verdict)
        }
    }

    /// The policy for a user's `--allow-global` values: each must name one callable exactly
    /// (`module.name`, no wildcard), and none may be a callable modelpin knows to be dangerous:
    /// accepting an unknown class is a judgement call, accepting `os.system` never is.
    public init(allowing globals: [String]) throws(ScanPolicyError) {
        for global in globals {
            let parts = global.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty }),
                !global.contains(where: { $0 == "*" || $0 == "?" || $0.isWhitespace })
            else {
                throw ScanPolicyError(global: global, reason: "it must name one callable exactly, like `collections.Counter`")
            }
            if let danger = PickleCallables.danger(of: global) {
                throw ScanPolicyError(global: global, reason: "it is dangerous to load (\(danger)) and cannot be accepted")
            }
        }
        allowedGlobals = Set(globals)
    }
}

/// An `--allow-global` value modelpin will not accept.
public struct ScanPolicyError: Error, Sendable, Equatable {
    public let global: String
    public let reason: String
}

/// The scanner's identity, recorded in the lock with each verdict: a verdict only means
/// something together with the rules that produced it. Bump `version` whenever a rule changes
/// what a file's verdict would be.
public enum ScannerIdentity {
    public static let name = "modelpin-scan"
    public static let version = 3
    public static var description: String { "\(name)/\(version)" }
}

/// Random access to the bytes being scanned, so that a scanner reads headers, directories and
/// pickles and skips tensor payloads without touching them.
public protocol ByteSource: Sendable {
    var size: Int64 { get }
    /// Up to `count` bytes at `offset` (fewer only at the end). Throws `ScanReadError` when
    /// the underlying file cannot be read.
    func read(at offset: Int64, count: Int) throws(ScanReadError) -> [UInt8]
}

public struct ScanReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Bytes in memory.
public struct MemorySource: ByteSource {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: Int64 { Int64(bytes.count) }
    public func read(at offset: Int64, count: Int) throws(ScanReadError) -> [UInt8] {
        guard offset >= 0, offset <= size, count >= 0 else { return [] }
        let start = Int(offset)
        return Array(bytes[start..<min(bytes.count, start + count)])
    }
}

/// A window `[start, start + size)` of another source (a zip member stored uncompressed, the
/// pickle inside a legacy checkpoint…); offsets are relative to the window.
public struct SliceSource<Base: ByteSource>: ByteSource {
    public let base: Base
    public let start: Int64
    public let size: Int64

    public init(_ base: Base, start: Int64, size: Int64) {
        self.base = base
        self.start = max(0, min(start, base.size))
        self.size = max(0, min(size, base.size - self.start))
    }

    public func read(at offset: Int64, count: Int) throws(ScanReadError) -> [UInt8] {
        guard offset >= 0, offset <= size, count >= 0 else { return [] }
        return try base.read(at: start + offset, count: Int(min(Int64(count), size - offset)))
    }
}
