public import PinLock
import PinModel
public import PinPolicy
public import PinStore

// What the policy gate looks at is `ModelFacts` (Facts/), the facts the SBOM is written from
// too: gathered from the store (what was verified), never from an editable file. Only where the
// store lacks a blob (`policy check` of a lock not pulled here) do facts come from the lock, and
// the report says so.

/// A policy subject and which of its facts came from the lock instead of the store.
public struct GatheredSubject: Sendable {
    public let subject: PolicySubject
    /// Paths whose format and verdict the store has no record of: the verdict is the lock's,
    /// the format unknown. Every path when the store could not give the facts at all (then
    /// the licence and remote code are unknown too).
    public let fromLock: [String]
}

extension PolicySubject {
    /// The policy's view of `facts`. `commitPinned`: the commit was pinned by a lock rather
    /// than resolved now (see `PolicySubject.commitPinned`).
    public init(_ facts: ModelFacts, commitPinned: Bool) {
        self.init(
            repo: facts.repo, licenses: facts.card.licenses,
            files: facts.files.map { File(path: $0.path, size: $0.size, format: $0.format, verdict: $0.verdict) },
            remoteCode: facts.hasRemoteCode, signedBy: facts.signedBy, commitDate: facts.commitDate)
        self.commitPinned = commitPinned
    }

    /// The facts of `model` as `store` holds them (`ModelFacts.gather`); `hub`: what the Hub said
    /// when it resolved the commit just now (nil: a lock pinned it). Where the store lacks a
    /// verdict, the lock's stands in, named in `fromLock`.
    public static func gather(_ model: LockedModel, store: Store?, hub: HubFacts?) -> GatheredSubject {
        guard let store, let facts = try? ModelFacts.gather(model.storedSnapshot, store: store, hub: hub, lock: model) else {
            let files = model.files.map { File(path: $0.path, size: $0.size, format: nil, verdict: $0.verdict) }
            var subject = PolicySubject(repo: model.repo, files: files, signedBy: model.signedBy, commitDate: hub?.lastModified)
            subject.commitPinned = hub == nil
            return GatheredSubject(subject: subject, fromLock: model.files.map(\.path))
        }
        var subject = PolicySubject(facts, commitPinned: hub == nil)
        let locked = Dictionary(model.files.map { ($0.path, $0.verdict) }) { first, _ in first }
        var fromLock: [String] = []
        for index in subject.files.indices where subject.files[index].verdict == nil {
            subject.files[index].verdict = locked[subject.files[index].path] ?? nil
            fromLock.append(subject.files[index].path)
        }
        return GatheredSubject(subject: subject, fromLock: fromLock)
    }
}

extension LockedModel {
    /// The snapshot a locked model names, as the store records it.
    var storedSnapshot: StoredSnapshot {
        get throws {
            StoredSnapshot(
                repo: try storeRepo(), commit: commit.hex, endpoint: endpoint,
                files: files.map { .init(path: $0.path, sha256: $0.sha256, size: $0.size, gitBlobID: $0.gitBlobID, lfs: $0.lfs) })
        }
    }
}
