import PinDigest
import PinLock
public import PinModel
import PinStore
import struct PinRegistry.FetchedManifest
import PinVerify
import SystemPackage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a registry has attached to a model's manifest (its referrers: manifests whose `subject`
/// is the model's), read and checked after the model's own files were admitted:
///
/// - a lock (`application/vnd.modelpin.lock.v1+toml`) must name exactly this manifest, or
///   exactly the snapshot's files with these digests;
/// - `modelpin.lock.asc` must be a good signature over that attached lock by a pinned lock
///   signer (`MODELPIN_LOCK_SIGNERS`, config.toml), when any is pinned;
/// - an OpenPGP `.asc` over one of the model's files is checked against the stored blob
///   (streamed to gpg) with the keys in modelpin's keyring;
/// - a scan report must name exactly these files and digests (then it is listed: the pull
///   scanned every file itself), and an attached `model.sig` must be the model's own
///   `model.sig` file (then listed: the signature gate verifies that file when OMS signers are
///   pinned); either naming anything else fails;
/// - anything else (an SBOM…) is listed, never passed off as checked.
///
/// Everything read is untrusted: sizes bounded, digests checked by the session, JSON decoded
/// strictly into the few fields used, and a referrer whose `subject` is another manifest fails.
struct OCIAttachments {
    static let lockType = "application/vnd.modelpin.lock.v1+toml"
    static let pgpType = "application/vnd.modelpin.signature.v1+pgp"
    static let lockSignatureName = Lockfile.fileName + ".asc"
    /// An attachment's payload is read whole: a lock, a signature, a report.
    static let payloadLimit = 4 << 20

    let store: Store
    /// modelpin's keyring directory (nil: none, so no OpenPGP check).
    let keyring: Keyring?
    /// Pinned lock signers (may be empty: then `modelpin.lock.asc` is listed, not checked).
    let lockSigners: [Fingerprint]

    /// Every referrer of `manifest`, each checked as far as modelpin can; a failure is a
    /// report, not an error (the caller decides what a failure means for the pull).
    func check(manifest: SHA256Digest, files: [(path: String, sha256: SHA256Digest)], session: any RegistrySession) throws -> [AttachmentReport] {
        var reports: [AttachmentReport] = []
        var payloads: [(Referrer, [UInt8])] = []
        for descriptor in try session.referrers(of: manifest) {
            do {
                let referrer = try Self.referrer(session.manifest(descriptor.digest.description), subject: manifest)
                payloads.append((referrer, try session.smallBlob(referrer.payload, limit: Self.payloadLimit)))
            } catch {
                reports.append(AttachmentReport(
                    digest: descriptor.digest.description, artifactType: descriptor.artifactType ?? descriptor.mediaType,
                    name: descriptor.annotations?[SnapshotManifest.Key.title], status: .failed, detail: Self.explain(error)))
            }
        }
        let lockBytes = payloads.first { $0.0.artifactType == Self.lockType }?.1
        for (referrer, payload) in payloads {
            let (status, detail) = judge(referrer, payload, manifest: manifest, files: files, lock: lockBytes)
            reports.append(AttachmentReport(
                digest: referrer.digest.description, artifactType: referrer.artifactType, name: referrer.name, status: status, detail: detail))
        }
        return reports.sorted { ($0.artifactType, $0.name ?? "", $0.digest) < ($1.artifactType, $1.name ?? "", $1.digest) }
    }

    private func judge(
        _ referrer: Referrer, _ payload: [UInt8], manifest: SHA256Digest, files: [(path: String, sha256: SHA256Digest)], lock: [UInt8]?
    ) -> (AttachmentReport.Status, String) {
        if referrer.artifactType == Self.lockType { return Self.judgeLock(payload, manifest: manifest, files: files) }
        if referrer.artifactType == Attachment.Kind.scanReport { return Self.judgeScanReport(payload, files: files) }
        if referrer.artifactType == Attachment.Kind.sigstoreBundle { return Self.judgeModelSignature(payload, files: files) }
        guard referrer.artifactType == Self.pgpType, let name = referrer.name else {
            return (.listed, "\(payload.count) bytes; modelpin does not check this kind of attachment on a pull by name")
        }
        guard let keyring else { return (.listed, "no keyring to check OpenPGP signatures with (`modelpin keys import`)") }
        do {
            let known = Set(try keyring.list().map(\.fingerprint))
            let checks: [SignatureCheck]
            if name == Self.lockSignatureName {
                guard let lock else { return (.failed, "a signature of a lock, but no lock is attached") }
                checks = try keyring.verifyDetached(signature: payload, signatureSource: name, data: lock)
                let pinned = Set(lockSigners)
                guard !pinned.isEmpty else { return (.listed, "not checked: no lock signer is pinned (MODELPIN_LOCK_SIGNERS)") }
                return Self.decide(SignaturePolicy(pinned: pinned).decide(checks, document: name), what: "the attached lock", by: "a pinned lock signer")
            }
            let signed = String(name.dropLast(".asc".count))
            guard name.hasSuffix(".asc"), let file = files.first(where: { $0.path == signed }) else {
                return (.failed, "signs `\(signed.escapedForDisplay)`, which is not a file of this model")
            }
            let descriptor = try RegularFile.open(try store.path(of: file.sha256))
            defer { try? descriptor.close() }
            checks = try keyring.verifyDetached(signature: payload, signatureSource: name, fileDescriptor: descriptor.rawValue)
            return Self.decide(SignaturePolicy(pinned: known).decide(checks, document: name), what: "`\(signed.escapedForDisplay)`", by: "a key in modelpin's keyring")
        } catch {
            return (.failed, Self.explain(error))
        }
    }

    static func decide(_ verdict: SignatureVerdict, what: String, by whom: String) -> (AttachmentReport.Status, String) {
        switch verdict {
        case .accepted(let signer, let userID):
            return (.verified, "good signature over \(what) by \(signer)" + (userID.map { " (\($0))" } ?? "") + ", \(whom)")
        case .refused(let refusal):
            return (.failed, explain(refusal))
        }
    }

    /// An attached lock holds if one of its models is this manifest (an OCI model) or names
    /// exactly these files with these digests (the Hub model this snapshot was pushed from).
    static func judgeLock(_ payload: [UInt8], manifest: SHA256Digest, files: [(path: String, sha256: SHA256Digest)]) -> (AttachmentReport.Status, String) {
        let lock: Lockfile
        do {
            lock = try LockfileFormat.parse(String(decoding: payload, as: UTF8.self), file: "the attached " + Lockfile.fileName)
        } catch {
            return (.failed, explain(error))
        }
        let wanted = Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.sha256) })
        for model in lock.models {
            if model.isOCI, model.commit.ociManifest == manifest {
                return (.verified, "locks this manifest as `\(model.alias)`")
            }
            if Dictionary(uniqueKeysWithValues: model.files.map { ($0.path, $0.sha256) }) == wanted {
                return (.verified, "locks exactly these \(files.count) files as `\(model.alias)` (\(model.repo)@\(model.commit.short))")
            }
        }
        return (.failed, "names neither this manifest nor these files' digests")
    }

    /// A scan report must be about exactly these files (paths and digests). It is listed, not
    /// trusted: the pull scanned every file itself, under this machine's policy.
    static func judgeScanReport(_ payload: [UInt8], files: [(path: String, sha256: SHA256Digest)]) -> (AttachmentReport.Status, String) {
        let report: ScanReportDocument
        do {
            report = try JSONDecoder().decode(ScanReportDocument.self, from: Data(payload))
        } catch {
            return (.failed, "not a scan report: \(error)")
        }
        guard report.mediaType == Attachment.Kind.scanReport else { return (.failed, "its mediaType is not \(Attachment.Kind.scanReport)") }
        let named = Dictionary(report.files.map { ($0.path, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        guard report.files.count == named.count, named == Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.sha256) }) else {
            return (.failed, "names other files or digests than this model's")
        }
        let verdicts = Dictionary(grouping: report.files, by: \.verdict).map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
        return (.listed, "by \(report.scanner) over exactly these \(files.count) files (\(verdicts)); informational: this pull scanned every file itself")
    }

    /// An attached `model.sig` must be the model's own (`model.sig` among its files, the same
    /// bytes): the signature gate verifies that file against the pinned OMS signers of a
    /// project's model; a copy that differs from it is a failure.
    static func judgeModelSignature(_ payload: [UInt8], files: [(path: String, sha256: SHA256Digest)]) -> (AttachmentReport.Status, String) {
        guard let own = files.first(where: { $0.path == "model.sig" }) else {
            return (.failed, "the model has no model.sig of its own for this one to be a copy of")
        }
        guard SHA256.hash(payload) == own.sha256 else { return (.failed, "differs from the model's own model.sig (\(own.sha256))") }
        return (.listed, "the model's own model.sig (\(own.sha256)); verified by the signature gate when OMS signers are pinned")
    }

    static func explain(_ error: any Error) -> String {
        if let error = error as? any ModelpinError { return ([error.description] + error.causes).joined(separator: ": ") }
        return "\(error)"
    }

    // MARK: Reading a referrer

    struct Referrer {
        let digest: SHA256Digest
        let artifactType: String
        let name: String?
        let payload: SHA256Digest
    }

    /// A referrer manifest: an OCI image manifest whose `subject` is `subject`, with an
    /// artifact type (its own, else its config's media type) and one layer (the payload).
    static func referrer(_ served: FetchedManifest, subject: SHA256Digest) throws -> Referrer {
        let document: ReferrerManifest
        do {
            document = try JSONDecoder().decode(ReferrerManifest.self, from: Data(served.bytes))
        } catch {
            throw AttachmentProblem("the referrer manifest \(served.digest) is not an OCI manifest: \(error)")
        }
        guard document.subject?.digest == subject.description else {
            throw AttachmentProblem("the referrer manifest \(served.digest) has another `subject` than this model's manifest")
        }
        guard document.layers.count == 1, let layer = document.layers.first, let payload = try? SHA256Digest(parsing: layer.digest) else {
            throw AttachmentProblem("the referrer manifest \(served.digest) has \(document.layers.count) layers; an attachment has one, with a sha256 digest")
        }
        let type = document.artifactType ?? document.config.mediaType
        return Referrer(digest: served.digest, artifactType: type, name: layer.annotations?[SnapshotManifest.Key.title], payload: payload)
    }

    private struct ReferrerManifest: Decodable {
        struct Reference: Decodable {
            let mediaType: String
            let digest: String
            let annotations: [String: String]?
        }

        let artifactType: String?
        let config: Reference
        let layers: [Reference]
        let subject: Reference?
    }
}

struct AttachmentProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The referrer reader on its own, for fuzz/'s FuzzOCI: a referrer manifest's bytes (as a
/// registry served them) → its artifact type, its payload's name and digest, or an error.
public enum OCIReferrerReading {
    public static func read(_ bytes: [UInt8], subject: SHA256Digest) throws -> (artifactType: String, name: String?, payload: SHA256Digest) {
        let referrer = try OCIAttachments.referrer(FetchedManifest(mediaType: MediaType.imageManifest, digest: SHA256.hash(bytes), bytes: bytes), subject: subject)
        return (referrer.artifactType, referrer.name, referrer.payload)
    }
}

/// The scan-report check on its own, for fuzz/'s FuzzOCI: whether a report (as a registry
/// served it) holds for exactly `files`.
public enum OCIScanReportReading {
    public static func holds(_ bytes: [UInt8], files: [(path: String, sha256: SHA256Digest)]) -> Bool {
        OCIAttachments.judgeScanReport(bytes, files: files).0 != .failed
    }
}
