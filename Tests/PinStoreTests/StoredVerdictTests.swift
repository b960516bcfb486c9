import Foundation
import PinDigest
import PinModel
@testable import PinStore
import PinTestSupport
import Synchronization
import SystemPackage
import Testing

@Suite("Verdicts kept in the store")
struct StoredVerdictTests {
    let scanner = "modelpin-scan/1"

    @Test func aRecordedVerdictIsReadBackForTheSameDigestAndScannerOnly() throws {
        try StoreFixture.with { fixture throws in
            let digest = SHA256.hash(Array("weights".utf8))
            let other = SHA256.hash(Array("other".utf8))
            let verdict = StoredVerdict(verdict: "safe", format: "pickle", accepted: ["acme.Layer"])
            try fixture.store.recordVerdict(verdict, for: digest, scanner: scanner)
            #expect(fixture.store.storedVerdict(for: digest, scanner: scanner) == verdict)
            #expect(fixture.store.storedVerdict(for: digest, scanner: "modelpin-scan/2") == nil)
            #expect(fixture.store.storedVerdict(for: other, scanner: scanner) == nil)
        }
    }

    /// A record that is anything but exactly right is absent (the blob is rescanned), never safe.
    @Test(arguments: [
        ("{\"verdict\": \"safe\"}\n", "not a record"),
        ("modelpin-verdict/2 modelpin-scan/1 DIGEST safe pickle\n", "another version"),
        ("modelpin-verdict/1 modelpin-scan/1 sha256:0000000000000000000000000000000000000000000000000000000000000000 safe pickle\n", "another digest"),
        ("modelpin-verdict/1 modelpin-scan/9 DIGEST safe pickle\n", "another scanner"),
        ("modelpin-verdict/1 modelpin-scan/1 DIGEST  pickle\n", "no verdict"),
        ("modelpin-verdict/1 modelpin-scan/1 DIGEST safe\n", "missing fields"),
        ("modelpin-verdict/1 modelpin-scan/1 DIGEST safe pickle", "no line end: cut short"),
        ("modelpin-verdict/1 modelpin-scan/1 DIGEST safe pickle\nmore\n", "a second line"),
        ("modelpin-verdict/1 modelpin-scan/1 DIGEST safe pickle b.B a.A\n", "accepted callables out of order"),
        ("modelpin-verdict/1 modelpin-scan/1 DIGEST safe\tpickle\n", "a tab inside a word"),
    ])
    func aCorruptRecordIsTreatedAsAbsent(_ text: String, _ what: String) throws {
        try StoreFixture.with { fixture throws in
            let digest = SHA256.hash(Array("weights".utf8))
            try fixture.store.recordVerdict(StoredVerdict(verdict: "unsafe", format: "pickle", accepted: []), for: digest, scanner: scanner)
            try Data(text.replacingOccurrences(of: "DIGEST", with: digest.description).utf8)
                .write(to: fixture.url(fixture.store.verdictPath(digest, scanner: scanner)))
            #expect(fixture.store.storedVerdict(for: digest, scanner: scanner) == nil, "\(what)")
        }
    }

    @Test func aVerdictWithAWordNoRecordCanHoldIsNotKept() throws {
        try StoreFixture.with { fixture throws in
            let digest = SHA256.hash(Array("weights".utf8))
            try fixture.store.recordVerdict(StoredVerdict(verdict: "safe", format: "pickle", accepted: ["a b.C"]), for: digest, scanner: scanner)
            #expect(fixture.store.storedVerdict(for: digest, scanner: scanner) == nil)
        }
    }

    @Test func gcForgetsTheVerdictsAndStampsOfDeletedBlobs() throws {
        try StoreFixture.with { fixture throws in
            let digest = try fixture.store.ingest(file: fixture.file("a", .text("bytes"))).digest
            try fixture.store.recordVerdict(StoredVerdict(verdict: "safe", format: "unknown", accepted: []), for: digest, scanner: scanner)
            _ = try fixture.store.collectGarbage(GCPolicy(gracePeriod: -10))
            #expect(!FileManager.default.fileExists(atPath: fixture.store.blobPath(digest).string))
            #expect(fixture.store.storedVerdict(for: digest, scanner: scanner) == nil)
            #expect(try fixture.names(in: fixture.store.stampsDirectory).isEmpty)
        }
    }
}
