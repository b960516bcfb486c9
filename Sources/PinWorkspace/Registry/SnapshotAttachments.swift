import PinDigest
import PinModel
import PinScan
import PinStore
import SystemPackage

/// What travels with a snapshot when it leaves the store — pushed to a registry, exported to an
/// archive, mirrored into a directory — as referrers of its manifest (README, "OCI artifacts of
/// a snapshot"): the project's lock and its signature when there is a project, each OpenPGP
/// `.asc` among the snapshot's files (over another of its files), its OMS `model.sig`, and the
/// store's scan report. One place, so every exit carries the same set.
enum SnapshotAttachments {
    /// The largest signature or bundle attached (a `.asc` is a few hundred bytes, a Sigstore
    /// bundle a few KiB; more is not a signature).
    static let signatureLimit = 1 << 20
    static let reportName = "scan-report.json"

    /// `lock` (the project's lock attachments, possibly none), then the snapshot's own.
    static func all(_ snapshot: StoredSnapshot, store: Store, lock: [Attachment]) throws -> [Attachment] {
        lock + (try signatures(snapshot, store: store)) + [scanReport(snapshot, store: store)]
    }

    /// Each `X.asc` of the snapshot whose `X` is also one of its files, and `model.sig` at its root.
    static func signatures(_ snapshot: StoredSnapshot, store: Store) throws -> [Attachment] {
        let paths = Set(snapshot.files.map(\.path))
        var attachments: [Attachment] = []
        for file in snapshot.files.sorted(by: { $0.path < $1.path }) {
            let type: String
            if file.path.hasSuffix(".asc"), paths.contains(String(file.path.dropLast(4))) {
                type = Attachment.Kind.pgpSignature
            } else if file.path == "model.sig" {
                type = Attachment.Kind.sigstoreBundle
            } else {
                continue
            }
            guard file.size <= Int64(signatureLimit) else { continue }
            guard let bytes = try RegularFile.contents(of: try store.path(of: file.sha256), limit: signatureLimit) else {
                throw StoreError.blobNotFound(file.sha256)
            }
            // Read back from the store: the bytes must still be the ones admitted.
            let actual = SHA256.hash(bytes)
            guard actual == file.sha256 else { throw StoreError.blobChanged(file.sha256, actual: actual) }
            attachments.append(Attachment(artifactType: type, name: file.path, payload: bytes))
        }
        return attachments
    }

    /// The scan report: for every file of the snapshot, the verdict the store keeps for its
    /// bytes under this scanner (`unscanned` when it keeps none). Canonical JSON with no time in
    /// it, so the same snapshot scanned by the same scanner gives the same bytes and digest.
    static func scanReport(_ snapshot: StoredSnapshot, store: Store) -> Attachment {
        let scanner = ScannerIdentity.description
        let files = snapshot.files.sorted { $0.path < $1.path }.map { file in
            let stored = store.storedVerdict(for: file.sha256, scanner: scanner)
            return ScanReportDocument.File(
                path: file.path, sha256: file.sha256, size: file.size,
                verdict: stored?.verdict ?? "unscanned", format: stored?.format, accepted: stored?.accepted ?? [])
        }
        let document = ScanReportDocument(
            mediaType: Attachment.Kind.scanReport, scanner: scanner, repo: snapshot.repo.description, commit: snapshot.commit, files: files)
        return Attachment(artifactType: Attachment.Kind.scanReport, name: reportName, payload: SnapshotManifest.encode(document))
    }
}

/// `application/vnd.modelpin.scan-report.v1+json` (README, "OCI artifacts of a snapshot").
struct ScanReportDocument: Codable, Equatable {
    struct File: Codable, Equatable {
        let path: String
        let sha256: SHA256Digest
        let size: Int64
        /// `safe`, `unsupported`, `suspicious`… as the scanner judged; `unscanned`: no verdict kept.
        let verdict: String
        let format: String?
        /// Pickle callables accepted with --allow-global when it was admitted.
        let accepted: [String]
    }

    let mediaType: String
    /// The scanner that judged (ScannerIdentity: name and version).
    let scanner: String
    let repo: String
    let commit: String
    let files: [File]
}
