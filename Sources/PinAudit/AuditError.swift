public import PinModel
public import SystemPackage

/// Everything the audit log can refuse or fail at, each with the file, the entry or the line
/// a person needs to act on it.
public enum AuditError: ModelpinError, Equatable {
    /// A system call on a file of the log failed.
    case io(operation: String, path: FilePath, Errno)
    /// Entry `index` (0-based; line index + 1) cannot be read back: not canonical JSON, not an
    /// object, or missing a field the schema requires.
    case badEntry(file: FilePath, index: Int, reason: String)
    /// The log does not match what it once committed to; `index` is the first entry that
    /// differs (nil when no single entry can be named, e.g. a root mismatch on an empty log).
    case tampered(file: FilePath, index: Int?, reason: String)
    /// A checkpoint, note, key or proof text is malformed.
    case malformed(what: String, file: FilePath?, line: Int?, reason: String)
    /// A signed note carries no valid signature by the log's key (maybe by another key).
    case signature(what: String, reason: String)
    /// An append would grow a log whose entries file is shorter than what was indexed:
    /// entries were removed, so nothing is added before `audit verify` has looked.
    case truncated(file: FilePath, indexed: Int, present: Int)
    /// The signing key cannot be read or is not an Ed25519 key.
    case key(path: FilePath, reason: String)
    /// An entry index beyond the log, or a bad argument.
    case outOfRange(String)
    /// A lock wait was interrupted, or took longer than allowed.
    case lock(path: FilePath, reason: String)

    public var kind: FailureKind {
        switch self {
        case .badEntry, .tampered, .signature, .truncated: .refused
        case .malformed(_, let file, _, _): file == nil ? .usage : .refused
        case .io, .key, .lock: .operational
        case .outOfRange: .usage
        }
    }

    public var description: String {
        switch self {
        case .io(let operation, let path, _): "cannot \(operation) \(path)"
        case .badEntry(let file, let index, _): "entry \(index) of \(file) (line \(index + 1)) is not a valid audit entry"
        case .tampered(let file, let index?, _): "the audit log \(file) was changed: entry \(index) (line \(index + 1)) is the first that does not match"
        case .tampered(let file, nil, _): "the audit log \(file) was changed"
        case .malformed(let what, let file?, let line?, _): "\(what) \(file), line \(line), is malformed"
        case .malformed(let what, let file?, nil, _): "\(what) \(file) is malformed"
        case .malformed(let what, nil, _, _): "\(what) is malformed"
        case .signature(let what, _): "\(what) is not signed by this log's key"
        case .truncated(let file, let indexed, let present):
            "the audit log \(file) holds \(present) entries but \(indexed) were written: entries were removed"
        case .key(let path, _): "cannot use the audit key \(path)"
        case .outOfRange(let message): message
        case .lock(let path, _): "cannot lock \(path)"
        }
    }

    public var causes: [String] {
        switch self {
        case .io(_, _, let errno): [errno.description]
        case .badEntry(_, _, let reason), .tampered(_, _, let reason), .malformed(_, _, _, let reason),
             .signature(_, let reason), .key(_, let reason), .lock(_, let reason):
            [reason]
        case .truncated, .outOfRange: []
        }
    }

    public var hint: String? {
        switch self {
        case .tampered, .truncated, .badEntry:
            "compare with a checkpoint saved elsewhere (`modelpin audit consistency FILE`); keep the log as it is for investigation"
        case .signature:
            "check the checkpoint against `modelpin audit key`; a checkpoint by another key does not vouch for this log"
        case .key:
            "MODELPIN_AUDIT_KEY must name an unencrypted PKCS#8 PEM Ed25519 key (`openssl genpkey -algorithm ed25519`)"
        case .io, .malformed, .outOfRange, .lock:
            nil
        }
    }
}
