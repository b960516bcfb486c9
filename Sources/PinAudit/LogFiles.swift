import PinDigest
import SystemPackage

/// The log's files and the repairs a crash can call for. Every method runs under `audit/lock`.
struct LogFiles: Sendable {
    let directory: FilePath

    var entries: FilePath { directory.appending("entries.jsonl") }
    var offsets: FilePath { directory.appending("offsets") }
    var hashes: FilePath { directory.appending("hashes") }
    var checkpoint: FilePath { directory.appending("checkpoint") }
    var lock: FilePath { directory.appending("lock") }

    /// What the index says and what the entries file holds, after repair.
    struct State {
        /// Indexed entries.
        var count: Int
        /// Where the last indexed entry's line ends.
        var end: Int
        /// The entries file is shorter than its index: entries were removed (not repaired).
        var truncated: Bool
        var torn: [TornTail]
    }

    /// Brings offsets and hashes up to the entries file: complete lines past the index (a crash
    /// after the entries' fsync) are indexed and hashed, a torn last line is moved to
    /// `torn-<n>` and reported, and hashes missing after a crash are recomputed from the entries.
    func reconcile() throws(AuditError) -> State {
        let entriesFile = try AuditIO.open(entries, .readWrite, create: true)
        defer { try? entriesFile.close() }
        let offsetsFile = try AuditIO.open(offsets, .readWrite, create: true)
        defer { try? offsetsFile.close() }

        let offsetBytes = try AuditIO.size(offsetsFile, offsets)
        var count = offsetBytes / 8
        if offsetBytes % 8 != 0 { try AuditIO.truncate(offsetsFile, offsets, to: count * 8) }
        var end = try endOffset(of: count, offsetsFile)
        let size = try AuditIO.size(entriesFile, entries)
        var torn: [TornTail] = []
        if size < end {
            return State(count: count, end: end, truncated: true, torn: [])
        }
        if size > end {
            let tail = try AuditIO.read(entriesFile, entries, at: end, count: size - end)
            var ends: [Int] = []
            for (index, byte) in tail.enumerated() where byte == 0x0A { ends.append(end + index + 1) }
            let complete = ends.last ?? end
            if complete < size {
                torn.append(try moveAside(Array(tail[(complete - end)...]), entriesBefore: count + ends.count))
                try AuditIO.truncate(entriesFile, entries, to: complete)
                try AuditIO.sync(entriesFile, entries)
            }
            if !ends.isEmpty {
                try AuditIO.write(offsetsFile, offsets, ends.flatMap(Self.offsetBytes), at: count * 8)
                count += ends.count
                end = complete
            }
        }
        try rehash(count: count, offsetsFile: offsetsFile, entriesFile: entriesFile)
        return State(count: count, end: end, truncated: false, torn: torn)
    }

    static func offsetBytes(_ value: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(value).littleEndian) { Array($0) }
    }

    /// Where entry `count − 1` ends (0 for none), checked to be the end of a line.
    func endOffset(of count: Int, _ offsetsFile: FileDescriptor) throws(AuditError) -> Int {
        guard count > 0 else { return 0 }
        return try lineEnd(index: count - 1, offsetsFile)
    }

    /// The end offset of entry `index`'s line.
    func lineEnd(index: Int, _ offsetsFile: FileDescriptor) throws(AuditError) -> Int {
        let bytes = try AuditIO.read(offsetsFile, offsets, at: index * 8, count: 8)
        let value = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard value <= UInt64(Int.max) else {
            throw .malformed(what: "audit index", file: offsets, line: nil, reason: "entry \(index) ends at an impossible offset")
        }
        return Int(value)
    }

    /// Copies a torn tail to the first free `torn-<n>` (never overwriting an earlier one).
    private func moveAside(_ bytes: [UInt8], entriesBefore: Int) throws(AuditError) -> TornTail {
        var number = 1
        while true {
            let path = directory.appending("torn-\(number)")
            let descriptor: FileDescriptor
            do {
                descriptor = try FileDescriptor.open(
                    path, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec, .noFollow], permissions: [.ownerReadWrite, .groupRead], retryOnInterrupt: true)
            } catch Errno.fileExists {
                number += 1
                continue
            } catch {
                throw .io(operation: "create", path: path, AuditIO.errno(error))
            }
            defer { try? descriptor.close() }
            try AuditIO.write(descriptor, path, bytes, at: 0)
            try AuditIO.sync(descriptor, path)
            try AuditIO.syncDirectory(directory)
            return TornTail(file: path, byteCount: bytes.count, entriesBefore: entriesBefore)
        }
    }

    /// Makes `hashes` hold exactly the slots of `count` leaves: cut back to the last whole
    /// leaf's slots, then extended from the entries themselves (never from a partial write).
    private func rehash(count: Int, offsetsFile: FileDescriptor, entriesFile: FileDescriptor) throws(AuditError) {
        let hashesFile = try AuditIO.open(hashes, .readWrite, create: true)
        defer { try? hashesFile.close() }
        let slots = try AuditIO.size(hashesFile, hashes) / StoredHashes.hashSize
        let expected = StoredHashes.count(size: count)
        if slots == expected { return }
        let done = min(StoredHashes.leaves(inSlots: slots), count)
        try AuditIO.truncate(hashesFile, hashes, to: StoredHashes.count(size: done) * StoredHashes.hashSize)
        guard done < count else { return }
        let hasher = MerkleHasher()
        var start = try endOffset(of: done, offsetsFile)
        for leaf in done..<count {
            let end = try lineEnd(index: leaf, offsetsFile)
            guard end > start else {
                throw .malformed(what: "audit index", file: offsets, line: nil, reason: "entry \(leaf) ends before it starts")
            }
            let line = try AuditIO.read(entriesFile, entries, at: start, count: end - start)
            try appendHashes(leaf: leaf, entry: line.dropLast(), hasher: hasher, hashesFile)
            start = end
        }
    }

    /// Writes the slots appending leaf `leaf` with these entry bytes completes.
    func appendHashes(leaf: Int, entry: ArraySlice<UInt8>, hasher: MerkleHasher, _ hashesFile: FileDescriptor) throws(AuditError) {
        let stored = FileSubtreeHashes(file: hashesFile, path: hashes, slots: StoredHashes.count(size: leaf))
        let leafHash = entry.withUnsafeBytes { hasher.leaf($0) }
        let written = try StoredHashes.appended(leaf: leaf, leafHash: leafHash, hasher: hasher) { level, index throws(AuditError) in
            try stored.hash(level: level, index: index)
        }
        try AuditIO.write(hashesFile, hashes, written.flatMap { $0 }, at: StoredHashes.count(size: leaf) * StoredHashes.hashSize)
    }
}

/// Stored subtree hashes read from `audit/hashes` by offset: O(1) reads per subtree.
struct FileSubtreeHashes: SubtreeHashes {
    let file: FileDescriptor
    let path: FilePath
    /// Slots the file is known to hold.
    let slots: Int

    func hash(level: Int, index: Int) throws(AuditError) -> MerkleHash {
        let slot = StoredHashes.slot(level: level, index: index)
        guard slot < slots else {
            throw .malformed(what: "audit hashes", file: path, line: nil, reason: "slot \(slot) is missing (the file holds \(slots))")
        }
        return try AuditIO.read(file, path, at: slot * StoredHashes.hashSize, count: StoredHashes.hashSize)
    }
}
