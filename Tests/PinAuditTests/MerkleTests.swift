@testable import PinAudit
import PinModel
import Testing

/// RFC 6962 test vectors (Certificate Transparency's reference set, as published with
/// transparency-dev/merkle and Go's tlog tests).
@Suite struct MerkleTests {
    static let leaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(hex)
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map(hex)
    /// (leaf index, tree size, path)
    static let inclusions: [(Int, Int, [String])] = [
        (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]
    /// (old size, new size, path)
    static let consistencies: [(Int, Int, [String])] = [
        (1, 1, []),
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// An in-memory stored-hash array built exactly as the log builds its file.
    struct MemoryHashes: SubtreeHashes {
        var slots: [MerkleHash] = []
        let hasher = MerkleHasher()

        init(_ leaves: [[UInt8]]) {
            for (n, leaf) in leaves.enumerated() {
                let current = slots
                let written = try! StoredHashes.appended(leaf: n, leafHash: hasher.leaf(leaf), hasher: hasher) { level, index in
                    current[StoredHashes.slot(level: level, index: index)]
                }
                slots += written
            }
        }

        func hash(level: Int, index: Int) throws(AuditError) -> MerkleHash {
            slots[StoredHashes.slot(level: level, index: index)]
        }
    }

    @Test func roots() throws {
        #expect(MerkleHasher.emptyRoot == Self.hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        for size in 1...8 {
            let stored = MemoryHashes(Array(Self.leaves.prefix(size)))
            #expect(stored.slots.count == StoredHashes.count(size: size))
            #expect(try Merkle.rangeHash(0, size, stored, MerkleHasher()) == Self.roots[size - 1], "size \(size)")
        }
    }

    @Test func inclusionVectors() throws {
        for (index, size, path) in Self.inclusions {
            let stored = MemoryHashes(Array(Self.leaves.prefix(size)))
            let proof = try Merkle.inclusionPath(index, 0, size, stored, MerkleHasher())
            #expect(proof == path.map(Self.hex), "leaf \(index) of \(size)")
            let leaf = MerkleVerifier.leafHash(Self.leaves[index])
            #expect(MerkleVerifier.rootFromInclusion(index: index, size: size, leafHash: leaf, path: proof) == Self.roots[size - 1])
        }
    }

    @Test func consistencyVectors() throws {
        let stored = MemoryHashes(Self.leaves)
        for (old, new, path) in Self.consistencies {
            let proof = try Merkle.consistencyPath(old, new, stored, MerkleHasher())
            #expect(proof == path.map(Self.hex), "\(old) → \(new)")
            #expect(MerkleVerifier.verifyConsistency(oldSize: old, newSize: new, oldRoot: Self.roots[old - 1], newRoot: Self.roots[new - 1], path: proof))
        }
    }

    /// Every index of every size 1…70, and every old size: proofs verify, and fail for a
    /// flipped bit, a wrong index or a wrong root.
    @Test func proofRoundTrips() throws {
        let leaves = (0..<70).map { [UInt8(truncatingIfNeeded: $0), 0xAB] }
        let stored = MemoryHashes(leaves)
        let hasher = MerkleHasher()
        let roots = try (0...70).map { try Merkle.rangeHash(0, $0, stored, hasher) }
        for size in 1...70 {
            #expect(roots[size] == naiveRoot(Array(leaves.prefix(size))))
            for index in 0..<size {
                let path = try Merkle.inclusionPath(index, 0, size, stored, hasher)
                let leaf = hasher.leaf(leaves[index])
                #expect(MerkleVerifier.rootFromInclusion(index: index, size: size, leafHash: leaf, path: path) == roots[size])
                if !path.isEmpty {
                    var flipped = path
                    flipped[0][0] ^= 1
                    #expect(MerkleVerifier.rootFromInclusion(index: index, size: size, leafHash: leaf, path: flipped) != roots[size])
                    #expect(MerkleVerifier.rootFromInclusion(index: index, size: size, leafHash: hasher.leaf([0xFF]), path: path) != roots[size])
                    #expect(MerkleVerifier.rootFromInclusion(index: index, size: size, leafHash: leaf, path: path + [leaf]) == nil)
                }
            }
            for old in 0...size {
                let path = try Merkle.consistencyPath(old, size, stored, hasher)
                #expect(MerkleVerifier.verifyConsistency(oldSize: old, newSize: size, oldRoot: roots[old], newRoot: roots[size], path: path), "\(old) → \(size)")
                if old > 0 && old < size {
                    var otherOld = roots[old]
                    otherOld[0] ^= 1
                    #expect(!MerkleVerifier.verifyConsistency(oldSize: old, newSize: size, oldRoot: otherOld, newRoot: roots[size], path: path))
                    #expect(!MerkleVerifier.verifyConsistency(oldSize: old, newSize: size, oldRoot: roots[old], newRoot: roots[size - 1], path: path))
                    var flipped = path
                    flipped[flipped.count - 1][31] ^= 0x80
                    #expect(!MerkleVerifier.verifyConsistency(oldSize: old, newSize: size, oldRoot: roots[old], newRoot: roots[size], path: flipped))
                }
            }
        }
    }

    /// MTH straight from RFC 6962's recursive definition.
    private func naiveRoot(_ leaves: [[UInt8]]) -> MerkleHash {
        let hasher = MerkleHasher()
        if leaves.count == 1 { return hasher.leaf(leaves[0]) }
        let k = splitPoint(leaves.count)
        return hasher.node(naiveRoot(Array(leaves[..<k])), naiveRoot(Array(leaves[k...])))
    }

    @Test func storedHashLayout() {
        for slots in 0...300 {
            let leaves = StoredHashes.leaves(inSlots: slots)
            #expect(StoredHashes.count(size: leaves) <= slots)
            #expect(StoredHashes.count(size: leaves + 1) > slots)
        }
        #expect(StoredHashes.slot(level: 0, index: 3) == 4)
        #expect(StoredHashes.slot(level: 2, index: 0) == 6)
    }
}
