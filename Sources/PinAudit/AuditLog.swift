public import SystemPackage

/// The store's audit log, under one directory (the store's `audit/`):
///
/// ```
/// audit/entries.jsonl   one canonical JSON entry per line, append-only
/// audit/offsets         8 bytes per entry: where its line ends in entries.jsonl (little-endian)
/// audit/hashes          the Merkle tree's stored hashes, 32 bytes each (see `StoredHashes`)
/// audit/checkpoint      the latest signed checkpoint (C2SP tlog-checkpoint)
/// audit/origin          the log's name: its checkpoints' origin and signing key name
/// audit/key.pem         the signing key when none is named (MODELPIN_AUDIT_KEY), 0600
/// audit/lock            taken for every append, across processes
/// audit/torn-<n>        a torn last line (a crash mid-append), moved aside and reported
/// ```
public final class AuditLog: Sendable {
    public let directory: FilePath
    public let signer: CheckpointSigner
    /// Torn tails this open found and moved aside (empty almost always): the caller reports them.
    public let tornTails: [TornTail]

    /// Opens the log under `directory`, creating it when absent. Under the lock, it repairs what
    /// a crash can leave (a torn last line is moved aside and listed in `tornTails`; offsets and
    /// hashes behind the entries are recomputed from them).
    public init(directory: FilePath, signer: CheckpointSigner) throws(AuditError) {
        self.directory = directory
        self.signer = signer
        self.tornTails = []
    }

    /// The key a checkpoint must be signed by.
    public var verifier: NoteVerifierKey { signer.verifier }

    /// Appends entries as leaves, serialised across processes (`audit/lock`, the log's own, so
    /// an append never waits for a gc), fsync'd, then writes and returns the new signed
    /// checkpoint.
    @discardableResult
    public func append(_ entries: [CanonicalJSON]) throws(AuditError) -> Checkpoint {
        throw .outOfRange("unfinished")
    }

    /// The latest checkpoint (`audit/checkpoint`), checked against the log's key; nil when the
    /// log has never been written.
    public func latestCheckpoint() throws(AuditError) -> Checkpoint? {
        nil
    }

    /// The number of entries.
    public func size() throws(AuditError) -> Int {
        0
    }

    /// Calls `body` with each entry from index `start` on, in order, as read back (strictly).
    public func forEachEntry(from start: Int = 0, _ body: (Int, CanonicalJSON) throws(AuditError) -> Void) throws(AuditError) {}

    /// Recomputes every leaf and the tree from the entries and checks them against `checkpoint`
    /// (nil: the latest); throws `.tampered`/`.badEntry` naming the first bad entry.
    public func verify(against checkpoint: Checkpoint? = nil) throws(AuditError) -> AuditVerification {
        throw .outOfRange("unfinished")
    }

    /// The inclusion proof of entry `index` in the tree of the latest checkpoint.
    public func inclusionProof(index: Int) throws(AuditError) -> InclusionProof {
        throw .outOfRange("unfinished")
    }

    /// The proof that the latest checkpoint's tree extends `old`'s, checked before it is returned.
    public func consistencyProof(from old: Checkpoint) throws(AuditError) -> ConsistencyProof {
        throw .outOfRange("unfinished")
    }
}

/// A torn last line found on open: the bytes after the last complete entry, moved aside.
public struct TornTail: Sendable, Equatable {
    /// Where the bytes now are (`audit/torn-<n>`).
    public let file: FilePath
    public let byteCount: Int
    /// How many complete entries precede it.
    public let entriesBefore: Int
}

/// What `verify` checked.
public struct AuditVerification: Sendable, Equatable {
    public let size: Int
    public let rootHash: [UInt8]
    /// The checkpoint the tree matched.
    public let checkpoint: Checkpoint
    /// Torn tails lying in the directory (moved aside by an earlier open), for the report.
    public let tornFiles: [FilePath]
}

/// An inclusion proof (RFC 9162 §2.1.3) with the checkpoint it proves against, written in the
/// C2SP tlog-proof form (`c2sp.org/tlog-proof@v1`).
public struct InclusionProof: Sendable, Equatable {
    public let index: Int
    public let hashes: [[UInt8]]
    public let checkpoint: Checkpoint
}

/// A consistency proof (RFC 9162 §2.1.4) from an old tree size to a new one.
public struct ConsistencyProof: Sendable, Equatable {
    public let oldSize: Int
    public let oldRoot: [UInt8]
    public let hashes: [[UInt8]]
    public let checkpoint: Checkpoint
}
