import Foundation
import PinDigest
import PinLock
import PinModel
import PinStore
import PinTestSupport
@testable import PinWorkspace
import Synchronization
import Testing

/// What a registry attaches to a model's manifest, listed and checked on a pull.
@Suite("Attachments of a model on a registry")
struct OCIAttachmentTests {
    /// Attaches `payload` to `subject` as a referrer of `artifactType` named `name`.
    static func attach(_ registry: FakeRegistry, to subject: SHA256Digest, artifactType: String, name: String, payload: [UInt8], subjectOverride: SHA256Digest? = nil) {
        registry.put(blob: payload)
        let empty = Array("{}".utf8)
        registry.put(blob: empty)
        let text = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"\#(artifactType)","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\#(SHA256.hash(empty))","size":2},"layers":[{"mediaType":"\#(artifactType)","digest":"\#(SHA256.hash(payload))","size":\#(payload.count),"annotations":{"org.opencontainers.image.title":"\#(name)"}}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(subjectOverride ?? subject)","size":1}}"#
        let digest = registry.put(manifest: Array(text.utf8), tag: nil)
        registry.state.withLock {
            $0.referrers[subject.description, default: []].append(
                Descriptor(mediaType: MediaType.imageManifest, digest: digest, size: Int64(text.utf8.count), annotations: nil))
        }
    }

    @Test func aLockNamingTheManifestIsVerifiedOthersAreListedOrFail() throws {
        try TestWorkspace.with { test in
            let registry = FakeRegistry(http: test.http)
            let (manifest, files) = try OCIPullTests.publish(registry)
            let pairs = files.map { (path: $0.path, sha256: $0.sha256) }
            // The lock of the Hub model it was pushed from: these files, these digests.
            var model = try MirrorFallbackTests.lockedTinyModel(test.hub)
            model.scanner = "modelpin-scan/test"
            let lock = LockfileFormat.render(Lockfile(models: [model]))
            Self.attach(registry, to: manifest, artifactType: OCIAttachments.lockType, name: "modelpin.lock", payload: Array(lock.utf8))
            Self.attach(registry, to: manifest, artifactType: "application/vnd.modelpin.scan-report.v1+json", name: "scan.json", payload: Array("{}".utf8))
            // A scan report of exactly these files is listed (informational); one of others fails.
            let report = ScanReportDocument(
                mediaType: "application/vnd.modelpin.scan-report.v1+json", scanner: "modelpin-scan/test", repo: "acme/tiny-model", commit: TestWorkspace.commit,
                files: files.map { .init(path: $0.path, sha256: $0.sha256, size: $0.size, verdict: "safe", format: "safetensors", accepted: []) })
            Self.attach(registry, to: manifest, artifactType: "application/vnd.modelpin.scan-report.v1+json", name: "report.json", payload: SnapshotManifest.encode(report))
            var lying = report.files
            lying[0] = .init(path: lying[0].path, sha256: SHA256.hash([7]), size: 1, verdict: "safe", format: nil, accepted: [])
            Self.attach(registry, to: manifest, artifactType: "application/vnd.modelpin.scan-report.v1+json", name: "lying.json",
                        payload: SnapshotManifest.encode(ScanReportDocument(mediaType: report.mediaType, scanner: report.scanner, repo: report.repo, commit: report.commit, files: lying)))
            // A lock of other bytes, and a referrer that claims another subject.
            model.files[0].sha256 = SHA256.hash(Array("other".utf8))
            Self.attach(registry, to: manifest, artifactType: OCIAttachments.lockType, name: "other.lock", payload: Array(LockfileFormat.render(Lockfile(models: [model])).utf8))
            Self.attach(registry, to: manifest, artifactType: "application/x-thing", name: "stray", payload: [1], subjectOverride: SHA256.hash([9]))

            let session = try registry.access.connect("oci://registry.test/models/tiny", registry.access, test.cancellation)
            let reports = try OCIAttachments(store: test.store, keyring: nil, lockSigners: []).check(manifest: manifest, files: pairs, session: session)
            #expect(reports.count == 6)
            let byName = Dictionary(reports.map { ($0.name ?? $0.digest, $0) }) { first, _ in first }
            #expect(byName["modelpin.lock"]?.status == .verified)
            #expect(byName["other.lock"]?.status == .failed)
            #expect(byName["scan.json"]?.status == .failed)
            #expect(byName["report.json"]?.status == .listed, "\(byName["report.json"]?.detail ?? "")")
            #expect(byName["report.json"]?.detail.contains("\(files.count) safe") == true, "\(byName["report.json"]?.detail ?? "")")
            #expect(byName["lying.json"]?.status == .failed)
            #expect(reports.contains { $0.status == .failed && $0.detail.contains("another `subject`") })
        }
    }
}
