import PinDigest
import PinModel
import PinTestSupport
import Testing

@Suite("SHA-256 over OpenSSL EVP")
struct SHA256Tests {
    /// FIPS 180-2 / NIST CSRC example vectors.
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test(arguments: vectors)
    func matchesNISTVectors(_ input: String, _ expected: String) {
        #expect(SHA256.hash(Array(input.utf8)).hex == expected)
    }

    @Test func matchesTheMillionAVector() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(arguments: [1 as UInt64, 2, 3])
    func chunkedEqualsOneShotOverMegabytes(seed: UInt64) {
        let data = pseudoRandomBytes(count: 6 << 20 | 12345, seed: seed)
        let oneShot = SHA256.hash(data)

        var hasher = SHA256()
        var offset = 0
        var split = pseudoRandomBytes(count: 4096, seed: seed &+ 100).makeIterator()
        while offset < data.count {
            // Chunk sizes from 0 to ~128 KiB, crossing every block alignment.
            let size = min(data.count - offset, Int(split.next() ?? 1) * 521)
            hasher.update(data[offset..<(offset + size)])
            offset += size
        }
        #expect(hasher.finalize() == oneShot)
    }

    @Test func copiesAreIndependent() {
        var first = SHA256()
        first.update(Array("ab".utf8))
        var second = first
        first.update(Array("c".utf8))
        second.update(Array("d".utf8))
        #expect(first.finalize() == SHA256.hash(Array("abc".utf8)))
        #expect(second.finalize() == SHA256.hash(Array("abd".utf8)))
    }

    @Test func finalizeLeavesTheHasherUsable() {
        var hasher = SHA256()
        hasher.update(Array("ab".utf8))
        #expect(hasher.finalize() == SHA256.hash(Array("ab".utf8)))
        hasher.update(Array("c".utf8))
        #expect(hasher.finalize() == SHA256.hash(Array("abc".utf8)))
    }

    @Test func reportsTheLoadedLibrary() {
        #expect(CryptoLibrary.versionText.hasPrefix("OpenSSL 3"))
    }
}

@Suite("git blob ids over OpenSSL EVP")
struct GitBlobHasherTests {
    /// Values from `git hash-object --stdin`.
    static let vectors: [(String, String)] = [
        ("", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"),
        ("hello world\n", "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"),
        ("abc", "f2ba8f84ab5c1bce84a7b441cb1959cfc7093b7f"),
    ]

    @Test(arguments: vectors)
    func matchesGit(_ input: String, _ expected: String) {
        #expect(GitBlobHasher.id(of: Array(input.utf8)).hex == expected)
    }

    @Test func streamsInPieces() {
        let data = pseudoRandomBytes(count: 3 << 20, seed: 9)
        var hasher = GitBlobHasher(size: Int64(data.count))
        for start in stride(from: 0, to: data.count, by: 100_003) {
            hasher.update(data[start..<min(data.count, start + 100_003)])
        }
        #expect(hasher.finalize() == GitBlobHasher.id(of: data))
    }

    @Test func givesNoIdWhenTheSizeIsWrong() {
        var short = GitBlobHasher(size: 4)
        short.update(Array("abc".utf8))
        #expect(short.finalize() == nil)
        var long = GitBlobHasher(size: 2)
        long.update(Array("abc".utf8))
        #expect(long.finalize() == nil)
    }
}
