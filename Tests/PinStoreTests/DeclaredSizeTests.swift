import Foundation
import PinDigest
import PinModel
@testable import PinStore
import PinTestSupport
import Synchronization
import SystemPackage
import Testing

@Suite("Declared sizes", .timeLimit(.minutes(1)))
struct DeclaredSizeTests {
    @Test(arguments: [Int64(-1), Int64(1) << 62, Int64.max, FileSizeLimit.maximum + 1])
    func aPartialOfAnImpossibleSizeIsRefused(_ size: Int64) throws {
        try StoreFixture.with { fixture throws in
            let expected = PartialBlob.Expectation(size: size, sha256: SHA256.hash([1]), gitBlobID: nil)
            #expect {
                _ = try fixture.store.openPartial(expected: expected, partSize: 64 << 20, source: "listed")
            } throws: { error in
                guard case StoreError.implausibleSize? = error as? StoreError else { return false }
                return (error as? StoreError)?.kind == .refused
            }
            #expect(((try? fixture.names(in: fixture.store.temporaryDirectory.appending("partial"))) ?? []).filter { $0.hasSuffix(".part") }.isEmpty)
        }
    }

    @Test func aTinyPartSizeStillGivesABoundedPartTable() throws {
        try StoreFixture.with { fixture throws in
            let bytes = pseudoRandomBytes(count: 1 << 20, seed: 3)
            let partial = try fixture.store.openPartial(
                expected: .init(size: Int64(bytes.count), sha256: SHA256.hash(bytes), gitBlobID: nil), partSize: 1, source: "t")
            defer { partial.close() }
            #expect(partial.pendingWork.count <= Int(PartialBlob.maximumParts))
        }
    }
}
