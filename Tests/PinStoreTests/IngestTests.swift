import Foundation
import PinDigest
import PinModel
import PinStore
import PinTestSupport
import SystemPackage
import Testing

@Suite("Ingesting blobs")
struct IngestTests {
    @Test func createsAnOCIImageLayout() throws {
        try StoreFixture.with { fixture throws in
            let root = fixture.store.root
            #expect(try fixture.names(in: root) == ["blobs", "index.json", "locks", "oci-layout", "roots", "tmp"])
            let layout = try JSONSerialization.jsonObject(with: Data(fixture.contents(root.appending("oci-layout"))))
            #expect((layout as? [String: String]) == ["imageLayoutVersion": "1.0.0"])
            let index = try JSONSerialization.jsonObject(with: Data(fixture.contents(root.appending("index.json")))) as? [String: Any]
            #expect(index?["schemaVersion"] as? Int == 2)
            #expect((index?["manifests"] as? [Any])?.isEmpty == true)
            #expect(try fixture.names(in: root.appending("blobs")) == ["sha256"])
        }
    }

    @Test func storesAFileUnderItsDigestReadOnly() throws {
        try StoreFixture.with { fixture throws in
            let data = pseudoRandomBytes(count: 3 << 20, seed: 1)
            let result = try fixture.store.ingest(file: fixture.file("model.bin", data))
            #expect(result.digest == SHA256.hash(data))
            #expect(result.size == Int64(data.count))
            #expect(result.outcome == .added)
            let blob = fixture.store.blobPath(result.digest)
            #expect(try fixture.contents(blob) == data)
            #expect(try fixture.permissions(blob) == 0o444)
            #expect(try fixture.names(in: fixture.store.temporaryDirectory).isEmpty)
            #expect(try fixture.store.path(of: result.digest) == blob)
        }
    }

    @Test func refusesADigestMismatchAndKeepsNothing() throws {
        try StoreFixture.with { fixture throws in
            let wrong = SHA256.hash(Array.text("something else"))
            let actual = SHA256.hash(Array.text("hello"))
            #expect {
                try fixture.store.ingest(file: fixture.file("a.txt", .text("hello")), expecting: BlobExpectation(digest: wrong))
            } throws: { error in
                guard case .digestMismatch(_, let expected, let got) = error as? StoreError else { return false }
                let text = (error as! StoreError).description
                return expected == wrong && got == actual
                    && text.contains("expected: \(wrong)") && text.contains("actual: \(actual)")
            }
            #expect(try fixture.store.blobs().isEmpty)
            #expect(try fixture.names(in: fixture.store.temporaryDirectory).isEmpty)
        }
    }

    @Test func refusesASizeMismatchBeforeCopying() throws {
        try StoreFixture.with { fixture throws in
            #expect {
                try fixture.store.ingest(file: fixture.file("a.txt", .text("hello")), expecting: BlobExpectation(size: 4))
            } throws: { error in
                guard case .sizeMismatch(_, 4, 5) = error as? StoreError else { return false }
                return true
            }
            #expect(try fixture.store.blobs().isEmpty)
        }
    }

    @Test func cutsOffAStreamLongerThanExpected() throws {
        try StoreFixture.with { fixture throws in
            let quarantine = try fixture.store.makeQuarantine(source: "https://example/endless", sizeLimit: 10)
            try Array.text("0123456789").withUnsafeBytes { try quarantine.write($0) }
            #expect {
                try Array.text("x").withUnsafeBytes { try quarantine.write($0) }
            } throws: { error in
                guard case .exceedsExpectedSize(_, 10) = error as? StoreError else { return false }
                return true
            }
            #expect(try fixture.names(in: fixture.store.temporaryDirectory).isEmpty)
        }
    }

    @Test func removesTheTempFileOfAnAbandonedQuarantine() throws {
        try StoreFixture.with { fixture throws in
            do {
                let quarantine = try fixture.store.makeQuarantine(source: "test")
                try Array.text("partial").withUnsafeBytes { try quarantine.write($0) }
                #expect(try fixture.names(in: fixture.store.temporaryDirectory).count == 1)
            }
            #expect(try fixture.names(in: fixture.store.temporaryDirectory).isEmpty)
            #expect(try fixture.store.blobs().isEmpty)
        }
    }

    @Test func isIdempotentByContent() throws {
        try StoreFixture.with { fixture throws in
            let data = Array.text("same bytes")
            let first = try fixture.store.ingest(file: fixture.file("one", data))
            let second = try fixture.store.ingest(file: fixture.file("two", data))
            let third = try fixture.store.ingest(file: fixture.file("three", data), expecting: BlobExpectation(digest: first.digest))
            #expect(first.outcome == .added)
            #expect(second.outcome == .present && third.outcome == .present)
            #expect(Set([first.digest, second.digest, third.digest]).count == 1)
            #expect(try fixture.store.blobs().count == 1)
        }
    }

    @Test func replacesARottenBlobWithVerifiedBytes() throws {
        try StoreFixture.with { fixture throws in
            let data = pseudoRandomBytes(count: 4096, seed: 3)
            let digest = try fixture.store.ingest(file: fixture.file("a", data)).digest
            try fixture.tamper(with: digest)
            let repair = try fixture.store.ingest(file: fixture.file("b", data), expecting: BlobExpectation(digest: digest))
            #expect(repair.outcome == .replaced)
            #expect(try fixture.contents(fixture.store.blobPath(digest)) == data)
            #expect(try fixture.permissions(fixture.store.blobPath(digest)) == 0o444)
        }
    }

    @Test func concurrentIngestsOfOneContentAllSucceed() throws {
        try StoreFixture.with { fixture throws in
            let data = pseudoRandomBytes(count: 2 << 20, seed: 8)
            let source = try fixture.file("shared.bin", data)
            let digest = SHA256.hash(data)
            let store = fixture.store
            let outcomes = DigestConcurrency.map(Array(0..<12), width: 12) { index in
                Result { () throws(StoreError) in
                    try store.ingest(file: source, expecting: index.isMultiple(of: 2) ? BlobExpectation(digest: digest) : BlobExpectation())
                }
            }
            for outcome in outcomes {
                #expect((try? outcome.get().digest) == digest)
            }
            #expect(try store.blobs().map(\.digest) == [digest])
            #expect(try fixture.contents(store.blobPath(digest)) == data)
            #expect(try fixture.names(in: store.temporaryDirectory).isEmpty)
        }
    }

    @Test func namesAnUnreadableSource() throws {
        try StoreFixture.with { fixture throws in
            let missing = FilePath(fixture.directory.appendingPathComponent("missing.bin").path)
            let error = try #require(throws: StoreError.self) { try fixture.store.ingest(file: missing) }
            #expect(error.description == "no such file: `\(missing)`")
            #expect(error.kind == .operational)
            let directoryError = try #require(throws: StoreError.self) {
                try fixture.store.ingest(file: FilePath(fixture.directory.path))
            }
            #expect(directoryError.description.contains("is a directory"))
        }
    }

    @Test func refusesAStorePathThatIsAFile() throws {
        try withTemporaryDirectory { directory throws in
            let file = try writeFile(directory.appendingPathComponent("store"), .text("not a directory"))
            for access in [Store.Access.readOnly, .readWrite] {
                #expect {
                    try Store.open(at: FilePath(file.path), access: access)
                } throws: { error in
                    guard case .notADirectory = error as? StoreError else { return false }
                    return true
                }
            }
        }
    }

    @Test func readOnlyOpenCreatesNothing() throws {
        try withTemporaryDirectory { directory throws in
            let root = FilePath(directory.appendingPathComponent("absent").path)
            let store = try Store.open(at: root, access: .readOnly)
            #expect(try store.blobs().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: root.string))
        }
    }

    @Test func refusesALayoutFromTheFuture() throws {
        try StoreFixture.with { fixture throws in
            try Data(#"{"imageLayoutVersion": "2.0.0"}"#.utf8).write(to: fixture.url(fixture.store.root.appending("oci-layout")))
            #expect {
                try Store.open(at: fixture.store.root, access: .readWrite)
            } throws: { error in
                guard case .unsupportedLayout(_, "2.0.0") = error as? StoreError else { return false }
                return true
            }
        }
    }
}

@Suite("Where the store lives")
struct StoreLocationTests {
    static let cases: [([String: String], String?)] = [
        (["MODELPIN_HOME": "/srv/models", "XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"], "/srv/models"),
        (["MODELPIN_HOME": "rel/store", "HOME": "/home/u"], "/work/rel/store"),
        (["XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"], "/xdg/modelpin"),
        (["XDG_CACHE_HOME": "relative", "HOME": "/home/u"], "/home/u/.cache/modelpin"),
        (["MODELPIN_HOME": "", "HOME": "/home/u"], "/home/u/.cache/modelpin"),
        ([:], nil),
    ]

    @Test(arguments: cases)
    func resolvesLikeTheREADMESays(_ environment: [String: String], _ expected: String?) {
        #expect(Store.defaultRoot(environment: environment, currentDirectory: "/work")?.string == expected)
    }
}
