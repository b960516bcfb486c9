import PinDigest

// RFC 6962 / RFC 9162 §2.1 Merkle trees over SHA-256:
//   leaf hash  SHA-256(0x00 ‖ entry)      node hash  SHA-256(0x01 ‖ left ‖ right)
//   MTH of n > 1 leaves: node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n.
//
// Proofs are built from complete, aligned subtrees only: the subtree at (level l, index i)
// covers leaves [i·2^l, (i+1)·2^l) and is stored once it is complete (`StoredHashes`). Any
// other range a proof needs (the ragged right edge) is folded from the complete subtrees
// that tile it, so a proof reads O(log n) stored hashes whatever the log's size.

/// One SHA-256 value in the tree.
public typealias MerkleHash = [UInt8]

/// Hashing of leaves and nodes on one reused context (`ShortHashes`): one per thread.
final class MerkleHasher {
    private let hashes = ShortHashes()

    func leaf(_ entry: UnsafeRawBufferPointer) -> MerkleHash {
        var output = MerkleHash(repeating: 0, count: 32)
        output.withUnsafeMutableBytes { hashes.hash(prefix: 0x00, entry, into: $0) }
        return output
    }

    func leaf(_ entry: [UInt8]) -> MerkleHash {
        entry.withUnsafeBytes { leaf($0) }
    }

    func node(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        var output = MerkleHash(repeating: 0, count: 32)
        left.withUnsafeBytes { left in
            right.withUnsafeBytes { right in
                output.withUnsafeMutableBytes { hashes.hash(prefix: 0x01, left, right, into: $0) }
            }
        }
        return output
    }

    /// SHA-256 of nothing: the root of the empty tree.
    static let emptyRoot: MerkleHash = ShortHashes().hash([])
}

/// Where a proof reads the complete subtrees' hashes from.
protocol SubtreeHashes {
    /// The hash of the complete subtree at `level` (2^level leaves) with `index`.
    func hash(level: Int, index: Int) throws(AuditError) -> MerkleHash
}

/// The largest power of two strictly below `n` (n ≥ 2).
func splitPoint(_ n: Int) -> Int {
    1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
}

enum Merkle {
    /// MTH(D[start:end]) from complete subtrees: the range is tiled left to right by the
    /// largest aligned subtrees that fit, then folded from the right, as the recursive
    /// definition splits it.
    static func rangeHash(_ start: Int, _ end: Int, _ store: some SubtreeHashes, _ hasher: MerkleHasher) throws(AuditError) -> MerkleHash {
        guard end > start else { return MerkleHasher.emptyRoot }
        var tiles: [MerkleHash] = []
        var position = start
        while position < end {
            // The largest level at which `position` is aligned and the subtree still fits.
            var level = position == 0 ? Int.bitWidth - 2 : position.trailingZeroBitCount
            while level > 0 && position + (1 << level) > end { level -= 1 }
            tiles.append(try store.hash(level: level, index: position >> level))
            position += 1 << level
        }
        var hash = tiles.removeLast()
        while let left = tiles.popLast() { hash = hasher.node(left, hash) }
        return hash
    }

    /// PATH(m, D[start:end]) (RFC 9162 §2.1.3.1), bottom-up.
    static func inclusionPath(_ m: Int, _ start: Int, _ end: Int, _ store: some SubtreeHashes, _ hasher: MerkleHasher) throws(AuditError) -> [MerkleHash] {
        let n = end - start
        guard n > 1 else { return [] }
        let k = splitPoint(n)
        if m < k {
            return try inclusionPath(m, start, start + k, store, hasher) + [rangeHash(start + k, end, store, hasher)]
        }
        return try inclusionPath(m - k, start + k, end, store, hasher) + [rangeHash(start, start + k, store, hasher)]
    }

    /// PROOF(m, D[0:n]) (RFC 9162 §2.1.4.1).
    static func consistencyPath(_ m: Int, _ n: Int, _ store: some SubtreeHashes, _ hasher: MerkleHasher) throws(AuditError) -> [MerkleHash] {
        guard m > 0, m < n else { return [] }
        return try subproof(m, 0, n, true, store, hasher)
    }

    private static func subproof(_ m: Int, _ start: Int, _ end: Int, _ complete: Bool, _ store: some SubtreeHashes, _ hasher: MerkleHasher) throws(AuditError) -> [MerkleHash] {
        let n = end - start
        if m == n { return complete ? [] : [try rangeHash(start, end, store, hasher)] }
        let k = splitPoint(n)
        if m <= k {
            return try subproof(m, start, start + k, complete, store, hasher) + [rangeHash(start + k, end, store, hasher)]
        }
        return try subproof(m - k, start + k, end, false, store, hasher) + [rangeHash(start, start + k, store, hasher)]
    }
}

/// Proof checks anyone can run with nothing but the hashes (RFC 9162 §2.1.3.2 and §2.1.4.2).
public enum MerkleVerifier {
    /// The leaf hash of an entry's bytes (its line without the newline).
    public static func leafHash(_ entry: [UInt8]) -> MerkleHash {
        MerkleHasher().leaf(entry)
    }

    /// The root the inclusion `path` of leaf `index` in a tree of `size` leads to, or nil
    /// when the path has the wrong length for that position.
    public static func rootFromInclusion(index: Int, size: Int, leafHash: MerkleHash, path: [MerkleHash]) -> MerkleHash? {
        guard index >= 0, index < size, leafHash.count == 32, path.allSatisfy({ $0.count == 32 }) else { return nil }
        let hasher = MerkleHasher()
        var r = leafHash
        let complete = walk(path[...], node: index, last: size - 1) { p, fromLeft in
            r = fromLeft ? hasher.node(p, r) : hasher.node(r, p)
        }
        return complete ? r : nil
    }

    /// Whether `path` proves that the tree of `newSize` leaves with `newRoot` extends the
    /// tree of `oldSize` with `oldRoot`.
    public static func verifyConsistency(oldSize: Int, newSize: Int, oldRoot: MerkleHash, newRoot: MerkleHash, path: [MerkleHash]) -> Bool {
        guard oldSize >= 0, oldSize <= newSize, path.allSatisfy({ $0.count == 32 }) else { return false }
        if oldSize == newSize { return path.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return path.isEmpty && oldRoot == MerkleHasher.emptyRoot }
        guard !path.isEmpty else { return false }
        var path = path[...]
        if oldSize & (oldSize - 1) == 0 { path = [oldRoot] + path }
        guard let first = path.first else { return false }
        let hasher = MerkleHasher()
        var fn = oldSize - 1, sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = first, sr = first
        let complete = walk(path.dropFirst(), node: fn, last: sn) { c, fromLeft in
            if fromLeft {
                fr = hasher.node(c, fr)
                sr = hasher.node(c, sr)
            } else {
                sr = hasher.node(sr, c)
            }
        }
        return complete && fr == oldRoot && sr == newRoot
    }

    /// The walk both checks share (RFC 9162 §2.1.3.2 step 4, §2.1.4.2 step 6): for each proof
    /// hash, whether it joins from the left, given the node's index `node` and the last
    /// node's `last` at the current level. False when the path does not end at the root.
    private static func walk(_ path: ArraySlice<MerkleHash>, node: Int, last: Int, _ join: (MerkleHash, Bool) -> Void) -> Bool {
        var fn = node, sn = last
        for hash in path {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                join(hash, true)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                join(hash, false)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0
    }
}
