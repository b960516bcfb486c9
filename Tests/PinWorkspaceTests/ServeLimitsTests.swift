@testable import PinWorkspace
import Synchronization
import Testing

/// The serve catalog's bounds on concurrent work: `AsyncLimiter` (blobs hashed at once) and
/// `SingleFlight` (one run per key).
@Suite("The serve catalog's concurrency bounds")
struct ServeLimitsTests {
    final class Counters: Sendable {
        let running = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        let runs = Atomic<Int>(0)
    }

    @Test(arguments: [1, 2, 3])
    func aLimiterRunsAtMostItsWidthAtOnceAndEveryRunFinishes(width: Int) async {
        let limiter = AsyncLimiter(width: width)
        let counters = Counters()
        let finished = await withTaskGroup(of: Int.self) { group in
            for index in 0..<12 {
                group.addTask {
                    await limiter.run {
                        let now = counters.running.add(1, ordering: .relaxed).newValue
                        counters.peak.max(now, ordering: .relaxed)
                        try? await Task.sleep(for: .milliseconds(20))
                        counters.running.subtract(1, ordering: .relaxed)
                        return index
                    }
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(finished.sorted() == Array(0..<12))
        #expect(counters.peak.load(ordering: .relaxed) == width)
    }

    @Test func concurrentCallersOfOneKeyShareOneRun() async {
        let flights = SingleFlight<String, Int>()
        let counters = Counters()
        let results = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    await flights.run("blob") {
                        try? await Task.sleep(for: .milliseconds(100))
                        return counters.runs.add(1, ordering: .relaxed).newValue
                    }
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: 1, count: 16))
        #expect(flights.started == 1)
        // Over: the next caller runs it again (nothing is remembered).
        #expect(await flights.run("blob") { counters.runs.add(1, ordering: .relaxed).newValue } == 2)
    }
}
