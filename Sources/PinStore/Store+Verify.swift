public import PinModel
import SystemPackage
public import PinDigest

/// One thing wrong with a store.
public struct StoreProblem: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A root or manifest references a blob the store does not hold.
        case missing
        /// A blob's bytes do not hash to its name, or its size differs from its references.
        case corrupt
        /// A blob can be written to: something could change it without changing its name.
        case writable
        /// Something in `blobs/` that is not a blob.
        case stray
        /// A store file (oci-layout, index.json, a root, a manifest) cannot be read.
        case unreadable
    }

    public let kind: Kind
    /// The file concerned.
    public let path: String
    public let digest: SHA256Digest?
    public let detail: String
    public let expected: String?
    public let actual: String?

    init(_ kind: Kind, path: FilePath, digest: SHA256Digest? = nil, detail: String, expected: String? = nil, actual: String? = nil) {
        self.kind = kind
        self.path = path.string
        self.digest = digest
        self.detail = detail
        self.expected = expected
        self.actual = actual
    }
}

/// What `verify` found.
public struct StoreReport: Sendable, Codable {
    public var blobs = 0
    public var bytes: Int64 = 0
    /// Whether blob contents were re-hashed (`--contents`) or only checked by size and mode.
    public var contentsChecked = false
    public var problems: [StoreProblem] = []
    /// Temp files from interrupted ingests (harmless; `store gc` reclaims them).
    public var temporaryFiles = 0
    public var temporaryBytes: Int64 = 0

    public var isHealthy: Bool { problems.isEmpty }
}

extension Store {
    /// Checks the store. Fast mode: every referenced blob is present at its recorded size,
    /// every blob is read-only, nothing stray sits in `blobs/`. With `contents`, every blob is
    /// also re-hashed (in parallel across files, `concurrency` at a time).
    public func verify(contents: Bool, concurrency: Int = DigestConcurrency.defaultWidth) throws(StoreError) -> StoreReport {
        var report = StoreReport()
        report.contentsChecked = contents

        // Layout files.
        do {
            try checkLayoutVersion()
            if (try readIfPresent(layoutFile)) == nil, (try FileSystem.entry(at: root)) != nil {
                report.problems.append(StoreProblem(.unreadable, path: layoutFile, detail: "missing: not an OCI image layout"))
            }
        } catch let error as StoreError {
            report.problems.append(StoreProblem(.unreadable, path: layoutFile, detail: error.description))
        } catch {
            report.problems.append(StoreProblem(.unreadable, path: layoutFile, detail: "\(error)"))
        }

        // What is there.
        let entries = try blobEntries()
        var present: [SHA256Digest: Store.BlobEntry] = [:]
        for entry in entries {
            switch entry {
            case .stray(let name, let reason):
                report.problems.append(StoreProblem(.stray, path: blobsDirectory.appending(name), detail: reason))
            case .blob(let blob):
                present[blob.digest] = blob
                report.blobs += 1
                report.bytes += blob.size
                if blob.isWritable {
                    report.problems.append(StoreProblem(
                        .writable, path: blobPath(blob.digest), digest: blob.digest,
                        detail: "blob is writable; blobs must be read-only"))
                }
            }
        }
        let blobsParent = blobsDirectory.removingLastComponent()
        for name in (try? FileSystem.listDirectory(blobsParent)) ?? [] where name != SHA256Digest.algorithm {
            report.problems.append(StoreProblem(.stray, path: blobsParent.appending(name), detail: "unknown entry in blobs/"))
        }

        // What should be there.
        let live = try liveSet()
        for failure in live.failures {
            report.problems.append(StoreProblem(.unreadable, path: rootsDirectory, detail: failure))
        }
        for (digest, reference) in live.blobs.sorted(by: { $0.key < $1.key }) {
            guard let blob = present[digest] else {
                report.problems.append(StoreProblem(
                    .missing, path: blobPath(digest), digest: digest,
                    detail: "referenced by \(reference.referrer) but not in the store"))
                continue
            }
            if blob.size != reference.size {
                report.problems.append(StoreProblem(
                    .corrupt, path: blobPath(digest), digest: digest,
                    detail: "size differs from the size recorded by \(reference.referrer)",
                    expected: "\(reference.size) bytes", actual: "\(blob.size) bytes"))
            }
        }

        // What the bytes say. Fast mode re-hashes only the blobs whose file changed since their
        // bytes were verified (a same-size swap); the others cost one lstat and one small read.
        if !contents {
            let reported = Set(report.problems.filter { $0.kind == .corrupt }.compactMap(\.digest))
            for digest in present.keys.sorted() where !reported.contains(digest) {
                let path = blobPath(digest)
                guard let status = (try? FileSystem.entry(at: path)) ?? nil, status.type == .regular else { continue }
                do throws(StoreError) {
                    try checkIntact(digest, at: path, status)
                } catch .blobChanged(_, let actual) {
                    report.problems.append(StoreProblem(
                        .corrupt, path: path, digest: digest, detail: "contents changed since the blob was admitted",
                        expected: digest.description, actual: actual.description))
                } catch {
                    report.problems.append(StoreProblem(
                        .unreadable, path: path, digest: digest, detail: ([error.description] + error.causes).joined(separator: ": ")))
                }
            }
        }
        if contents {
            let digests = present.keys.sorted()
            let paths = digests.map(blobPath)
            let results = FileHasher.sha256(files: paths, concurrency: concurrency)
            for (digest, result) in zip(digests, results) {
                switch result {
                case .success(let hashed) where hashed.digest != digest:
                    report.problems.append(StoreProblem(
                        .corrupt, path: hashed.path, digest: digest,
                        detail: "contents do not match the blob's name",
                        expected: digest.description, actual: hashed.digest.description))
                case .success:
                    break
                case .failure(let error):
                    report.problems.append(StoreProblem(
                        .unreadable, path: error.path, digest: digest,
                        detail: ([error.description] + error.causes).joined(separator: ": ")))
                }
            }
        }

        for directory in [temporaryDirectory, partialDirectory] {
            for name in (try? FileSystem.listDirectory(directory)) ?? [] {
                if let status = try? FileSystem.entry(at: directory.appending(name)), status.type == .regular {
                    report.temporaryFiles += 1
                    report.temporaryBytes += status.size
                }
            }
        }
        report.problems.sort { ($0.path, $0.kind.rawValue) < ($1.path, $1.kind.rawValue) }
        return report
    }
}
