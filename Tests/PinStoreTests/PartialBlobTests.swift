import Foundation
import PinDigest
import PinModel
import PinStore
import PinTestSupport
import SystemPackage
import Testing

@Suite("Partial blobs")
struct PartialBlobTests {
    let data = pseudoRandomBytes(count: 10 << 20 | 123, seed: 61)
    var expected: PartialBlob.Expectation { .init(size: Int64(data.count), sha256: SHA256.hash(data), gitBlobID: nil) }

    func write(_ partial: PartialBlob, _ work: PartialBlob.Work, count: Int? = nil) throws {
        let start = Int(work.range.first)
        let end = start + (count ?? Int(work.range.count))
        try data[start..<end].withUnsafeBytes { try partial.write($0, for: work) }
    }

    @Test func partsWrittenOutOfOrderArePromotedWhenComplete() throws {
        try StoreFixture.with { fixture throws in
            let partial = try fixture.store.openPartial(expected: expected, partSize: 3 << 20, source: "test")
            let work = partial.pendingWork
            #expect(work.count == 4)
            for piece in work.reversed() { try write(partial, piece) }
            let result = try fixture.store.promote(partial)
            #expect(result.digest == SHA256.hash(data))
            #expect(try fixture.contents(fixture.store.blobPath(result.digest)) == data)
            #expect(try fixture.names(in: fixture.store.temporaryDirectory.appending("partial")).isEmpty)
        }
    }

    @Test func progressSurvivesReopeningAndThePrefixIsHashedAgain() throws {
        try StoreFixture.with { fixture throws in
            do {
                let partial = try fixture.store.openPartial(expected: expected, partSize: 4 << 20, source: "test")
                let first = partial.pendingWork
                try write(partial, first[0])
                try write(partial, first[1], count: 1 << 20)
                partial.close()
            }
            let resumed = try fixture.store.openPartial(expected: expected, partSize: 1 << 20, source: "test")
            #expect(resumed.resumedBytes == 5 << 20)
            let left = resumed.pendingWork
            #expect(left.map(\.range.first) == [5 << 20, 8 << 20])
            for piece in left { try write(resumed, piece) }
            #expect(try fixture.store.promote(resumed).digest == SHA256.hash(data))
        }
    }

    @Test func refusesBytesBeyondAPartAndAWrongDigest() throws {
        try StoreFixture.with { fixture throws in
            let partial = try fixture.store.openPartial(expected: expected, partSize: 8 << 20, source: "test")
            let last = partial.pendingWork[1]
            #expect(throws: StoreError.self) {
                try (data[Int(last.range.first)...] + [0]).withUnsafeBytes { try partial.write($0, for: last) }
            }
            var wrong = data
            wrong[7] ^= 1
            for piece in partial.pendingWork {
                let start = Int(piece.range.first), end = start + Int(piece.range.count)
                try wrong[start..<end].withUnsafeBytes { try partial.write($0, for: piece) }
            }
            #expect {
                try fixture.store.promote(partial)
            } throws: { error in
                guard case .digestMismatch = error as? StoreError else { return false }
                return true
            }
            #expect(try fixture.store.blobs().isEmpty)
            #expect(try fixture.names(in: fixture.store.temporaryDirectory.appending("partial")).isEmpty)
        }
    }

    @Test func restartingAsOneStreamSupersedesTheOldParts() throws {
        try StoreFixture.with { fixture throws in
            let partial = try fixture.store.openPartial(expected: expected, partSize: 2 << 20, source: "test")
            let old = partial.pendingWork
            try write(partial, old[2])
            let single = try #require(partial.restartAsOneStream(from: old[0]))
            #expect(single.range == ByteRange(first: 0, last: Int64(data.count) - 1))
            // A second worker of the old layout does not restart it again.
            #expect(partial.restartAsOneStream(from: old[1]) == nil)
            #expect(throws: StoreError.self) { try write(partial, old[0]) }
            try write(partial, single)
            // Complete: nothing may restart (and rewrite) it any more.
            #expect(partial.restartAsOneStream(from: single) == nil)
            #expect(try fixture.store.promote(partial).digest == SHA256.hash(data))
        }
    }

    @Test func checksGitBlobIDsOfSmallFiles() throws {
        try StoreFixture.with { fixture throws in
            let small = Array(#"{"a": 1}"#.utf8)
            let git = GitBlobHasher.id(of: small)
            let partial = try fixture.store.openPartial(expected: .init(size: Int64(small.count), sha256: nil, gitBlobID: git), partSize: 1 << 20, source: "config.json")
            try small.withUnsafeBytes { try partial.write($0, for: partial.pendingWork[0]) }
            let result = try fixture.store.promote(partial)
            #expect(fixture.store.blob(gitBlobID: git, size: Int64(small.count)) == result.digest)

            let other = try fixture.store.openPartial(expected: .init(size: 2, sha256: nil, gitBlobID: git), partSize: 1 << 20, source: "x")
            try Array("{}".utf8).withUnsafeBytes { try other.write($0, for: other.pendingWork[0]) }
            #expect(throws: StoreError.self) { try fixture.store.promote(other) }
        }
    }
}
