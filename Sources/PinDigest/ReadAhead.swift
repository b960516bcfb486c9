import Dispatch
import Synchronization
import SystemPackage

/// Reads a file on a second thread into a small ring of buffers while the caller consumes the
/// previous ones, so that copying from the page cache (or waiting for the disk) overlaps with
/// hashing instead of adding to it. On a 2-core machine this is the difference between
/// ~0.9× and ~1.2× `openssl dgst`'s speed on one large file (bench/).
///
/// Written by hand: swift-system and Dispatch have no double-buffered reader, and DispatchIO
/// allocates a new DispatchData per chunk.
final class ReadAheadRing: @unchecked Sendable {
    // @unchecked: slot `i` is written only by the reader between `free.wait()` and
    // `filled.signal()`, and read only by the consumer between `filled.wait()` and
    // `free.signal()`; the semaphores order every access, so no two threads touch a slot at once.

    static let slots = 4

    private let buffers: [UnsafeMutableRawBufferPointer]
    private var lengths: [Int]
    private var failures: [Errno?]
    // Both start at zero: libdispatch traps when a semaphore is freed below its initial value.
    private let free = DispatchSemaphore(value: 0)
    private let filled = DispatchSemaphore(value: 0)
    private let stopRequested = Atomic<Bool>(false)

    init(chunkSize: Int) {
        buffers = (0..<Self.slots).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        }
        lengths = Array(repeating: 0, count: Self.slots)
        failures = Array(repeating: nil, count: Self.slots)
        for _ in 0..<Self.slots { free.signal() }
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    /// Streams `descriptor` to its end through `body` (false stops early). Returns the bytes
    /// consumed, or the read error. The reader thread has finished when this returns.
    func run(_ descriptor: FileDescriptor, _ body: (UnsafeRawBufferPointer) -> Bool) -> Result<Int64, Errno> {
        DispatchQueue.global(qos: .userInitiated).async { self.readLoop(descriptor) }

        var total: Int64 = 0
        var slot = 0
        var outcome: Result<Int64, Errno>?
        while true {
            filled.wait()
            let length = lengths[slot]
            if length <= 0 {
                // The reader's last slot: end of file, an error, or its answer to a stop.
                if outcome == nil {
                    outcome = failures[slot].map { .failure($0) } ?? .success(total)
                }
                return outcome!
            }
            if outcome == nil {
                total += Int64(length)
                if !body(UnsafeRawBufferPointer(buffers[slot]).prefix(length).withMemoryRebound()) {
                    outcome = .success(total)
                    stopRequested.store(true, ordering: .relaxed)
                }
            }
            // After a stop, slots already in flight are drained unread until the last one.
            free.signal()
            slot = (slot + 1) % Self.slots
        }
    }

    private func readLoop(_ descriptor: FileDescriptor) {
        var slot = 0
        while true {
            free.wait()
            if stopRequested.load(ordering: .relaxed) {
                lengths[slot] = 0
                failures[slot] = nil
                filled.signal()
                return
            }
            do {
                lengths[slot] = try descriptor.read(into: buffers[slot])
                failures[slot] = nil
            } catch {
                lengths[slot] = -1
                failures[slot] = error as? Errno ?? .ioError
            }
            let last = lengths[slot] <= 0
            filled.signal()
            if last { return }
            slot = (slot + 1) % Self.slots
        }
    }
}

extension UnsafeRawBufferPointer.SubSequence {
    /// A prefix slice as a buffer of its own.
    fileprivate func withMemoryRebound() -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self)
    }
}
