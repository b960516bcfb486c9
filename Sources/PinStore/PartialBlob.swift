public import PinModel
import SystemPackage
import Dispatch
import PinDigest
import Synchronization

/// A blob being downloaded in parts, resumable across runs.
///
/// The bytes go to `tmp/partial/<key>.part`, preallocated to the expected size, each part
/// written in order by whoever fetches it (several parts at once, from several connections).
/// A hashing thread of its own follows the contiguous prefix — reading back what has landed,
/// from the page cache — so that receiving and hashing run on different cores instead of one
/// after the other. `<key>.state` records each part's progress; a rerun resumes every part
/// where it stopped and hashes the existing prefix again (a SHA-256 state cannot be saved).
///
/// Only `Store.promote(_:)` turns it into a blob, and only if the digests this object computed
/// match what was expected.
public final class PartialBlob: @unchecked Sendable {
    // @unchecked: everything mutable is inside `state` (a Mutex); the descriptors are only
    // used under it or by the hasher thread, which owns `readDescriptor`.

    public struct Expectation: Sendable, Equatable {
        public var size: Int64
        public var sha256: SHA256Digest?
        public var gitBlobID: GitBlobID?

        public init(size: Int64, sha256: SHA256Digest?, gitBlobID: GitBlobID?) {
            self.size = size
            self.sha256 = sha256
            self.gitBlobID = gitBlobID
        }
    }

    /// One part still to fetch: the bytes left, and the layout generation it belongs to.
    public struct Work: Sendable, Equatable {
        public let part: Int
        public let range: ByteRange
        public let generation: Int
    }

    public let key: String
    public let expected: Expectation
    /// Describes the source in messages.
    public let source: String
    let dataPath: FilePath
    let statePath: FilePath
    private let store: Store
    private let writeDescriptor: FileDescriptor
    private let readDescriptor: FileDescriptor
    /// A copy of the blob written as it is hashed (the user's directory, in copy mode), so
    /// that laying the model out needs no second pass over its bytes. Renamed into place only
    /// after promotion; deleted if the blob is refused.
    public let copyTarget: CopyTarget?
    private let copyDescriptor: FileDescriptor?
    private let locks: [FileDescriptor]
    private let wake = DispatchSemaphore(value: 0)
    private let hashed = DispatchSemaphore(value: 0)

    private struct State {
        var generation = 0
        var partSize: Int64
        var done: [Int64]
        var closed = false
        /// Promoted into the store: nothing is left to save.
        var promoted = false
        var bytesSinceCheckpoint: Int64 = 0
        var result: Result<(SHA256Digest, GitBlobID?), StoreError>?
        var resumedBytes: Int64 = 0
    }

    private let state: Mutex<State>

    /// How many bytes were already there from an earlier run.
    public var resumedBytes: Int64 { state.withLock { $0.resumedBytes } }
    public var size: Int64 { expected.size }

    static let checkpointInterval: Int64 = 64 << 20

    init(store: Store, key: String, expected: Expectation, partSize: Int64, source: String, copyTo: CopyTarget?) throws(StoreError) {
        self.store = store
        self.key = key
        self.expected = expected
        self.source = source
        // The last line against a size no file can have: every caller validates where the size
        // enters, but a part table and offsets are computed from it here.
        if let problem = FileSizeLimit.problem(expected.size) { throw .implausibleSize(source: source, reason: problem) }
        let partSize = Self.boundedPartSize(partSize, size: expected.size)
        let directory = store.partialDirectory
        dataPath = directory.appending(key + ".part")
        statePath = directory.appending(key + ".state")
        do {
            try FileSystem.makeDirectory(directory)
        } catch {
            throw .writing(error, operation: "create", path: directory, root: store.root)
        }
        // One process per partial (a second waits, then finds the blob promoted); and GC
        // waits for every open partial.
        let storeLock = try store.acquireSharedStoreLock()
        let partialLock: FileDescriptor
        do {
            partialLock = try store.acquireExclusiveLock(store.locksDirectory.appending("partial-\(key).lock"))
        } catch {
            try? storeLock.close()
            throw error
        }
        locks = [partialLock, storeLock]

        let size = expected.size
        let saved = Self.loadState(store: store, statePath: statePath, dataPath: dataPath, expected: expected)
        let layout = saved ?? (partSize: max(1, min(partSize, max(size, 1))), done: [Int64](repeating: 0, count: Self.partCount(size, max(1, partSize))))
        let data = dataPath
        var writer: FileDescriptor?
        var reader: FileDescriptor?
        func abandon() {
            for descriptor in [writer, reader, partialLock, storeLock].compactMap({ $0 }) { try? descriptor.close() }
        }
        do {
            writer = try systemCall {
                try FileDescriptor.open(data, .readWrite, options: [.create, .closeOnExec, .noFollow], permissions: [.ownerReadWrite])
            }
            reader = try systemCall { try FileDescriptor.open(data, .readOnly, options: [.closeOnExec, .noFollow]) }
            if saved == nil {
                try writer!.truncate(to: 0)
                try store.ensureFreeSpace(for: size)
                try writer!.truncate(to: size)
            }
        } catch let error as Errno {
            abandon()
            throw .writing(error, operation: "create", path: data, root: store.root)
        } catch let error as StoreError {
            abandon()
            throw error
        } catch {
            abandon()
            throw .io(operation: "create", path: data, .ioError)
        }
        writeDescriptor = writer!
        readDescriptor = reader!
        if let copyTo {
            do {
                copyDescriptor = try copyTo.root.createFile(copyTo.path)
            } catch {
                abandon()
                throw .writing(error.errno, operation: "create", path: copyTo.fullPath, root: copyTo.root.path)
            }
        } else {
            copyDescriptor = nil
        }
        copyTarget = copyTo
        var initial = State(partSize: layout.partSize, done: layout.done)
        initial.resumedBytes = layout.done.reduce(0, +)
        state = Mutex(initial)
        if saved == nil { try checkpoint() }
        spawnThread { [self] in hashLoop() }
    }

    deinit {
        close()
        try? writeDescriptor.close()
        try? readDescriptor.close()
        try? copyDescriptor?.close()
        for lock in locks { try? lock.close() }
    }

    /// At most this many parts per blob: the part table stays small whatever `--part-size` says.
    static let maximumParts: Int64 = 1 << 16

    /// `partSize`, raised where needed so that `size` (at most `FileSizeLimit.maximum`) needs
    /// no more than `maximumParts` parts.
    static func boundedPartSize(_ partSize: Int64, size: Int64) -> Int64 {
        max(1, partSize, (size + maximumParts - 1) / maximumParts)
    }

    static func partCount(_ size: Int64, _ partSize: Int64) -> Int {
        size == 0 ? 1 : Int((size + partSize - 1) / partSize)
    }

    // MARK: Work

    /// The parts not yet complete, with the bytes each still needs.
    public var pendingWork: [Work] {
        state.withLock { state in
            (0..<state.done.count).compactMap { part in
                let (start, end) = bounds(part, state)
                let next = start + state.done[part]
                return next < end ? Work(part: part, range: ByteRange(first: next, last: end - 1), generation: state.generation) : nil
            }
        }
    }

    /// Whether there are several parts (each fetched with a range request).
    public var isSplit: Bool { state.withLock { $0.done.count > 1 } }

    private func bounds(_ part: Int, _ state: State) -> (Int64, Int64) {
        let start = Int64(part) * state.partSize
        return (start, min(expected.size, start + state.partSize))
    }

    /// Writes the next bytes of `work`'s part. Bytes beyond the part (or the blob) are refused;
    /// a write from an abandoned layout generation is refused with `.superseded`. One writer per
    /// part (the download engine gives each part to one worker), so the lock is held only to
    /// check and account, not across the write itself.
    public func write(_ bytes: UnsafeRawBufferPointer, for work: Work) throws(StoreError) {
        let (start, offset) = try state.withLock { (state: inout State) throws(StoreError) -> (Int64, Int64) in
            guard state.generation == work.generation, !state.closed else { throw .superseded }
            let (start, end) = bounds(work.part, state)
            let offset = start + state.done[work.part]
            guard offset + Int64(bytes.count) <= end else {
                throw .exceedsExpectedSize(source: source, limit: end - start)
            }
            return (start, offset)
        }
        do throws(Errno) {
            try writeDescriptor.write(all: bytes, at: offset)
        } catch {
            throw .writing(error, operation: "write", path: dataPath, root: store.root)
        }
        // Start writeback every 8 MiB, so that the fsync before promotion is short.
        let mark: Int64 = 8 << 20
        let written = offset - start
        if written / mark != (written + Int64(bytes.count)) / mark {
            writeDescriptor.startWriteback(offset: start + (written / mark) * mark, length: mark)
        }
        try state.withLock { (state: inout State) throws(StoreError) in
            // A restart in between made these bytes meaningless; the final hash would catch any
            // harm they did, but they are not counted.
            guard state.generation == work.generation else { throw .superseded }
            state.done[work.part] += Int64(bytes.count)
            state.bytesSinceCheckpoint += Int64(bytes.count)
            if state.bytesSinceCheckpoint >= Self.checkpointInterval {
                state.bytesSinceCheckpoint = 0
                try? saveState(state)
            }
        }
        wake.signal()
    }

    /// Collects a transfer's small chunks into 1 MiB writes: fewer system calls and lock
    /// round-trips, and whole pages (no zeroing of half-written ones).
    public func writer(for work: Work) -> PartWriter {
        PartWriter(partial: self, work: work)
    }

    /// The server ignored a range request: forget every part and fetch the whole blob as one
    /// stream. Only the first worker of a layout restarts it (nil for the others, and nil once
    /// the blob is complete or closed: nothing may be written after that). Writes of the old
    /// layout are refused from now on.
    public func restartAsOneStream(from old: Work) -> Work? {
        let work = state.withLock { state -> Work? in
            let complete = (0..<state.done.count).allSatisfy { part in
                let (start, end) = bounds(part, state)
                return start + state.done[part] >= end
            }
            guard state.generation == old.generation, !state.closed, !complete else { return nil }
            state.generation += 1
            state.partSize = max(1, expected.size)
            state.done = [0]
            state.resumedBytes = 0
            try? saveState(state)
            return Work(part: 0, range: ByteRange(first: 0, last: max(0, expected.size - 1)), generation: state.generation)
        }
        wake.signal()
        return work
    }

    /// Saves progress now (interrupted runs resume from the last save).
    public func checkpoint() throws(StoreError) {
        try state.withLock { (state: inout State) throws(StoreError) in try saveState(state) }
    }

    /// Blocks until every byte has been hashed; the digests of what was written.
    func waitForDigests() throws(StoreError) -> (SHA256Digest, GitBlobID?) {
        hashed.wait()
        hashed.signal()  // let later callers through too
        guard let result = state.withLock({ $0.result }) else { throw .superseded }
        return try result.get()
    }

    /// Stops hashing and saves progress; the partial stays on disk for the next run.
    public func close() {
        let wasOpen = state.withLock { state in
            defer { state.closed = true }
            if !state.closed, !state.promoted { try? saveState(state) }
            return !state.closed
        }
        if wasOpen { wake.signal() }
    }

    /// Called once the data file has become a blob: closes without saving any state.
    func markPromoted() {
        state.withLock { $0.promoted = true }
        close()
    }

    /// Deletes the partial: its bytes cannot be the expected blob.
    func discard() {
        close()
        try? FileSystem.unlink(dataPath)
        try? FileSystem.unlink(statePath)
        discardCopy()
    }

    /// Deletes the copy (a refused or abandoned download).
    public func discardCopy() {
        if let copyTarget { _ = try? copyTarget.root.removeFile(copyTarget.path) { _ in true } }
    }

    func finishWriting() throws(StoreError) {
        do {
            try writeDescriptor.setPermissions([.ownerRead, .groupRead, .otherRead])
            try writeDescriptor.sync()
        } catch {
            throw .writing(error, operation: "flush", path: dataPath, root: store.root)
        }
    }

    // MARK: Hashing

    /// Follows the contiguous written prefix and hashes it, until the whole blob is hashed or
    /// the partial is closed. A new layout generation starts the hashes over.
    private func hashLoop() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        var generation = -1
        var sha = SHA256()
        var git: GitBlobHasher?
        var position: Int64 = 0
        while true {
            let (current, frontier, closed) = state.withLock { state in
                var frontier: Int64 = 0
                for part in 0..<state.done.count {
                    let (start, end) = bounds(part, state)
                    frontier = start + state.done[part]
                    if frontier < end { break }
                }
                return (state.generation, min(frontier, expected.size), state.closed)
            }
            if closed {
                hashed.signal()
                return
            }
            if current != generation {
                generation = current
                sha = SHA256()
                git = expected.gitBlobID.map { _ in GitBlobHasher(size: expected.size) }
                position = 0
            }
            if position == expected.size {
                let result = (sha.finalize(), git?.finalize())
                state.withLock { $0.result = .success(result) }
                hashed.signal()
                return
            }
            guard frontier > position else {
                wake.wait()
                continue
            }
            let count = Int(min(Int64(buffer.count), frontier - position))
            let read: Int
            do {
                read = try readDescriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]), at: position)
            } catch {
                state.withLock { $0.result = .failure(.io(operation: "read back", path: dataPath, error)) }
                hashed.signal()
                return
            }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<read])
            sha.update(chunk)
            git?.update(chunk)
            if let copyDescriptor, let copyTarget {
                do throws(Errno) {
                    try copyDescriptor.write(all: chunk, at: position)
                } catch {
                    state.withLock { $0.result = .failure(.writing(error, operation: "write", path: copyTarget.fullPath, root: copyTarget.root.path)) }
                    hashed.signal()
                    return
                }
            }
            position += Int64(read)
        }
    }

    // MARK: State file

    /// `<key>.state`: versioned, written atomically.
    private struct StateFileV1: Codable {
        var version = 1
        var size: Int64
        var partSize: Int64
        var sha256: SHA256Digest?
        var gitBlobID: GitBlobID?
        var done: [Int64]
        var source: String
    }

    private func saveState(_ state: State) throws(StoreError) {
        guard !state.promoted else { return }
        let file = StateFileV1(
            size: expected.size, partSize: state.partSize, sha256: expected.sha256, gitBlobID: expected.gitBlobID,
            done: state.done, source: source)
        try store.writeMetadata(file, to: statePath)
    }

    /// The saved layout, if it belongs to this very blob and its data file is intact in size.
    private static func loadState(store: Store, statePath: FilePath, dataPath: FilePath, expected: Expectation)
        -> (partSize: Int64, done: [Int64])? {
        guard let bytes = try? store.readIfPresent(statePath),
              let file = try? StoreJSON.decode(StateFileV1.self, from: bytes),
              file.version == 1, file.size == expected.size, file.sha256 == expected.sha256,
              file.gitBlobID == expected.gitBlobID, file.partSize > 0,
              file.partSize >= boundedPartSize(1, size: file.size),
              file.done.count == partCount(file.size, file.partSize),
              let status = try? Stat(dataPath, followTargetSymlink: false), status.type == .regular, status.size == expected.size
        else { return nil }
        for (part, done) in file.done.enumerated() {
            let start = Int64(part) * file.partSize
            guard done >= 0, start + done <= min(file.size, start + file.partSize) else { return nil }
        }
        return (file.partSize, file.done)
    }
}

extension Store {
    var partialDirectory: FilePath { temporaryDirectory.appending("partial") }

    /// Opens (or resumes) the partial download of a blob. `key` names it in `tmp/partial/`:
    /// use `partialKey(for:)`.
    /// `copyTo`: also write the bytes, as they are hashed, to this new file (see `copyTarget`).
    public func openPartial(
        expected: PartialBlob.Expectation, partSize: Int64, source: String, copyTo: CopyTarget? = nil
    ) throws(StoreError) -> PartialBlob {
        try PartialBlob(
            store: self, key: Self.partialKey(for: expected), expected: expected, partSize: partSize, source: source, copyTo: copyTo)
    }

    static func partialKey(for expected: PartialBlob.Expectation) -> String {
        if let sha = expected.sha256 { return "sha256-" + sha.hex }
        if let git = expected.gitBlobID { return "git-" + git.hex + "-\(expected.size)" }
        return "unknown-\(expected.size)"
    }

    /// Promotes a fully written partial: waits for its digests, checks them against what was
    /// expected, makes it read-only, flushes it, renames it into `blobs/sha256/`. On any mismatch
    /// the partial is deleted and nothing enters the store.
    ///
    /// `admit`: a last check of the verified bytes before they get a digest name (the scan of
    /// a model file's content); a refusal deletes the partial and nothing enters the store.
    public func promote(_ partial: PartialBlob, admit: Admission? = nil) throws(StoreError) -> IngestResult {
        let (sha, git) = try partial.waitForDigests()
        if let expected = partial.expected.sha256, expected != sha {
            partial.discard()
            throw .digestMismatch(source: partial.source, expected: expected, actual: sha)
        }
        if let expected = partial.expected.gitBlobID, let git, expected != git {
            partial.discard()
            throw .gitBlobMismatch(source: partial.source, expected: expected, actual: git)
        }
        if let admit, let refusal = admit(partial.dataPath, sha, partial.source) {
            partial.discard()
            throw .notAdmitted(source: partial.source, refusal)
        }
        try partial.finishWriting()
        let destination = blobPath(sha)
        let existed = (try? FileSystem.entry(at: destination)) ?? nil
        do {
            try FileSystem.rename(partial.dataPath, to: destination)
        } catch {
            partial.discard()
            throw .writing(error, operation: "move a verified blob to", path: destination, root: root)
        }
        partial.markPromoted()
        recordStamp(sha)
        try? FileSystem.unlink(partial.statePath)
        do {
            try FileSystem.syncDirectory(blobsDirectory)
        } catch {
            throw .io(operation: "sync", path: blobsDirectory, error)
        }
        if let git { try recordAlias(git, for: sha) }
        let outcome: IngestResult.Outcome = existed == nil ? .added : .replaced
        return IngestResult(digest: sha, size: partial.size, outcome: outcome)
    }
}

/// Buffers one part's incoming bytes and writes them to the partial in 1 MiB pieces.
/// Call `flush()` when the transfer ends, however it ends: every byte received in order is
/// valid for the part, and flushed bytes count towards resumption.
public final class PartWriter {
    public static let capacity = 1 << 20

    private let partial: PartialBlob
    private let work: PartialBlob.Work
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: PartWriter.capacity, alignment: 4096)
    private var count = 0
    private var accepted: Int64 = 0

    init(partial: PartialBlob, work: PartialBlob.Work) {
        self.partial = partial
        self.work = work
    }

    deinit { buffer.deallocate() }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(StoreError) {
        guard accepted + Int64(bytes.count) <= work.range.count else {
            throw .exceedsExpectedSize(source: partial.source, limit: work.range.count)
        }
        accepted += Int64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            let take = min(bytes.count - offset, buffer.count - count)
            UnsafeMutableRawBufferPointer(rebasing: buffer[count..<(count + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            count += take
            offset += take
            if count == buffer.count { try flush() }
        }
    }

    public func flush() throws(StoreError) {
        guard count > 0 else { return }
        let pending = count
        count = 0
        try partial.write(UnsafeRawBufferPointer(rebasing: buffer[..<pending]), for: work)
    }
}

/// The new file in a model's directory a download writes its bytes into as they are hashed:
/// created below its root, exclusively and never through a symbolic link.
public struct CopyTarget: Sendable {
    public let root: DirectoryRoot
    /// Below `root`.
    public let path: String

    public init(root: DirectoryRoot, path: String) {
        self.root = root
        self.path = path
    }

    var fullPath: FilePath { root.path.appending(path) }
}
