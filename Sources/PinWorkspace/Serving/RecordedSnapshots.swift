import PinModel
import PinStore
import Synchronization
import SystemPackage

/// The store's snapshot records (`index.json` and the manifests it names) as a server reads them
/// on every request: read through `Store.snapshot` (which checks each manifest against its
/// digest, every path, the repo and the commit) once, then answered from memory for as long as
/// `index.json` is the same file.
///
/// `index.json` is only ever replaced whole (written aside, then renamed), so a new record, a
/// moved alias or a forgotten snapshot gives it a new identity (inode, ctime), and the next
/// request reads it again. Without this, every API request re-read and re-parsed `index.json`
/// and re-hashed a manifest. What is cached was checked when it was read; the manifests are
/// content-addressed, so a later change to one cannot alter what its digest names.
final class RecordedSnapshots: Sendable {
    let store: Store
    private struct State {
        var index: BlobChecks.Identity?
        var snapshots: [String: StoredSnapshot?] = [:]
        var repos: Set<String>?
    }
    private let state = Mutex(State())

    /// `index.json`, as text: built once, since every request stats it.
    private let indexPath: String

    init(store: Store) {
        self.store = store
        indexPath = store.root.appending("index.json").string
    }

    /// `Store.snapshot(repo:revision:)`, from memory while `index.json` is unchanged.
    func snapshot(_ repo: RepoID, revision: String) async throws(StoreError) -> StoredSnapshot? {
        let key = repo.description + ":" + revision
        let index = currentIndex()
        if let cached = state.withLock({ $0.index == index && index != nil ? $0.snapshots[key] : nil }) { return cached }
        let store = store
        let read = await onOwnThread { Result { () throws(StoreError) in try store.snapshot(repo: repo, revision: revision) } }
        let snapshot = try read.get()
        remember(index) { $0.snapshots[key] = .some(snapshot) }
        return snapshot
    }

    /// Whether the store records any snapshot of `repo`: what tells RepoNotFound from
    /// RevisionNotFound.
    func knows(_ repo: RepoID) async -> Bool {
        let index = currentIndex()
        if let repos = state.withLock({ $0.index == index && index != nil ? $0.repos : nil }) { return repos.contains(repo.description) }
        let store = store
        let listed = await onOwnThread { (try? store.snapshots()) ?? [] }
        let repos = Set(listed.compactMap { $0.repo })
        remember(index) { $0.repos = repos }
        return repos.contains(repo.description)
    }

    /// `index.json`'s identity now; nil when it cannot be had (then nothing is cached).
    private func currentIndex() -> BlobChecks.Identity? {
        (try? indexPath.withCString { try Stat($0, followTargetSymlink: false) }).map(BlobChecks.Identity.init)
    }

    /// Records what was read under the identity `index.json` had before it was read: if it was
    /// replaced meanwhile, the next request sees another identity and reads it again.
    private func remember(_ index: BlobChecks.Identity?, _ change: (inout State) -> Void) {
        guard let index else { return }
        state.withLock { state in
            if state.index != index { state = State(index: index) }
            change(&state)
        }
    }
}
