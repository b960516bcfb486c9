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

    /// One stamp has one spelling: the recorded line must be exactly the one the blob's current
    /// identity renders, so a stamp written in any other form (a sign, a leading zero, an
    /// upper-case digest, a missing line end) is a mismatch — a re-hash, never trust.
    @Test(arguments: ["+size", "0size", "upper", "no newline", "exact"])
    func onlyTheExactLineMatches(_ spelling: String) throws {
        try StoreFixture.with { fixture throws in
            let digest = try fixture.store.ingest(file: fixture.file("a", .text("bytes"))).digest
            let status = try #require(try FileSystem.entry(at: fixture.store.blobPath(digest)))
            let exact = BlobStamp(digest: digest, status: status).text
            let size = " \(status.size) "
            let text = switch spelling {
            case "+size": exact.replacingOccurrences(of: size, with: " +\(status.size) ")
            case "0size": exact.replacingOccurrences(of: size, with: " 0\(status.size) ")
            case "upper": exact.replacingOccurrences(of: digest.hex, with: digest.hex.uppercased())
            case "no newline": String(exact.dropLast())
            default: exact
            }
            try Data(text.utf8).write(to: fixture.url(fixture.store.stampsDirectory.appending(digest.hex)))
            #expect(fixture.store.stampMatches(digest, status) == (spelling == "exact"), "\(text)")
        }
    }
}
