import PinModel
import PinStore
import PinTransport
import SystemPackage

/// One file to make present in the store, and the snapshot it belongs to.
struct FetchItem: Sendable {
    let file: SnapshotFile
    let repo: String
    let commit: CommitID
    /// Names the download in the store's partial records and in errors.
    let label: String
    /// A new file to write the bytes into as they are hashed (copy-mode layout), if any.
    var copyTo: CopyTarget?
}

/// Where a remote blob source keeps one file (`BlobLocation.remote`).
struct Remote: Sendable {
    let url: HTTPURL
    let check: ResponseCheck?
    let credential: String?
}

/// What a fetch made present, per content (`SnapshotFile.contentKey`).
struct FetchOutcome: Sendable {
    var digests: [String: SHA256Digest] = [:]
    /// The source that served each content.
    var servedBy: [String: String] = [:]
    /// Bytes an earlier run had kept, per content.
    var resumed: [String: Int64] = [:]
    /// The last reason a source gave for each content it could not provide.
    var failures: [String: any Error] = [:]
    /// The source that gave that reason, per content.
    var failedAt: [String: String] = [:]
    /// Items no source provided, in order.
    var missing: [FetchItem] = []

    var resumedBytes: Int64 { resumed.values.reduce(0, +) }
}

/// Makes files present in the store from a list of sources, tried in order for what is still
/// missing: each source once, every file checked against its size and digests and passed
/// through admission (the scan) before it gets its digest name. Several transfers at once
/// within a source (`DownloadEngine`); files with the same bytes are fetched once.
struct BlobFetcher: Sendable {
    let store: Store
    let settings: PullSettings
    let events: any EventSink
    let cancellation: CancellationFlag
    let admission: Admission?

    /// `stopOnFailure`: the first failure ends the fetch and is thrown (one source, nothing to
    /// fall back to). Otherwise a failed file is reported (`fallback`) and the next source is
    /// tried for it; whatever no source provided is in `missing`.
    func fetch(_ items: [FetchItem], from sources: [any BlobSource], stopOnFailure: Bool) throws -> FetchOutcome {
        var outcome = FetchOutcome()
        var pending = Self.firstOfEachContent(items)
        for source in sources where !pending.isEmpty {
            let served = try fetch(pending, from: source, stopOnFailure: stopOnFailure, into: &outcome)
            for key in served { outcome.servedBy[key] = source.description }
            pending.removeAll { served.contains($0.file.contentKey) }
        }
        outcome.missing = pending
        return outcome
    }

    /// One source: returns the content keys it provided.
    private func fetch(
        _ items: [FetchItem], from source: any BlobSource, stopOnFailure: Bool, into outcome: inout FetchOutcome
    ) throws -> Set<String> {
        var local: [(FetchItem, FilePath)] = []
        var remote: [(FetchItem, Remote)] = []
        for item in items {
            switch source.location(of: item.file, repo: item.repo, commit: item.commit) {
            case .local(let path)?: local.append((item, path))
            case .remote(let url, let check, let credential)?: remote.append((item, Remote(url: url, check: check, credential: credential)))
            case nil: continue
            }
        }
        var served = try ingest(local, from: source, into: &outcome)
        if !remote.isEmpty {
            served.formUnion(try download(remote, from: source, stopOnFailure: stopOnFailure, into: &outcome))
        }
        return served
    }

    /// Copies files from a directory source, each checked as it is read.
    private func ingest(_ items: [(FetchItem, FilePath)], from source: any BlobSource, into outcome: inout FetchOutcome) throws -> Set<String> {
        var served = Set<String>()
        for (item, path) in items {
            if cancellation.isCancelled { throw PullError.interrupted }
            guard let digest = item.file.sha256, (try? Stat(path)) != nil else { continue }  // not in this mirror
            events.emit(.sourceChosen(file: item.file, source: source.description, resumedBytes: 0))
            do {
                _ = try store.ingest(file: path, expecting: BlobExpectation(digest: digest, size: item.file.size), admit: admission)
                outcome.digests[item.file.contentKey] = digest
                events.emit(.verified(path: item.file.path, digest: digest, size: item.file.size, origin: .fetched(source: source.description)))
                served.insert(item.file.contentKey)
            } catch {
                reject(item, from: source, error, into: &outcome)
            }
        }
        return served
    }

    /// Downloads from a server, several at once, large files in ranged parts.
    private func download(
        _ items: [(FetchItem, Remote)], from source: any BlobSource, stopOnFailure: Bool,
        into outcome: inout FetchOutcome
    ) throws -> Set<String> {
        var settings = self.settings
        source.configure(&settings.policy)
        var jobs: [DownloadEngine.Job] = []
        defer { for job in jobs { job.partial.close() } }
        for (item, remote) in items {
            let file = item.file
            let partial = try store.openPartial(
                expected: .init(size: file.size, sha256: file.sha256, gitBlobID: file.contentGitBlobID),
                partSize: file.size > settings.partSize ? settings.partSize : max(file.size, 1),
                source: item.label, copyTo: item.copyTo)
            outcome.resumed[file.contentKey] = partial.resumedBytes
            events.emit(.sourceChosen(file: file, source: source.description, resumedBytes: partial.resumedBytes))
            jobs.append(DownloadEngine.Job(
                file: file, url: remote.url, partial: partial, check: remote.check, credential: remote.credential, source: source.description))
        }
        let results = try DownloadEngine(
            jobs: jobs, store: store, settings: settings, events: events, cancellation: cancellation,
            stopOnFailure: stopOnFailure, admission: admission
        ).runEach()
        var served = Set<String>()
        var failed: [(FetchItem, any Error)] = []
        for ((item, _), result) in zip(items, results) {
            switch result {
            case .success(let ingested):
                outcome.digests[item.file.contentKey] = ingested.digest
                served.insert(item.file.contentKey)
            case .failure(let error):
                failed.append((item, error))
            }
        }
        if failed.count > 1, failed.allSatisfy({ ($0.1 as? any ModelpinError)?.kind == .unavailable }) {
            // The source is down, not wrong about any one file: said once, not once per file.
            for (item, error) in failed {
                outcome.failures[item.file.contentKey] = error
                outcome.failedAt[item.file.contentKey] = source.description
            }
            events.emit(.sourceUnavailable(source: source.description, paths: failed.map(\.0.file.path), reason: Self.explain(failed[0].1)))
        } else {
            for (item, error) in failed { reject(item, from: source, error, into: &outcome) }
        }
        return served
    }

    private func reject(_ item: FetchItem, from source: any BlobSource, _ error: any Error, into outcome: inout FetchOutcome) {
        outcome.failures[item.file.contentKey] = error
        outcome.failedAt[item.file.contentKey] = source.description
        let reason = Self.explain(error)
        let refused = (error as? any ModelpinError)?.kind == .refused
        if refused { events.emit(.refused(path: item.file.path, source: source.description, reason: reason)) }
        events.emit(.fallback(path: item.file.path, source: source.description, reason: reason, refused: refused))
    }

    /// The first item of each distinct content, in order.
    static func firstOfEachContent(_ items: [FetchItem]) -> [FetchItem] {
        var seen = Set<String>()
        return items.filter { seen.insert($0.file.contentKey).inserted }
    }

    static func explain(_ error: any Error) -> String {
        if let error = error as? any ModelpinError { return ([error.description] + error.causes).joined(separator: ": ") }
        return "\(error)"
    }
}
