import ArgumentParser
import PinModel
import PinStore

/// `modelpin store ls`
struct StoreListCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the blobs in the store, with their sizes and whether a root keeps them.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    struct Entry: Encodable {
        let digest: SHA256Digest
        let size: Int64
        let pinned: Bool
        /// Kept by a project lockfile's root (`store roots`).
        let locked: Bool
    }

    func execute(_ console: Console) throws -> ExitStatus {
        let store = try store.open(.readOnly)
        let roots = try store.roots().roots
        let pinned = Set(roots.filter { $0.kind == .pin }.flatMap(\.descriptors).map(\.digest))
        let locked = Set(roots.filter { $0.kind == .lockfile }.flatMap(\.descriptors).map(\.digest))
        let entries = try store.blobs().map {
            Entry(digest: $0.digest, size: $0.size, pinned: pinned.contains($0.digest), locked: locked.contains($0.digest))
        }
        if console.json {
            console.out(try Format.json(entries))
            return .success
        }
        let width = entries.map { Format.bytes($0.size).count }.max() ?? 0
        for entry in entries {
            let size = Format.bytes(entry.size)
            let padded = String(repeating: " ", count: width - size.count) + size
            let kept = [entry.pinned ? "pinned" : nil, entry.locked ? "locked" : nil].compactMap { $0 }
            console.out("\(entry.digest)  \(padded)" + (kept.isEmpty ? "" : "  " + kept.joined(separator: ", ")))
        }
        let total = entries.reduce(Int64(0)) { $0 + $1.size }
        console.note("\(Format.plural(entries.count, "blob")), \(Format.bytes(total)) in \(store.root)")
        return .success
    }
}
