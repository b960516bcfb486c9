import PinModel
import PinStore
import PinTransport
import Synchronization

/// Fetches files into the store: several transfers at once, large files in ranged parts,
/// each part resumed where it stopped, every byte hashed as it lands (by the partial's own
/// hashing thread) and nothing promoted unless size and digests match.
final class DownloadEngine: Sendable {
    struct Job: Sendable {
        let file: SnapshotFile
        let url: HTTPURL
        let partial: PartialBlob
        /// The source's own check of each answer's head (the Hub's `X-Repo-Commit`), run on
        /// every redirect and on the final answer before any byte is kept.
        let check: ResponseCheck?
        /// An `Authorization: …` line for the URL's own origin only (a registry's token).
        var credential: String? = nil
        /// The source, as events name it.
        let source: String
    }

    private struct Task {
        let job: Int
        let work: PartialBlob.Work
    }

    private struct State {
        var queue: [Task] = []
        /// Per job: the layout generation in use and how many of its tasks are unfinished.
        var generation: [Int] = []
        var remaining: [Int] = []
        var results: [IngestResult?] = []
        var failure: (path: String, error: any Error)?
        /// With `stopOnFailure` off: each failed job's error (its other tasks are skipped).
        var failures: [Int: any Error] = [:]
    }

    private let jobs: [Job]
    private let store: Store
    private let settings: PullSettings
    private let events: any EventSink
    /// The caller's flag (Ctrl-C): set, the run ends as an interruption.
    private let interruption: CancellationFlag
    /// What the transfers check: the caller's flag, or this run's first failure (which stops
    /// the other transfers without cancelling anything beyond this run).
    private let cancellation: CancellationFlag
    private let state: Mutex<State>
    /// On: the first failure stops every transfer (a pull from one source). Off: a failed job
    /// is set aside and the others go on, so that the caller can try the next source for it.
    private let stopOnFailure: Bool
    /// The scan each verified file must pass before promotion.
    private let admission: Admission?

    init(
        jobs: [Job], store: Store, settings: PullSettings, events: any EventSink,
        cancellation: CancellationFlag, stopOnFailure: Bool = true, admission: Admission? = nil
    ) {
        self.stopOnFailure = stopOnFailure
        self.admission = admission
        self.jobs = jobs
        self.store = store
        self.settings = settings
        self.events = events
        self.interruption = cancellation
        self.cancellation = CancellationFlag(parent: cancellation)
        var initial = State()
        // Round-robin across files (part 0 of every file, then part 1…), so that every file's
        // hashing thread has work from the start and the cores share the hashing.
        let works = jobs.map(\.partial.pendingWork)
        for round in 0..<(works.map(\.count).max() ?? 0) {
            for (job, list) in works.enumerated() where round < list.count {
                initial.queue.append(Task(job: job, work: list[round]))
            }
        }
        initial.generation = works.map { $0.first?.generation ?? 0 }
        initial.remaining = works.map(\.count)
        initial.results = Array(repeating: nil, count: jobs.count)
        state = Mutex(initial)
    }

    /// Runs every job to completion; the first failure stops the rest (their partials are
    /// kept for the next run) and is thrown.
    func run() throws -> [IngestResult] {
        try runEach().map { try $0.get() }
    }

    /// Runs every job; with `stopOnFailure` off, each job's own outcome (an interruption is
    /// still thrown).
    func runEach() throws -> [Result<IngestResult, any Error>] {
        // Files with nothing left to fetch (empty, or complete from an earlier run).
        for job in jobs.indices where state.withLock({ $0.remaining[job] }) == 0 {
            finish(job)
        }
        let workers = max(1, min(settings.connections, state.withLock { $0.queue.count }))
        if state.withLock({ !$0.queue.isEmpty }) {
            runOnThreads(workers) { [self] _ in
                do {
                    let client = try HTTPClient(policy: settings.policy, cancellation: cancellation, transport: settings.transport)
                    while let task = next() { process(task, client) }
                } catch {
                    // No connection could be set up: every task this worker would take fails.
                    while let task = next() { fail(task.job, error) }
                }
            }
        }
        for job in jobs { job.partial.close() }
        let outcome = state.withLock { ($0.failure, $0.results, $0.failures) }
        if let failure = outcome.0 {
            if interruption.isCancelled, (failure.error as? TransportError).map({ if case .cancelled = $0 { true } else { false } }) == true {
                throw PullError.interrupted
            }
            throw PullError.download(path: failure.path, underlying: failure.error)
        }
        if interruption.isCancelled { throw PullError.interrupted }
        return jobs.indices.map { job in
            if let error = outcome.2[job] { return .failure(PullError.download(path: jobs[job].file.path, underlying: error)) }
            return .success(outcome.1[job]!)
        }
    }

    private func next() -> Task? {
        state.withLock { state in
            while state.failure == nil, !cancellation.isCancelled, !state.queue.isEmpty {
                let task = state.queue.removeFirst()
                if state.failures[task.job] == nil { return task }
            }
            return nil
        }
    }

    private func fail(_ job: Int, _ error: any Error) {
        guard stopOnFailure else {
            jobs[job].partial.close()
            state.withLock { state in
                if state.failures[job] == nil { state.failures[job] = error }
            }
            return
        }
        let first = state.withLock { state in
            guard state.failure == nil else { return false }
            state.failure = (jobs[job].file.path, error)
            return true
        }
        // Stop the other transfers at once; their progress is saved for the next run.
        if first { cancellation.cancel() }
    }

    // MARK: One task

    private struct RangeIgnored: Error {}
    private struct EndedEarly: Error {}

    private func process(_ task: Task, _ client: HTTPClient) {
        let job = jobs[task.job]
        var work = task.work
        var attempt = 1
        while true {
            do {
                try fetch(job, work, client)
                // A body that ended before the part did (no error from the connection) is
                // a transient failure like any other.
                if job.partial.pendingWork.contains(where: { $0.part == work.part && $0.generation == work.generation }) {
                    throw EndedEarly()
                }
                break
            } catch {
                let inner = Self.unwrap(error)
                if case StoreError.superseded? = inner as? StoreError { return }
                if inner is RangeIgnored {
                    // Another worker may have restarted the file already, or finished it.
                    guard let restarted = job.partial.restartAsOneStream(from: work) else { return }
                    work = restarted
                    state.withLock { state in
                        state.generation[task.job] = work.generation
                        state.remaining[task.job] = 1
                    }
                    events.emit(.retrying(
                        path: job.file.path, attempt: 1, afterSeconds: 0,
                        reason: "the server ignored a range request; fetching the file as one stream"))
                    continue
                }
                let transient = inner is EndedEarly || (inner as? TransportError)?.isTransient == true
                guard transient, attempt < settings.policy.retry.maxAttempts else {
                    fail(task.job, inner)
                    return
                }
                let delay = settings.policy.retry.delay(afterAttempt: attempt, retryAfter: (inner as? TransportError)?.retryAfter)
                events.emit(.retrying(path: job.file.path, attempt: attempt + 1, afterSeconds: delay, reason: Self.describe(inner)))
                attempt += 1
                do {
                    try client.pause(delay)
                } catch {
                    fail(task.job, error)
                    return
                }
                guard let remaining = job.partial.pendingWork.first(where: { $0.part == work.part && $0.generation == work.generation }) else {
                    break
                }
                work = remaining
            }
        }
        let done = state.withLock { state in
            guard state.generation[task.job] == work.generation else { return false }
            state.remaining[task.job] -= 1
            return state.remaining[task.job] == 0
        }
        if done { finish(task.job) }
    }

    private func fetch(_ job: Job, _ work: PartialBlob.Work, _ client: HTTPClient) throws {
        // A fresh whole-file stream asks for everything; anything else asks for exactly its range
        // and accepts only 206 with a matching Content-Range.
        let requested: ByteRange? = job.partial.isSplit || work.range.first > 0 ? work.range : nil
        let path = job.file.path
        let writer = job.partial.writer(for: work)
        // Progress is reported per MiB, not per chunk: the reporter is shared by every worker.
        var unreported: Int64 = 0
        // Whatever arrived in order before a failure is kept, so a retry resumes after it.
        defer {
            try? writer.flush()
            if unreported > 0 { events.emit(.received(path: path, bytes: unreported)) }
        }
        try client.get(
            job.url, range: requested, credential: job.credential,
            onRedirect: { head in try job.check?(head, path) },
            onResponse: { head in
                try job.check?(head, path)
                if let requested {
                    guard head.status == 206, let served = head.contentRange, served.start == requested.first,
                          served.end == requested.last, served.total == job.file.size
                    else { throw RangeIgnored() }
                } else if let header = head.header("content-length"), head.contentLength != job.file.size {
                    throw PullError.sizeMismatch(path: path, listed: job.file.size, served: head.contentLength ?? Int64(header) ?? -1)
                }
            },
            onBody: { chunk in
                try writer.append(chunk)
                unreported += Int64(chunk.count)
                if unreported >= 1 << 20 {
                    self.events.emit(.received(path: path, bytes: unreported))
                    unreported = 0
                }
            })
        try writer.flush()
    }

    /// Promotes a job whose bytes are all written: waits for its hash, checks, renames.
    private func finish(_ job: Int) {
        let partial = jobs[job].partial
        do {
            let result = try store.promote(partial, admit: admission)
            state.withLock { $0.results[job] = result }
            let file = jobs[job].file
            events.emit(.verified(path: file.path, digest: result.digest, size: file.size, origin: .fetched(source: jobs[job].source)))
        } catch {
            fail(job, error)
        }
    }

    /// The error that matters inside the transport's wrapping.
    private static func unwrap(_ error: any Error) -> any Error {
        if case TransportError.bodyRejected(_, let inner)? = error as? TransportError { return unwrap(inner) }
        return error
    }

    private static func describe(_ error: any Error) -> String {
        if error is EndedEarly { return "the connection ended early" }
        if let error = error as? any ModelpinError { return ([error.description] + error.causes).joined(separator: ": ") }
        return "\(error)"
    }
}
