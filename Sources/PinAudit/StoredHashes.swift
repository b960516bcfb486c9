// Where each complete subtree's hash lives in `audit/hashes`.
//
// The file holds, in the order an append completes them, every complete aligned subtree's
// hash: appending leaf n writes its leaf hash, then the hash of each subtree that leaf
// completes (level l for every l with 2^l dividing n + 1). So the hashes of the first n
// leaves are exactly the first 2n − popcount(n) slots, the file only ever grows, and the
// (level, index) of a subtree gives its slot by arithmetic: a proof reads O(log n) slots.
// (The same layout idea as Go's golang.org/x/mod/sumdb/tlog StoredHashIndex, derived here
// from the append order.)
enum StoredHashes {
    static let hashSize = 32

    /// Slots used by a tree of `size` leaves.
    static func count(size: Int) -> Int {
        2 * size - size.nonzeroBitCount
    }

    /// The slot of the complete subtree at `level` with `index`.
    static func slot(level: Int, index: Int) -> Int {
        // The leaf that completes it is the subtree's last one.
        let last = (index + 1) << level - 1
        return count(size: last) + level
    }

    /// The number of leaves whose slots fit entirely within `slots` slots (a hashes file cut
    /// short by a crash holds this many leaves' worth).
    static func leaves(inSlots slots: Int) -> Int {
        // count(size:) grows by at least 1 per leaf: search from the estimate slots / 2.
        var size = slots / 2
        while size > 0 && count(size: size) > slots { size -= 1 }
        while count(size: size + 1) <= slots { size += 1 }
        return size
    }

    /// The hashes that appending leaf `n` with `leafHash` writes: the leaf, then each subtree
    /// it completes. `left(level, index)` gives the stored hash of a left sibling.
    static func appended(
        leaf n: Int, leafHash: MerkleHash, hasher: MerkleHasher, left: (Int, Int) throws(AuditError) -> MerkleHash
    ) throws(AuditError) -> [MerkleHash] {
        var written = [leafHash]
        var hash = leafHash
        var level = 0
        var index = n
        while index & 1 == 1 {
            hash = hasher.node(try left(level, index - 1), hash)
            level += 1
            index >>= 1
            written.append(hash)
        }
        return written
    }
}
