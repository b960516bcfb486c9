import Foundation
import PinDigest
import PinModel
import PinStore
import PinTestSupport
import Synchronization
import SystemPackage
import Testing

@Suite("Verifying the store")
struct VerifyTests {
    @Test(arguments: [false, true])
    func aFreshStoreIsHealthy(contents: Bool) throws {
        try StoreFixture.with { fixture throws in
            for index in 0..<5 {
                let digest = try fixture.store.ingest(file: fixture.file("f\(index)", pseudoRandomBytes(count: 10_000 * index, seed: UInt64(index)))).digest
                if index.isMultiple(of: 2) { try fixture.store.pin(digest) }
            }
            let report = try fixture.store.verify(contents: contents)
            #expect(report.problems == [])
            #expect(report.blobs == 5)
            #expect(report.bytes == 100_000)
        }
    }

    @Test func fastModeCatchesAWritableBlobAndContentsModeTheChangedBytes() throws {
        try StoreFixture.with { fixture throws in
            let digest = try fixture.store.ingest(file: fixture.file("w", pseudoRandomBytes(count: 5000, seed: 1))).digest
            try fixture.tamper(with: digest)

            // The fast mode sees the changed file too: its stamp no longer matches, so it is re-hashed.
            let fast = try fixture.store.verify(contents: false)
            #expect(Set(fast.problems.map(\.kind)) == [.writable, .corrupt])

            let deep = try fixture.store.verify(contents: true)
            #expect(Set(deep.problems.map(\.kind)) == [.writable, .corrupt])
            let corrupt = try #require(deep.problems.first { $0.kind == .corrupt })
            #expect(corrupt.digest == digest)
            #expect(corrupt.expected == digest.description)
            #expect(corrupt.actual == SHA256.hash(try fixture.contents(fixture.store.blobPath(digest))).description)
        }
    }

    @Test func reportsMissingBlobsAndWrongSizesOfPinnedBlobs() throws {
        try StoreFixture.with { fixture throws in
            let gone = try fixture.store.ingest(file: fixture.file("a", .text("will be deleted"))).digest
            let cut = try fixture.store.ingest(file: fixture.file("b", .text("will be truncated"))).digest
            try fixture.store.pin(gone)
            try fixture.store.pin(cut)
            try FileManager.default.removeItem(atPath: fixture.store.blobPath(gone).string)
            truncate(fixture.store.blobPath(cut).string, 3)

            let report = try fixture.store.verify(contents: false)
            let missing = report.problems.filter { $0.kind == .missing }
            let corrupt = report.problems.filter { $0.kind == .corrupt }
            #expect(missing.map(\.digest) == [gone])
            #expect(corrupt.map(\.digest) == [cut])
            #expect(corrupt.first?.expected == "17 bytes")
            #expect(corrupt.first?.actual == "3 bytes")
        }
    }

    @Test func reportsStrayEntries() throws {
        try StoreFixture.with { fixture throws in
            let blobs = fixture.store.blobsDirectory
            try Data("x".utf8).write(to: fixture.url(blobs.appending("notes.txt")))
            try FileManager.default.createDirectory(atPath: blobs.appending(String(repeating: "a", count: 64)).string, withIntermediateDirectories: false)
            try FileManager.default.createDirectory(atPath: blobs.removingLastComponent().appending("sha512").string, withIntermediateDirectories: false)
            let report = try fixture.store.verify(contents: true)
            #expect(report.problems.map(\.kind) == [.stray, .stray, .stray])
            #expect(report.problems.contains { $0.path.hasSuffix("notes.txt") && $0.detail.contains("digest name") })
            #expect(report.problems.contains { $0.detail.contains("directory") })
        }
    }

    @Test func countsTemporaryFilesWithoutCallingThemProblems() throws {
        try StoreFixture.with { fixture throws in
            try Data(count: 1234).write(to: fixture.url(fixture.store.temporaryDirectory.appending("ingest-0123456789abcdef.part")))
            let report = try fixture.store.verify(contents: false)
            #expect(report.isHealthy)
            #expect(report.temporaryFiles == 1)
            #expect(report.temporaryBytes == 1234)
        }
    }
}

@Suite("Garbage collection")
struct GarbageCollectionTests {
    @Test func removesOnlyOldUnreferencedBlobs() throws {
        try StoreFixture.with { fixture throws in
            let store = fixture.store
            let pinned = try store.ingest(file: fixture.file("p", .text("pinned"))).digest
            let old = try store.ingest(file: fixture.file("o", .text("old and unreferenced"))).digest
            let fresh = try store.ingest(file: fixture.file("f", .text("fresh and unreferenced"))).digest
            try store.pin(pinned)
            age(fixture.url(store.blobPath(pinned)), bySeconds: 7200)
            age(fixture.url(store.blobPath(old)), bySeconds: 7200)

            let dry = try store.collectGarbage(GCPolicy(gracePeriod: 3600, dryRun: true))
            #expect(dry.removed.map(\.digest) == [old])
            #expect(try store.blobs().count == 3)

            let report = try store.collectGarbage(GCPolicy(gracePeriod: 3600))
            #expect(report.removed.map(\.digest) == [old])
            #expect(report.freedBytes == 20)
            #expect(report.live == 1 && report.recent == 1)
            #expect(Set(try store.blobs().map(\.digest)) == [pinned, fresh])

            try store.unpin(pinned)
            #expect(try store.collectGarbage(GCPolicy(gracePeriod: 3600)).removed.map(\.digest) == [pinned])
            #expect(try store.collectGarbage(GCPolicy(gracePeriod: 0)).removed.map(\.digest) == [fresh])
        }
    }

    @Test func abortsWithoutDeletingWhenARootIsUnreadable() throws {
        try StoreFixture.with { fixture throws in
            let store = fixture.store
            let digest = try store.ingest(file: fixture.file("a", .text("precious"))).digest
            age(fixture.url(store.blobPath(digest)), bySeconds: 7200)
            try Data("{ not json".utf8).write(to: fixture.url(store.rootsDirectory.appending("lockfile-root.json")))
            #expect {
                try store.collectGarbage(GCPolicy(gracePeriod: 0))
            } throws: { error in
                guard case .unreachableRoots(let reasons) = error as? StoreError else { return false }
                return reasons.count == 1 && reasons[0].contains("lockfile-root.json")
            }
            #expect(try store.blobs().map(\.digest) == [digest])
        }
    }

    @Test func refusesRootsOfAnUnknownVersion() throws {
        try StoreFixture.with { fixture throws in
            let future = #"{"version": 2, "kind": "lockfile", "path": "/somewhere/modelpin.lock"}"#
            try Data(future.utf8).write(to: fixture.url(fixture.store.rootsDirectory.appending("future.json")))
            #expect {
                try fixture.store.collectGarbage(GCPolicy(gracePeriod: 0))
            } throws: { error in
                (error as? StoreError)?.causes.first?.contains("version 2 is not supported") == true
            }
            #expect(try fixture.store.verify(contents: false).problems.map(\.kind) == [.unreadable])
        }
    }

    @Test func followsOCIManifestsFromARoot() throws {
        try StoreFixture.with { fixture throws in
            let store = fixture.store
            let layer = try store.ingest(file: fixture.file("layer", .text("weights"))).digest
            let config = try store.ingest(file: fixture.file("config", .text("{}"))).digest
            let manifest = """
                {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                 "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "\(config)", "size": 2},
                 "layers": [{"mediaType": "application/octet-stream", "digest": "\(layer)", "size": 7}]}
                """
            let manifestDigest = try store.ingest(file: fixture.file("manifest", .text(manifest))).digest
            try store.pin(manifestDigest, mediaType: MediaType.imageManifest)
            for digest in [layer, config, manifestDigest] { age(fixture.url(store.blobPath(digest)), bySeconds: 7200) }

            let report = try store.collectGarbage(GCPolicy(gracePeriod: 0))
            #expect(report.removed.isEmpty)
            #expect(report.live == 3)

            // A manifest whose referent is gone: verify names it, GC would have kept it anyway.
            try FileManager.default.removeItem(atPath: store.blobPath(layer).string)
            #expect(try store.verify(contents: false).problems.map(\.digest) == [layer])
        }
    }

    @Test func abortsWhenAPinnedManifestIsMissing() throws {
        try StoreFixture.with { fixture throws in
            let store = fixture.store
            let bytes = Array.text(#"{"schemaVersion": 2, "config": {"mediaType": "x", "digest": "sha256:\#(String(repeating: "0", count: 64))", "size": 1}, "layers": []}"#)
            let manifest = try store.ingest(file: fixture.file("m", bytes)).digest
            try store.pin(manifest, mediaType: MediaType.imageManifest)
            try FileManager.default.removeItem(atPath: store.blobPath(manifest).string)
            let other = try store.ingest(file: fixture.file("o", .text("other"))).digest
            age(fixture.url(store.blobPath(other)), bySeconds: 7200)
            #expect(throws: StoreError.self) { try store.collectGarbage(GCPolicy(gracePeriod: 0)) }
            #expect(try store.blobs().map(\.digest) == [other])
        }
    }

    @Test func waitsForOpenQuarantinesBeforeCollecting() throws {
        try StoreFixture.with { fixture throws in
            let store = fixture.store
            let quarantine = try store.makeQuarantine(source: "slow download")
            try Array.text("arriving").withUnsafeBytes { try quarantine.write($0) }

            let finished = Mutex<GCReport?>(nil)
            let collector = Thread {
                let report = try? store.collectGarbage(GCPolicy(gracePeriod: 0))
                finished.withLock { $0 = report }
            }
            collector.start()
            Thread.sleep(forTimeInterval: 0.3)
            #expect(finished.withLock { $0 } == nil, "gc ran while a blob was in quarantine")

            let promoted = try store.promote(quarantine, expecting: BlobExpectation())
            var report: GCReport?
            for _ in 0..<500 where report == nil {
                Thread.sleep(forTimeInterval: 0.01)
                report = finished.withLock { $0 }
            }
            // It ran after the promotion: the blob was whole (and, unpinned with no grace, collected).
            #expect(report?.removed.map(\.digest) == [promoted.digest])
        }
    }

    @Test func removesStaleTempFilesAndIdleLocks() throws {
        try StoreFixture.with { fixture throws in
            let store = fixture.store
            let stale = fixture.url(store.temporaryDirectory.appending("ingest-00000000deadbeef.part"))
            let fresh = fixture.url(store.temporaryDirectory.appending("ingest-00000000cafef00d.part"))
            try Data(count: 100).write(to: stale)
            try Data(count: 100).write(to: fresh)
            age(stale, bySeconds: 7200)
            _ = try store.ingest(file: fixture.file("a", .text("a")), expecting: BlobExpectation(digest: SHA256.hash(Array.text("a"))))
            #expect(try fixture.names(in: store.locksDirectory).count == 1)

            let report = try store.collectGarbage(GCPolicy(gracePeriod: 3600))
            #expect(report.removed.map(\.path) == [stale.path])
            #expect(try fixture.names(in: store.temporaryDirectory) == ["ingest-00000000cafef00d.part"])
            #expect(try fixture.names(in: store.locksDirectory).isEmpty)
        }
    }
}

@Suite("Pins")
struct PinTests {
    @Test func pinsOnlyPresentBlobsAndUnpinsOnlyPinnedOnes() throws {
        try StoreFixture.with { fixture throws in
            let store = fixture.store
            let absent = SHA256.hash(Array.text("never added"))
            #expect(throws: StoreError.self) { try store.pin(absent) }
            #expect(throws: StoreError.self) { try store.unpin(absent) }

            let digest = try store.ingest(file: fixture.file("a", .text("keep me"))).digest
            #expect(try store.pin(digest))
            #expect(try !store.pin(digest))
            let roots = try store.roots()
            #expect(roots.unreadable.isEmpty)
            #expect(roots.roots.flatMap(\.descriptors) == [Descriptor(mediaType: MediaType.octetStream, digest: digest, size: 7)])
            try store.unpin(digest)
            #expect(try store.roots().roots.isEmpty)
        }
    }
}

@Suite("Lockfile roots")
struct LockfileRootTests {
    @Test func aRegisteredLockfileKeepsItsBlobsUntilItIsUnregistered() throws {
        try StoreFixture.with { fixture throws in
            let store = fixture.store
            let kept = try store.ingest(file: fixture.file("a", .text("locked weights"))).digest
            let loose = try store.ingest(file: fixture.file("b", .text("not locked"))).digest
            let lockfile = FilePath("/projects/demo/modelpin.lock")
            try store.registerLockfile(lockfile, blobs: [Descriptor(mediaType: MediaType.octetStream, digest: kept, size: 14)])
            // Registering the same lock again rewrites nothing and keeps one root.
            try store.registerLockfile(lockfile, blobs: [Descriptor(mediaType: MediaType.octetStream, digest: kept, size: 14)])
            let roots = try store.roots().roots
            #expect(roots.count == 1)
            #expect(roots.first?.kind == .lockfile)
            #expect(roots.first?.lockfile == lockfile)

            #expect(try store.collectGarbage(GCPolicy(gracePeriod: 0)).removed.map(\.digest) == [loose])
            #expect(try store.unregisterLockfile(lockfile))
            #expect(try !store.unregisterLockfile(lockfile))
            #expect(try store.collectGarbage(GCPolicy(gracePeriod: 0)).removed.map(\.digest) == [kept])
        }
    }

    @Test func aLockfileRootWithoutItsBlobListStopsGC() throws {
        try StoreFixture.with { fixture throws in
            let store = fixture.store
            _ = try store.ingest(file: fixture.file("a", .text("bytes")))
            try writeFile(URL(fileURLWithPath: store.root.appending("roots/lockfile-broken.json").string), Array(#"{"kind": "lockfile", "version": 1}"#.utf8))
            #expect(throws: StoreError.self) { try store.collectGarbage(GCPolicy(gracePeriod: 0)) }
            #expect(try store.blobs().count == 1)
        }
    }
}
