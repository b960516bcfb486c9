import PinDigest
public import PinModel
import PinStore
import SystemPackage

/// A cache blob's bytes, measured: what they hash to under both names the Hub uses.
public struct HFCacheBlobDigest: Sendable, Equatable {
    public let sha256: SHA256Digest
    public let size: Int64
    /// nil for an LFS etag (not computed), or when the file changed length while it was read.
    public let gitBlobID: GitBlobID?

    /// Whether these bytes are the ones `etag` names: the SHA-256 for an LFS etag, the git
    /// blob id (SHA-1 of `blob <size>\0` + bytes) for the others.
    public func matches(_ etag: HFCacheETag) -> Bool {
        switch etag {
        case .sha256(let digest): sha256 == digest
        case .gitBlob(let id): gitBlobID == id
        }
    }

    /// What the bytes hash to, in the etag's own terms (for a mismatch message).
    public func actual(for etag: HFCacheETag) -> String {
        switch etag {
        case .sha256: sha256.hex
        case .gitBlob: gitBlobID?.hex ?? "(the file changed length while it was read)"
        }
    }
}

/// Reading a blob out of a cache repo folder: only `blobs/{etag}`, opened below the folder's
/// descriptor without following a link, and only a regular file (a FIFO cannot block it).
enum HFCacheBlobs {
    static func open(_ etag: HFCacheETag, in repo: HFCacheRepo) throws(FileReadError) -> FileDescriptor {
        do {
            return try repo.root.openFile(HFCacheLayout.blob(etag))
        } catch {
            throw FileReadError(path: repo.root.path.appending("blobs").appending(etag.name), errno: error.errno)
        }
    }

    /// Hashes `descriptor` to its end, handing every chunk to `body` as well (false stops it).
    /// The git blob id (SHA-1) is computed only for a git etag: an LFS blob's name is its
    /// SHA-256, and a second hash over gigabytes of weights would only cost time.
    static func hash(
        _ descriptor: FileDescriptor, path: FilePath, for etag: HFCacheETag, _ body: (UnsafeRawBufferPointer) -> Bool = { _ in true }
    ) throws(FileReadError) -> HFCacheBlobDigest {
        let size: Int64
        do {
            size = try descriptor.stat().size
        } catch {
            throw FileReadError(path: path, errno: error)
        }
        var sha = SHA256()
        // The git id's header names the size first; a file that grows or shrinks meanwhile
        // yields no id, so it cannot match.
        var git = etag.isLFS ? nil : GitBlobHasher(size: size)
        let read = try FileHasher.stream(descriptor, path: path) { chunk in
            sha.update(chunk)
            git?.update(chunk)
            return body(chunk)
        }
        return HFCacheBlobDigest(sha256: sha.finalize(), size: read, gitBlobID: git?.finalize())
    }
}

/// One blob taken from a cache into the store, or why not.
enum HFCacheAdmission {
    case admitted(HFCacheBlobDigest, IngestResult.Outcome)
    case refused(String)
}

extension HFCacheBlobs {
    /// Streams `blobs/{etag}` of `repo` into the store's temp area, hashing it on the way;
    /// checks the bytes against the etag, then lets `admit` (the scan gate) judge them under
    /// `name` (the repo path, which the scanner reads formats from), and only then promotes
    /// them under their SHA-256. Refusals come back as values: the import goes on with the
    /// next blob. A store that cannot be written stops everything (thrown).
    static func admit(
        _ etag: HFCacheETag, of repo: HFCacheRepo, as name: String, into store: Store, admit: @escaping Admission
    ) throws(StoreError) -> HFCacheAdmission {
        let shown = repo.root.path.appending("blobs").appending(etag.name)
        let descriptor: FileDescriptor
        do {
            descriptor = try open(etag, in: repo)
        } catch {
            return .refused(error.description)
        }
        defer { try? descriptor.close() }
        let size: Int64
        do {
            size = try descriptor.stat().size
        } catch {
            return .refused("cannot be read: \(error)")
        }
        if size > FileSizeLimit.maximum {
            return .refused("\(size) bytes, more than modelpin accepts for one file (1 TiB)")
        }
        let quarantine = try store.makeQuarantine(source: name, sizeLimit: size)
        var failure: StoreError?
        let measured: HFCacheBlobDigest
        do {
            measured = try hash(descriptor, path: shown, for: etag) { chunk in
                do throws(StoreError) {
                    try quarantine.write(chunk)
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
        } catch {
            quarantine.discard()
            return .refused(error.description)
        }
        if let failure {
            if case .exceedsExpectedSize = failure { return .refused("grew while it was read") }
            throw failure
        }
        guard measured.matches(etag) else {
            quarantine.discard()
            return .refused("its bytes are not the ones its name says: expected \(etag.name), found \(measured.actual(for: etag))")
        }
        do {
            let result = try store.promote(quarantine, expecting: BlobExpectation(digest: measured.sha256, size: measured.size), admit: admit)
            return .admitted(measured, result.outcome)
        } catch .notAdmitted(_, let refusal) {
            return .refused(([refusal.description] + refusal.causes).joined(separator: ": "))
        } catch .digestMismatch, .sizeMismatch {
            return .refused("changed while it was read")
        }
    }
}
