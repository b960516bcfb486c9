import Foundation
import PinDigest
import PinModel
@_spi(Fuzzing) @testable import PinStore
import PinTestSupport
import Synchronization
import SystemPackage
import Testing

@Suite("Waiting for store locks", .timeLimit(.minutes(1)))
struct LockWaitTests {
    /// The holder line is split as bytes (found by FuzzStoreRecords): as Characters, `\r\n` is
    /// one, so a command ending in `\r` kept the newline, and a space before a combining mark
    /// did not separate the fields at all.
    @Test(arguments: [
        ("7 22 modelpin pull\r\n", "modelpin pull\r"),
        ("7 22 \u{301}x\n", "\u{301}x"),
        ("7 22 a b\nstale bytes \u{FF}", "a b"),
    ])
    func aHolderLineReadsBackAsWritten(_ text: String, _ command: String) throws {
        let holder = try #require(LockHolder.parse(Array(text.utf8)[...]))
        #expect(holder.pid == 7 && holder.thread == 22 && holder.command == command)
        #expect(LockHolder.parse(Array(holder.line.utf8)[...]) == holder)
    }

    let bytes = pseudoRandomBytes(count: 1000, seed: 5)
    var expected: PartialBlob.Expectation { .init(size: Int64(bytes.count), sha256: SHA256.hash(bytes), gitBlobID: nil) }

    /// The same content opened twice by one process: it would wait for itself forever.
    @Test func aSecondPartialOfTheSameContentInOneProcessFailsAtOnce() throws {
        try StoreFixture.with { fixture throws in
            let first = try fixture.store.openPartial(expected: expected, partSize: 1 << 20, source: "a/config.json")
            defer { first.close() }
            #expect {
                _ = try fixture.store.openPartial(expected: expected, partSize: 1 << 20, source: "b/config.json")
            } throws: { error in
                if case StoreError.lockHeldBySelf? = error as? StoreError { return true }
                return false
            }
        }
    }

    /// Held by someone who never lets go: the wait ends after the timeout, naming the lock.
    @Test func aWaitTimesOut() throws {
        try StoreFixture.with { fixture throws in
            var store = fixture.store
            store.lockWait = LockWait(timeout: 1)
            let held = try holdLock(store, expected)
            defer { close(held) }
            let started = Date()
            #expect {
                _ = try store.openPartial(expected: expected, partSize: 1 << 20, source: "x")
            } throws: { error in
                guard case StoreError.lockTimedOut(let path, _, 1)? = error as? StoreError else { return false }
                return path.string.hasSuffix(".lock")
            }
            #expect(Date().timeIntervalSince(started) < 10)
        }
    }

    /// Ctrl-C while waiting: the wait ends promptly with `.interrupted`, and says who it waited for first.
    @Test func aWaitEndsWhenCancelledAndAnnouncesItself() throws {
        try StoreFixture.with { fixture throws in
            let cancelled = Atomic<Bool>(false)
            let messages = Mutex<[String]>([])
            var store = fixture.store
            store.lockWait = LockWait(
                timeout: 60, isCancelled: { cancelled.load(ordering: .relaxed) },
                waiting: { message in messages.withLock { $0.append(message) } })
            let held = try holdLock(store, expected)
            defer { close(held) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 1.5) { cancelled.store(true, ordering: .relaxed) }
            #expect {
                _ = try store.openPartial(expected: expected, partSize: 1 << 20, source: "x")
            } throws: { error in
                if case StoreError.interrupted? = error as? StoreError { return true }
                return false
            }
            let said = messages.withLock { $0 }
            #expect(said.count == 1)
            #expect(said.first?.contains("waiting for") == true, "\(said)")
        }
    }

    /// Takes the partial's lock on a descriptor of its own, as another process would.
    func holdLock(_ store: Store, _ expected: PartialBlob.Expectation) throws -> Int32 {
        let path = store.locksDirectory.appending("partial-sha256-\(expected.sha256!.hex).lock").string
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        try #require(descriptor >= 0)
        try #require(flock(descriptor, LOCK_EX) == 0)
        return descriptor
    }
}
