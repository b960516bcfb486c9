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
    }

    func execute(_ console: Console) throws -> ExitStatus {
        let store = try store.open(.readOnly)
        let pinned = Set(try store.roots().roots.filter { $0.kind == .pin }.flatMap(\.descriptors).map(\.digest))
        let entries = try store.blobs().map { Entry(digest: $0.digest, size: $0.size, pinned: pinned.contains($0.digest)) }
        if console.json {
            console.out(try Format.json(entries))
            return .success
        }
        let width = entries.map { Format.bytes($0.size).count }.max() ?? 0
        for entry in entries {
            let size = Format.bytes(entry.size)
            let padded = String(repeating: " ", count: width - size.count) + size
            console.out("\(entry.digest)  \(padded)" + (entry.pinned ? "  pinned" : ""))
        }
        let total = entries.reduce(Int64(0)) { $0 + $1.size }
        console.note("\(Format.plural(entries.count, "blob")), \(Format.bytes(total)) in \(store.root)")
        return .success
    }
}
