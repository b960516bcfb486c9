import SystemPackage

extension AuditLog {
    /// Recomputes every leaf and the whole tree from the entries and checks them against
    /// `checkpoint` (nil: the latest, whose signature is checked as it is read).
    ///
    /// Each line must be canonical JSON (else `.badEntry`), and must hash to the leaf hash
    /// stored when it was appended (else `.tampered` naming it: an edited, deleted or moved
    /// entry is the first line whose hash differs). A log with fewer entries than the
    /// checkpoint names the first missing one; a tree that does not reach the checkpoint's
    /// root, with every stored hash agreeing, means the hashes were rewritten along with the
    /// entries, and no single entry can be named.
    public func verify(against given: Checkpoint? = nil) throws(AuditError) -> AuditVerification {
        let state = try snapshot()
        let checkpoint: Checkpoint
        if let given {
            checkpoint = given
        } else if let latest = try latestCheckpoint() {
            checkpoint = latest
        } else if state.count == 0 {
            checkpoint = Checkpoint.signed(size: 0, rootHash: MerkleHasher.emptyRoot, by: signer)
        } else {
            throw .tampered(file: files.checkpoint, index: nil, reason: "the log has \(state.count) entries but no checkpoint: it was deleted")
        }
        guard checkpoint.origin == signer.name else {
            throw .signature(what: "checkpoint", reason: "its origin `\(checkpoint.origin)` is not this log's (`\(signer.name)`)")
        }
        let walk = try TreeWalk(files: files, checkpointSize: checkpoint.size)
        defer { walk.close() }
        try EntryLines.forEach(files.entries, limit: state.truncated ? .max : state.end) { index, line throws(AuditError) in
            do {
                try CanonicalJSON.checkCanonical(line)
            } catch {
                throw .badEntry(file: files.entries, index: index, reason: "not canonical JSON: \(error)")
            }
            try walk.add(index: index, line)
        }
        if walk.count < checkpoint.size {
            throw .tampered(file: files.entries, index: walk.count,
                            reason: "the checkpoint vouches for \(checkpoint.size) entries but the log holds \(walk.count): entries from \(walk.count) on were removed")
        }
        guard walk.rootAtCheckpoint == checkpoint.rootHash else {
            throw .tampered(file: files.entries, index: nil,
                            reason: "the entries do not hash to the checkpoint's root, yet match the stored hashes: entries and hashes were rewritten together")
        }
        if state.truncated || walk.count != state.count {
            throw .tampered(file: files.entries, index: min(walk.count, state.count),
                            reason: "the log holds \(walk.count) entries but \(state.count) were written")
        }
        let torn = try AuditIO.names(in: directory).filter { $0.hasPrefix("torn-") }.map { directory.appending($0) }
        return AuditVerification(size: walk.count, rootHash: walk.root(), checkpoint: checkpoint, tornFiles: torn)
    }

    /// The log's state under the lock (repairing what a crash left), for a reader to work on
    /// without holding it: appends only add bytes past `end`.
    func snapshot() throws(AuditError) -> LogFiles.State {
        let lock = try AuditIO.lock(files.lock)
        defer { try? lock.close() }
        return try files.reconcile()
    }
}

/// Rebuilds the tree leaf by leaf as `verify` reads the entries, comparing every hash it
/// completes with the one stored for it (read in order, in large chunks).
final class TreeWalk {
    private let hasher = MerkleHasher()
    private let hashesFile: FileDescriptor
    private let hashesPath: FilePath
    private let storedSlots: Int
    private let checkpointSize: Int
    private let entriesPath: FilePath
    /// The complete subtrees on the right edge, left to right.
    private var edge: [MerkleHash] = []
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private(set) var count = 0
    private(set) var rootAtCheckpoint: MerkleHash

    init(files: LogFiles, checkpointSize: Int) throws(AuditError) {
        hashesPath = files.hashes
        entriesPath = files.entries
        hashesFile = try AuditIO.open(files.hashes, .readOnly, create: false)
        storedSlots = try AuditIO.size(hashesFile, files.hashes) / StoredHashes.hashSize
        self.checkpointSize = checkpointSize
        rootAtCheckpoint = MerkleHasher.emptyRoot
    }

    func close() { try? hashesFile.close() }

    func add(index: Int, _ line: UnsafeRawBufferPointer) throws(AuditError) {
        let leafHash = hasher.leaf(line)
        let written = try StoredHashes.appended(leaf: index, leafHash: leafHash, hasher: hasher) { _, _ throws(AuditError) in edge.removeLast() }
        edge.append(written.last!)
        let first = StoredHashes.count(size: index)
        for (offset, hash) in written.enumerated() where first + offset < storedSlots {
            guard try stored(slot: first + offset).elementsEqual(hash) else {
                let what = offset == 0 ? "it does not hash to the leaf recorded when it was appended (edited, deleted or moved)"
                    : "the stored tree hash this entry completes (level \(offset)) differs: the hashes file was changed"
                throw .tampered(file: entriesPath, index: index, reason: what)
            }
        }
        count += 1
        if count == checkpointSize { rootAtCheckpoint = root() }
    }

    /// MTH of the leaves so far: the right edge folded from the right.
    func root() -> MerkleHash {
        guard var hash = edge.last else { return MerkleHasher.emptyRoot }
        for left in edge.dropLast().reversed() { hash = hasher.node(left, hash) }
        return hash
    }

    private func stored(slot: Int) throws(AuditError) -> ArraySlice<UInt8> {
        let size = StoredHashes.hashSize
        let offset = slot * size - bufferStart
        if offset < 0 || offset + size > buffer.count {
            bufferStart = slot * size
            let count = min(EntryLines.chunkSize, (storedSlots - slot) * size)
            buffer = try AuditIO.read(hashesFile, hashesPath, at: bufferStart, count: count)
            return buffer[0..<size]
        }
        return buffer[offset..<offset + size]
    }
}
