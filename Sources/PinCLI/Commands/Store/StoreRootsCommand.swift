import ArgumentParser
import PinModel
import PinStore
import SystemPackage

/// `modelpin store roots [--prune [--dry-run]]`
///
/// Every project lockfile that was locked or pulled registers a root that keeps its blobs
/// (the root lists them itself, so GC never reads a lockfile). When a project is deleted or
/// moved, its root stays and keeps those blobs forever; `--prune` forgets the roots whose
/// lockfile is gone. Never automatic: a lockfile on a disk that is not mounted right now looks
/// the same as a deleted one.
struct StoreRootsCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "roots",
        abstract: "List what keeps blobs through garbage collection: pins and project lockfiles.",
        discussion: """
            A lockfile root whose lockfile no longer exists is marked `gone`; `--prune` forgets
            those roots, and `store gc` can then collect their blobs (after the grace period).
            """)

    @Flag(help: "Forget lockfile roots whose lockfile no longer exists.")
    var prune = false

    @Flag(help: "With --prune: show what would be forgotten, change nothing.")
    var dryRun = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    struct Entry: Encodable {
        let kind: String
        /// The pinned digest, or the lockfile's path.
        let target: String
        let blobs: Int
        let gone: Bool
        var pruned: Bool
    }

    func validate() throws {
        if dryRun && !prune { throw ValidationError("--dry-run goes with --prune") }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        let store = try store.open(prune && !dryRun ? .readWrite : .readOnly)
        let (roots, unreadable) = try store.roots()
        var entries: [Entry] = []
        for root in roots.sorted(by: { $0.file.string < $1.file.string }) {
            switch root.kind {
            case .pin:
                entries.append(Entry(
                    kind: "pin", target: root.descriptors.first?.digest.description ?? root.file.string,
                    blobs: root.descriptors.count, gone: false, pruned: false))
            case .lockfile:
                let lockfile = root.lockfile ?? root.file
                let gone = (try? Stat(lockfile)) == nil
                var entry = Entry(kind: "lockfile", target: lockfile.string, blobs: root.descriptors.count, gone: gone, pruned: false)
                if prune, gone {
                    if !dryRun { try store.unregisterLockfile(lockfile) }
                    entry.pruned = true
                }
                entries.append(entry)
            }
        }
        for problem in unreadable { console.warn("unreadable root \(problem)") }
        if console.json {
            console.out(try Format.json(entries))
        } else {
            for entry in entries {
                let state = entry.pruned ? (dryRun ? "  gone, would be forgotten" : "  gone, forgotten") : entry.gone ? "  gone" : ""
                console.out("\(entry.kind.padding(10))\(entry.target)  (\(Format.plural(entry.blobs, "blob")))\(state)")
            }
            let gone = entries.filter(\.gone).count
            var summary = "\(Format.plural(entries.count, "root")) in \(store.root)"
            if gone > 0 {
                summary += prune
                    ? (dryRun ? "; \(gone) would be forgotten" : "; \(gone) forgotten: `modelpin store gc` can now collect their blobs")
                    : "; \(gone) whose lockfile is gone: `modelpin store roots --prune` forgets them"
            }
            console.note(summary)
        }
        return unreadable.isEmpty ? .success : .failure
    }
}
