import Foundation
import PinDigest
import PinModel
@_spi(Fuzzing) @testable import PinStore
import PinTestSupport
import Synchronization
import SystemPackage
import Testing

/// Overwrites a blob in place with other bytes of the same size and restores its mode: what a
/// local user who can write the store does to slip bytes past a size check.
func swapInPlace(_ fixture: StoreFixture, _ digest: SHA256Digest, with bytes: [UInt8]) throws {
    let path = fixture.store.blobPath(digest)
    chmod(path.string, 0o644)
    try Data(bytes).write(to: fixture.url(path))
    chmod(path.string, 0o444)
}

@Suite("Blob stamps: a blob swapped for same-size bytes is noticed")
struct BlobStampTests {
    @Test func aSwappedBlobIsNotHandedOutAndFastVerifyReportsIt() throws {
        try StoreFixture.with { fixture throws in
            let original = pseudoRandomBytes(count: 4096, seed: 7)
            let digest = try fixture.store.ingest(file: fixture.file("a", original)).digest
            #expect(try fixture.store.path(of: digest) == fixture.store.blobPath(digest))

            try swapInPlace(fixture, digest, with: pseudoRandomBytes(count: 4096, seed: 8))
            #expect(throws: StoreError.self) { try fixture.store.path(of: digest) }
            #expect {
                _ = try fixture.store.path(of: digest)
            } throws: { error in
                guard case StoreError.blobChanged(let named, let actual)? = error as? StoreError else { return false }
                return named == digest && actual == SHA256.hash(pseudoRandomBytes(count: 4096, seed: 8))
            }
            let report = try fixture.store.verify(contents: false)
            #expect(report.problems.map(\.kind) == [.corrupt], "\(report.problems)")
            #expect(report.problems.first?.actual == SHA256.hash(pseudoRandomBytes(count: 4096, seed: 8)).description)
        }
    }

    @Test func anIngestOfTheRightBytesRepairsASwappedBlob() throws {
        try StoreFixture.with { fixture throws in
            let original = pseudoRandomBytes(count: 4096, seed: 7)
            let digest = try fixture.store.ingest(file: fixture.file("a", original)).digest
            try swapInPlace(fixture, digest, with: pseudoRandomBytes(count: 4096, seed: 9))
            _ = try fixture.store.ingest(file: fixture.file("b", original), expecting: BlobExpectation(digest: digest, size: 4096))
            #expect(try fixture.contents(fixture.store.path(of: digest)) == original)
        }
    }

    /// A store written before stamps existed: each blob is hashed once, then stamped.
    @Test func aBlobWithoutAStampIsHashedOnceThenTrusted() throws {
        try StoreFixture.with { fixture throws in
            let digest = try fixture.store.ingest(file: fixture.file("a", .text("legacy"))).digest
            try FileManager.default.removeItem(atPath: fixture.store.stampsDirectory.string)
            let status = try #require(try FileSystem.entry(at: fixture.store.blobPath(digest)))
            #expect(!fixture.store.stampMatches(digest, status))
            _ = try fixture.store.path(of: digest)
            #expect(fixture.store.stampMatches(digest, status))
        }
    }

    static let canonicalStamp = "modelpin-stamp/1 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 2049 1311 4096 1764680400 123456789 1764680400 123456789\n"

    /// One stamp has one spelling: what parses renders back byte for byte (the fuzz target's
    /// invariant), so a stamp is never "equal" to a record written in some other form.
    @Test(arguments: [
        canonicalStamp.replacingOccurrences(of: " 4096 ", with: " +4096 "),
        canonicalStamp.replacingOccurrences(of: " 4096 ", with: " 04096 "),
        canonicalStamp.replacingOccurrences(of: " 1311 ", with: " -0 "),
        canonicalStamp.replacingOccurrences(of: "sha256:e3b0c442", with: "sha256:E3B0C442"),
    ])
    func aStampInAnotherSpellingIsNoStamp(_ text: String) {
        #expect(BlobStamp(parsing: Array(text.utf8)) == nil)
    }

    @Test func theCanonicalStampParsesAndRendersBack() throws {
        let stamp = try #require(BlobStamp(parsing: Array(Self.canonicalStamp.utf8)))
        #expect(stamp.text == Self.canonicalStamp)
    }
}
