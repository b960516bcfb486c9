import PinModel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// How long and how a process waits for a store lock another one holds.
///
/// A wait polls (`flock` with `LOCK_NB`) rather than blocking in the kernel, so that it can
/// end: on Ctrl-C or SIGTERM (`isCancelled`), after `timeout`, or at once when the holder is
/// this very process — a second open of the same lock file in one process would otherwise
/// wait for itself forever (flock locks belong to the open file, not to the process).
public struct LockWait: Sendable {
    /// Seconds before giving up with an error that names the holder.
    public var timeout: Int
    /// Polled while waiting; true ends the wait with `.interrupted`.
    public var isCancelled: @Sendable () -> Bool
    /// Called once per wait that lasts over a second, with a sentence naming what is awaited
    /// and who holds it (libraries never print: the caller decides where it goes).
    public var waiting: @Sendable (String) -> Void

    /// One hour: long enough for another process to finish downloading a large shared blob.
    public static let defaultTimeout = 3600

    public init(
        timeout: Int = LockWait.defaultTimeout, isCancelled: @escaping @Sendable () -> Bool = { false },
        waiting: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.timeout = timeout
        self.isCancelled = isCancelled
        self.waiting = waiting
    }
}

extension Store {
    /// Runs `body` holding `store.lock`: shared for writers (many may add blobs at once),
    /// exclusive for GC (which must not delete a blob between its ingest and its pin).
    func withStoreLock<T>(_ kind: FileDescriptor.LockKind, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try withLock(file: storeLockFile, kind, body)
    }

    /// Runs `body` holding `locks/<hex>.lock`, so that two processes fetching the same blob do
    /// the work once: the second waits, then finds the blob present. Correctness never rests
    /// on this lock (flock can be a no-op on network filesystems): racing writers produce the
    /// same bytes under the same name.
    func withBlobLock<T>(_ digest: SHA256Digest, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try withLock(file: locksDirectory.appending(digest.hex + ".lock"), .exclusive, body)
    }

    /// Takes `store.lock` shared and returns the descriptor holding it; closing it releases it.
    /// For locks that outlive one call (a quarantine open across a whole download).
    func acquireSharedStoreLock() throws(StoreError) -> FileDescriptor {
        try acquire(file: storeLockFile, .shared)
    }

    /// Takes an exclusive lock on `file` (created if needed) and returns the descriptor holding it.
    func acquireExclusiveLock(_ file: FilePath) throws(StoreError) -> FileDescriptor {
        try acquire(file: file, .exclusive)
    }

    private func withLock<T>(
        file: FilePath, _ kind: FileDescriptor.LockKind, _ body: () throws(StoreError) -> T
    ) throws(StoreError) -> T {
        let descriptor = try acquire(file: file, kind)
        // Closing the descriptor releases the lock, also when the process dies.
        defer { try? descriptor.close() }
        return try body()
    }

    private func acquire(file: FilePath, _ kind: FileDescriptor.LockKind) throws(StoreError) -> FileDescriptor {
        let descriptor: FileDescriptor
        do {
            descriptor = try systemCall {
                try FileDescriptor.open(
                    file, .readWrite, options: [.create, .closeOnExec, .noFollow],
                    permissions: [.ownerReadWrite, .groupRead, .otherRead])
            }
        } catch {
            throw .writing(error, operation: "open lock file", path: file, root: root)
        }
        do throws(StoreError) {
            try wait(for: descriptor, kind, file: file)
        } catch {
            try? descriptor.close()
            throw error
        }
        // The holder of an exclusive lock says who it is, for whoever waits next. (A shared
        // lock has many holders and nobody to name.)
        if kind == .exclusive { LockHolder.record(in: descriptor) }
        return descriptor
    }

    /// Polls for the lock until it is free, the wait is cancelled, or it times out.
    private func wait(for descriptor: FileDescriptor, _ kind: FileDescriptor.LockKind, file: FilePath) throws(StoreError) {
        func attempt() throws(StoreError) -> Bool {
            do {
                return try descriptor.tryLock(kind)
            } catch {
                throw .io(operation: "lock", path: file, error)
            }
        }
        if try attempt() { return }
        // Every exclusive holder records itself, so the record names the holder — except for
        // gc waiting on `store.lock`, whose holders are shared (unnamed) writers.
        let named = kind == .shared || file != storeLockFile
        func holder() -> String? { named ? LockHolder.read(from: descriptor)?.description : "the other modelpin processes using the store" }
        if named, LockHolder.read(from: descriptor)?.isThisThread == true {
            // Held by this very thread, or a stale record read in the instant between another
            // thread's flock and its record: look again a moment later before calling it a bug.
            usleep(100_000)
            if try attempt() { return }
            if LockHolder.read(from: descriptor)?.isThisThread == true { throw .lockHeldBySelf(path: file) }
        }
        let started = monotonicSeconds()
        var announced = false
        var pause: UInt32 = 10_000
        while true {
            if lockWait.isCancelled() { throw .interrupted }
            let waited = monotonicSeconds() - started
            if waited >= Double(lockWait.timeout) {
                throw .lockTimedOut(path: file, holder: holder(), seconds: lockWait.timeout)
            }
            if !announced, waited >= 1 {
                announced = true
                let who = holder() ?? "another process"
                lockWait.waiting("waiting for `\(file)`, held by \(who) (up to \(lockWait.timeout) s; Ctrl-C stops)")
            }
            usleep(pause)
            pause = min(pause * 2, 200_000)
            if try attempt() { return }
        }
    }
}

/// Who holds an exclusive store lock: written into the lock file by its holder.
@_spi(Fuzzing) public struct LockHolder: Equatable, CustomStringConvertible {
    @_spi(Fuzzing) public let pid: Int32
    /// The holding thread (`pthread_self`), so that threads of one process wait for each other
    /// normally and only a thread waiting for itself is an error.
    @_spi(Fuzzing) public let thread: UInt64
    @_spi(Fuzzing) public let command: String

    @_spi(Fuzzing) public var description: String { "pid \(pid) (\(command))" }

    /// The record's line, as `record` writes it.
    @_spi(Fuzzing) public var line: String { "\(pid) \(thread) \(command)\n" }

    var isThisThread: Bool { pid == getpid() && thread == Self.currentThread }

    static var currentThread: UInt64 { UInt64(truncatingIfNeeded: pthread_self()) }

    /// Writes this process's pid and command line into the (held) lock file. Best effort: a
    /// missing record only makes a waiter's message vaguer.
    static func record(in descriptor: FileDescriptor) {
        var arguments = CommandLine.arguments
        if let program = arguments.first { arguments[0] = FilePath(program).lastComponent?.string ?? program }
        var command = arguments.map { $0.escapedForDisplay }.joined(separator: " ")
        if command.count > 200 { command = String(command.prefix(200)) + "…" }
        let text = Array(LockHolder(pid: getpid(), thread: currentThread, command: command).line.utf8)
        try? descriptor.truncate(to: 0)
        text.withUnsafeBytes { try? descriptor.write(all: $0, at: 0) }
    }

    /// The recorded holder, if the record is readable and names a live process (a record left
    /// by a process that died names nobody: the lock is free then anyway).
    static func read(from descriptor: FileDescriptor) -> LockHolder? {
        var buffer = [UInt8](repeating: 0, count: 512)
        guard let count = try? buffer.withUnsafeMutableBytes({ try descriptor.read(into: $0, at: 0) }), count > 0,
              let holder = parse(buffer[..<count]),
              kill(holder.pid, 0) == 0 || errno == EPERM
        else { return nil }
        return holder
    }

    /// The first line of a lock file: `PID THREAD COMMAND`. Any process that can write the
    /// store writes it, so it is read strictly; nil for anything else.
    /// Split as bytes, not as Characters: `\r\n`, or a space before a combining mark, is one
    /// Character, so a command ending in `\r` or starting with U+0301 would not read back.
    @_spi(Fuzzing) public static func parse(_ bytes: ArraySlice<UInt8>) -> LockHolder? {
        let line = bytes.prefix { $0 != UInt8(ascii: "\n") }
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
        guard parts.count == 3, let pid = Int32(String(decoding: parts[0], as: UTF8.self)), pid > 0,
              let thread = UInt64(String(decoding: parts[1], as: UTF8.self)),
              let command = String(validating: parts[2], as: UTF8.self)
        else { return nil }
        return LockHolder(pid: pid, thread: thread, command: command)
    }
}

/// Seconds on a clock that never jumps.
private func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
