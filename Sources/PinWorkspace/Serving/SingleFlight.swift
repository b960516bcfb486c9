import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Concurrent requests for the same key share one run of the work: the first caller starts it,
/// the others await the same result. Nothing is remembered after the run ends (what must be
/// remembered, a check or a fetch, is recorded by the work itself), so a later request after a
/// failure tries again.
///
/// Written by hand: the package has no dependency that offers it (swift-async-algorithms does
/// not), and it is a dictionary of tasks behind a mutex.
final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let flights = Mutex<[Key: Task<Value, Never>]>([:])

    /// How many runs started (each one, not each caller): what a test of the sharing counts.
    var started: Int { starts.load(ordering: .relaxed) }
    private let starts = Atomic<Int>(0)

    func run(_ key: Key, _ work: @escaping @Sendable () async -> Value) async -> Value {
        let task = flights.withLock { flights in
            if let running = flights[key] { return running }
            starts.add(1, ordering: .relaxed)
            let task = Task { await work() }
            flights[key] = task
            return task
        }
        let value = await task.value
        flights.withLock { flights in
            if flights[key] == task { flights[key] = nil }
        }
        return value
    }
}

/// Runs blocking work (hashing a blob, a pull through libcurl) on a thread of its own and resumes
/// the caller with its result, so the caller's executor (a server's event loop, the cooperative
/// pool with one thread per core) is never held for the seconds it takes.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        let box = Unmanaged.passRetained(ThreadBody { continuation.resume(returning: body()) }).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, box)
        if result == 0 {
            pthread_detach(thread)
        } else {
            // No thread to be had (a process at its limit): run it on Dispatch's pool instead
            // of failing the request.
            let box = Unmanaged<ThreadBody>.fromOpaque(box).takeRetainedValue()
            DispatchQueue.global().async { box.run() }
        }
    }
}

/// The work a thread of `onOwnThread` runs.
private final class ThreadBody: @unchecked Sendable {
    // @unchecked: created before the thread starts, used by it alone.
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// At most `width` runs at once; the others wait their turn, in order. What keeps a server's
/// threads and disk in proportion when many clients ask for many different blobs at once: each
/// first open hashes a whole blob on a thread of its own, and without a bound a client naming
/// every blob of the store would start as many threads, all reading at once.
///
/// Written by hand for the same reason as `SingleFlight`: no dependency of the package has one.
final class AsyncLimiter: Sendable {
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    let width: Int
    private let state = Mutex(State())

    init(width: Int) {
        self.width = max(1, width)
    }

    func run<T: Sendable>(_ work: () async -> T) async -> T {
        await acquire()
        defer { release() }
        return await work()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state in
                guard state.running < width else {
                    state.waiting.append(continuation)
                    return false
                }
                state.running += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    /// Hands the slot to the first waiter, if any (it keeps `running` as it is), else frees it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
