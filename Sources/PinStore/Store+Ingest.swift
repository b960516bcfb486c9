public import PinModel
public import SystemPackage
import PinDigest

/// A last check of verified bytes before they are admitted under their digest: given the temp
/// file, its digest and what it is (the source named in messages), nil to admit or the reason
/// to refuse.
public typealias Admission = @Sendable (FilePath, SHA256Digest, String) -> (any ModelpinError)?

extension Store {
    /// Space kept free beyond the blob itself, for the metadata written around it.
    static let spaceHeadroom: Int64 = 1 << 20

    /// Opens a quarantine for a blob that is about to be streamed in (from a file, a pipe or
    /// the network). `sizeLimit` cuts off anything longer; `expectedSize` (when known) is
    /// checked against the free space first.
    public func makeQuarantine(source: String, sizeLimit: Int64? = nil) throws(StoreError) -> Quarantine {
        if let sizeLimit { try ensureFreeSpace(for: sizeLimit) }
        return try Quarantine(
            directory: temporaryDirectory, storeLock: acquireSharedStoreLock(), source: source, sizeLimit: sizeLimit)
    }

    /// A quarantine that relies on a shared store lock the caller holds (`acquireSharedStoreLock`)
    /// for as long as the quarantine lives: many blobs staged at once then cost one descriptor
    /// for the lock, not one each (a sealed quarantine keeps no descriptor of its own).
    func makeQuarantine(source: String, sizeLimit: Int64, _ lock: HoldsStoreLock) throws(StoreError) -> Quarantine {
        try ensureFreeSpace(for: sizeLimit)
        return try Quarantine(directory: temporaryDirectory, storeLock: nil, source: source, sizeLimit: sizeLimit)
    }

    /// Checks a sealed quarantine against `expectation` and, if it matches, moves it into
    /// `blobs/sha256/` under its digest. On a mismatch the temp file is removed and nothing
    /// enters the store.
    public func promote(_ quarantine: Quarantine, expecting expectation: BlobExpectation, admit: Admission? = nil) throws(StoreError) -> IngestResult {
        precondition(quarantine.directory == temporaryDirectory, "a quarantine is promoted into the store that made it")
        let digest = try quarantine.seal()
        let size = quarantine.bytesWritten
        if let expected = expectation.size, expected != size {
            quarantine.discard()
            throw .sizeMismatch(source: quarantine.source, expected: expected, actual: size)
        }
        if let expected = expectation.digest, expected != digest {
            quarantine.discard()
            throw .digestMismatch(source: quarantine.source, expected: expected, actual: digest)
        }
        if let admit, let refusal = admit(quarantine.path, digest, quarantine.source) {
            quarantine.discard()
            throw .notAdmitted(source: quarantine.source, refusal)
        }

        let destination = blobPath(digest)
        let existing = (try? FileSystem.entry(at: destination)) ?? nil
        do {
            // Replacing an existing blob is harmless (same bytes, freshly verified) and repairs
            // one that rotted. rename(2) is atomic: readers see the old file or the new one.
            try FileSystem.rename(quarantine.path, to: destination)
        } catch {
            quarantine.discard()
            throw .writing(error, operation: "move a verified blob to", path: destination, root: root)
        }
        quarantine.markPromoted()
        recordStamp(digest)
        do {
            try FileSystem.syncDirectory(blobsDirectory)
        } catch {
            throw .io(operation: "sync", path: blobsDirectory, error)
        }
        let outcome: IngestResult.Outcome = switch existing {
        case nil: .added
        case let status? where status.type == .regular && status.size == size && !status.isWritableByAnyone: .present
        case _?: .replaced
        }
        return IngestResult(digest: digest, size: size, outcome: outcome)
    }

    /// Copies the file at `path` into the store, hashing as it goes.
    ///
    /// With an expected digest, a blob already present (at the right size) is not copied
    /// again, and a concurrent ingest of the same digest is waited for rather than repeated.
    public func ingest(file path: FilePath, expecting expectation: BlobExpectation = BlobExpectation(), admit: Admission? = nil) throws(StoreError) -> IngestResult {
        // Only a regular file: a FIFO on a mirror would block the open forever, a device never end.
        let descriptor: FileDescriptor
        do {
            descriptor = try RegularFile.open(path)
        } catch {
            throw .unreadableSource(error)
        }
        defer { try? descriptor.close() }
        return try ingest(reading: descriptor, source: path, expecting: expectation, admit: admit)
    }

    /// Copies everything `descriptor` yields into the store. `source` names it in messages.
    public func ingest(
        reading descriptor: FileDescriptor, source: FilePath,
        expecting expectation: BlobExpectation = BlobExpectation(), admit: Admission? = nil
    ) throws(StoreError) -> IngestResult {
        let status: Stat
        do {
            status = try descriptor.stat()
        } catch {
            throw .unreadableSource(FileReadError(path: source, errno: error))
        }
        if status.type == .directory {
            throw .unreadableSource(FileReadError(path: source, reason: .isDirectory))
        }
        let knownSize: Int64? = status.type == .regular ? status.size : nil
        if let knownSize, let expected = expectation.size, knownSize != expected {
            throw .sizeMismatch(source: source.string, expected: expected, actual: knownSize)
        }

        return try withStoreLock(.shared) { () throws(StoreError) in
            guard let expectedDigest = expectation.digest else {
                return try copy(descriptor, source: source, size: knownSize, expecting: expectation, admit: admit)
            }
            return try withBlobLock(expectedDigest) { () throws(StoreError) in
                if let present = presentBlob(expectedDigest, size: expectation.size ?? knownSize) {
                    return present
                }
                return try copy(descriptor, source: source, size: knownSize, expecting: expectation, admit: admit)
            }
        }
    }

    /// The existing blob as an ingest result, when it is there at the expected size.
    /// Its modification time is refreshed so that GC's grace period counts from now.
    private func presentBlob(_ digest: SHA256Digest, size expectedSize: Int64?) -> IngestResult? {
        let path = blobPath(digest)
        guard let status = try? FileSystem.entry(at: path), status.type == .regular,
              expectedSize == nil || status.size == expectedSize, !status.isWritableByAnyone,
              stampMatches(digest, status)
        else { return nil }  // copied again: the verified copy replaces whatever is there
        // Best effort: a failed touch only shortens the blob's protection from GC; it
        // cannot make the store hold wrong bytes. Touching moves the ctime, so the stamp is
        // renewed: the bytes are the ones the matching stamp vouched for a moment ago.
        try? FileSystem.touch(path)
        recordStamp(digest)
        return IngestResult(digest: digest, size: status.size, outcome: .present)
    }

    private func copy(
        _ descriptor: FileDescriptor, source: FilePath, size: Int64?, expecting expectation: BlobExpectation, admit: Admission?
    ) throws(StoreError) -> IngestResult {
        if let size, expectation.size == nil { try ensureFreeSpace(for: size) }
        let quarantine = try makeQuarantine(source: source.string, sizeLimit: expectation.size)
        var failure: StoreError?
        do throws(FileReadError) {
            _ = try FileHasher.stream(descriptor, path: source) { chunk in
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
            throw .unreadableSource(error)
        }
        if let failure { throw failure }
        return try promote(quarantine, expecting: expectation, admit: admit)
    }

    func ensureFreeSpace(for size: Int64) throws(StoreError) {
        let available: Int64
        do {
            available = try FileSystem.availableBytes(at: temporaryDirectory)
        } catch {
            throw .io(operation: "check free space in", path: temporaryDirectory, error)
        }
        let needed = size + Self.spaceHeadroom
        if available < needed {
            throw .insufficientSpace(directory: temporaryDirectory, needed: needed, available: available)
        }
    }
}

/// Says, at a `makeQuarantine` call, who holds the shared store lock the quarantine relies on.
enum HoldsStoreLock {
    case caller
}
