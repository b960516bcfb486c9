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
    let files: LogFiles

    /// Opens the log under `directory`, creating it when absent. Under the lock, it repairs what
    /// a crash can leave (a torn last line is moved aside and listed in `tornTails`; offsets and
    /// hashes behind the entries are recomputed from them).
    public init(directory: FilePath, signer: CheckpointSigner) throws(AuditError) {
        self.directory = directory
        self.signer = signer
        files = LogFiles(directory: directory)
        try AuditIO.makeDirectory(directory)
        try AuditIO.requireDirectory(directory)
        let lock = try AuditIO.lock(files.lock)
        defer { try? lock.close() }
        let state = try files.reconcile()
        tornTails = state.torn
        if !state.truncated { try catchUpCheckpoint(size: state.count) }
    }

    /// A crash after an append's entries were fsync'd but before its checkpoint was written
    /// leaves the checkpoint missing (the first append) or behind: sign the log as it is, but
    /// only when the old checkpoint is a prefix of it. Anything else (a bad signature, another
    /// root) is left for `verify` to report.
    private func catchUpCheckpoint(size: Int) throws(AuditError) {
        guard size > 0 else { return }
        let current: Checkpoint?
        do {
            current = try latestCheckpoint()
        } catch {
            return
        }
        if let current, current.size >= size || (try? root(size: current.size)) != current.rootHash { return }
        try writeCheckpoint(Checkpoint.signed(size: size, rootHash: try root(size: size), by: signer))
    }

    /// The key a checkpoint must be signed by.
    public var verifier: NoteVerifierKey { signer.verifier }

    /// Appends entries as leaves, serialised across processes (`audit/lock`, the log's own, so
    /// an append never waits for a gc), then writes and returns the new signed checkpoint.
    ///
    /// Crash safety: the entry lines are written and fdatasync'd first; they are the log. The
    /// index (offsets), the stored hashes and the checkpoint come after and are derived from
    /// them: a crash before they are written leaves them short, and the next open recomputes
    /// them from the entries (`LogFiles.reconcile`). The checkpoint is replaced by rename, so a
    /// reader sees the old one or the new one, never half of either; it is not fsync'd (a
    /// crash may bring back the previous checkpoint, a prefix of the log that still verifies,
    /// and the next append signs the whole log again).
    @discardableResult
    public func append(_ entries: [CanonicalJSON]) throws(AuditError) -> Checkpoint {
        var lines: [UInt8] = []
        for entry in entries {
            let bytes = entry.canonicalBytes
            do {
                _ = try CanonicalJSON(canonical: bytes)
            } catch {
                throw .malformed(what: "audit entry", file: nil, line: nil, reason: "it would not read back: \(error)")
            }
            lines += bytes
            lines.append(0x0A)
        }
        let lock = try AuditIO.lock(files.lock)
        defer { try? lock.close() }
        let state = try files.reconcile()
        if state.truncated {
            let present = (try? countLines()) ?? 0
            throw .truncated(file: files.entries, indexed: state.count, present: present)
        }
        try write(lines, entryCount: entries.count, after: state)
        let size = state.count + entries.count
        let checkpoint = Checkpoint.signed(size: size, rootHash: try root(size: size), by: signer)
        try writeCheckpoint(checkpoint)
        return checkpoint
    }

    private func write(_ lines: [UInt8], entryCount: Int, after state: LogFiles.State) throws(AuditError) {
        guard entryCount > 0 else { return }
        let entriesFile = try AuditIO.open(files.entries, .readWrite)
        defer { try? entriesFile.close() }
        try AuditIO.write(entriesFile, files.entries, lines, at: state.end)
        try AuditIO.sync(entriesFile, files.entries)

        let offsetsFile = try AuditIO.open(files.offsets, .readWrite)
        defer { try? offsetsFile.close() }
        let hashesFile = try AuditIO.open(files.hashes, .readWrite)
        defer { try? hashesFile.close() }
        var ends: [UInt8] = []
        let hasher = MerkleHasher()
        var start = 0
        var leaf = state.count
        for (index, byte) in lines.enumerated() where byte == 0x0A {
            ends += LogFiles.offsetBytes(state.end + index + 1)
            try files.appendHashes(leaf: leaf, entry: lines[start..<index], hasher: hasher, hashesFile)
            start = index + 1
            leaf += 1
        }
        try AuditIO.write(offsetsFile, files.offsets, ends, at: state.count * 8)
    }

    /// The root of the first `size` leaves, from the stored hashes.
    func root(size: Int) throws(AuditError) -> MerkleHash {
        try withStoredHashes { stored throws(AuditError) in try Merkle.rangeHash(0, size, stored, MerkleHasher()) }
    }

    func withStoredHashes<T>(_ body: (FileSubtreeHashes) throws(AuditError) -> T) throws(AuditError) -> T {
        let hashesFile = try AuditIO.open(files.hashes, .readOnly)
        defer { try? hashesFile.close() }
        let slots = try AuditIO.size(hashesFile, files.hashes) / StoredHashes.hashSize
        return try body(FileSubtreeHashes(file: hashesFile, path: files.hashes, slots: slots))
    }

    private func writeCheckpoint(_ checkpoint: Checkpoint) throws(AuditError) {
        let temporary = directory.appending("checkpoint.tmp")
        let file = try AuditIO.open(temporary, .writeOnly, create: true)
        do {
            try AuditIO.truncate(file, temporary, to: 0)
            try AuditIO.write(file, temporary, Array(checkpoint.text.utf8), at: 0)
            try? file.close()
        } catch {
            try? file.close()
            throw error
        }
        try AuditIO.rename(temporary, to: files.checkpoint)
    }

    /// The latest checkpoint (`audit/checkpoint`), checked against the log's key; nil when the
    /// log has never been written.
    public func latestCheckpoint() throws(AuditError) -> Checkpoint? {
        guard let file = try AuditIO.openIfPresent(files.checkpoint, .readOnly) else { return nil }
        defer { try? file.close() }
        let size = try AuditIO.size(file, files.checkpoint)
        guard size <= SignedNoteText.limit else {
            throw .malformed(what: "checkpoint", file: files.checkpoint, line: nil, reason: "longer than \(SignedNoteText.limit) bytes")
        }
        let bytes = try AuditIO.read(file, files.checkpoint, at: 0, count: size)
        return try Checkpoint(parsing: String(decoding: bytes, as: UTF8.self), verifier: verifier, file: files.checkpoint)
    }

    /// The number of indexed entries.
    public func size() throws(AuditError) -> Int {
        let lock = try AuditIO.lock(files.lock)
        defer { try? lock.close() }
        return try files.reconcile().count
    }

    /// Lines in the entries file (for the message about a truncated log).
    private func countLines() throws(AuditError) -> Int {
        var count = 0
        try EntryLines.forEach(files.entries, limit: .max) { _, _ throws(AuditError) in count += 1 }
        return count
    }

    /// Calls `body` with each entry from index `start` on, in order, read back strictly: a line
    /// that is not canonical JSON throws `.badEntry` naming it.
    public func forEachEntry(from start: Int = 0, _ body: (Int, CanonicalJSON) throws(AuditError) -> Void) throws(AuditError) {
        let entries = files.entries
        try EntryLines.forEach(entries, limit: .max) { index, line throws(AuditError) in
            guard index >= start else { return }
            let value: CanonicalJSON
            do throws(CanonicalJSONError) {
                value = try CanonicalJSON(canonical: Array(line))
            } catch {
                throw .badEntry(file: entries, index: index, reason: error.description)
            }
            try body(index, value)
        }
    }

    /// The inclusion proof of entry `index` in the tree of the latest checkpoint, checked
    /// before it is returned.
    public func inclusionProof(index: Int) throws(AuditError) -> InclusionProof {
        let checkpoint = try requireCheckpoint()
        guard index >= 0, index < checkpoint.size else {
            throw .outOfRange("entry \(index) is not in the log (its latest checkpoint holds \(checkpoint.size) entries, 0…\(checkpoint.size - 1))")
        }
        let (path, leaf) = try withStoredHashes { stored throws(AuditError) in
            (try Merkle.inclusionPath(index, 0, checkpoint.size, stored, MerkleHasher()), try stored.hash(level: 0, index: index))
        }
        guard MerkleVerifier.rootFromInclusion(index: index, size: checkpoint.size, leafHash: leaf, path: path) == checkpoint.rootHash else {
            throw .tampered(file: files.hashes, index: nil, reason: "the stored hashes do not lead to the checkpoint's root: run `modelpin audit verify`")
        }
        return InclusionProof(index: index, hashes: path, checkpoint: checkpoint)
    }

    /// The proof that the latest checkpoint's tree extends `old`'s, checked before it is
    /// returned: a log rewritten since `old` was saved throws `.tampered`.
    public func consistencyProof(from old: Checkpoint) throws(AuditError) -> ConsistencyProof {
        let checkpoint = try requireCheckpoint()
        guard old.size <= checkpoint.size else {
            throw .tampered(file: files.entries, index: checkpoint.size,
                            reason: "the old checkpoint vouches for \(old.size) entries, the log now holds \(checkpoint.size): entries from \(checkpoint.size) on were removed")
        }
        let path = try withStoredHashes { stored throws(AuditError) in
            try Merkle.consistencyPath(old.size, checkpoint.size, stored, MerkleHasher())
        }
        guard MerkleVerifier.verifyConsistency(oldSize: old.size, newSize: checkpoint.size, oldRoot: old.rootHash, newRoot: checkpoint.rootHash, path: path) else {
            throw .tampered(file: files.entries, index: nil,
                            reason: "the log is not an append-only extension of the old checkpoint (size \(old.size)): its first \(old.size) entries were rewritten")
        }
        return ConsistencyProof(oldSize: old.size, oldRoot: old.rootHash, hashes: path, checkpoint: checkpoint)
    }

    func requireCheckpoint() throws(AuditError) -> Checkpoint {
        guard let checkpoint = try latestCheckpoint() else {
            if try size() > 0 {
                throw .tampered(file: files.checkpoint, index: nil, reason: "the log has entries but no checkpoint: it was deleted")
            }
            throw .outOfRange("the audit log is empty: nothing has been logged yet")
        }
        return checkpoint
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

    /// The root as a checkpoint writes it.
    public var rootBase64: String { Base64.encode(rootHash) }
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
