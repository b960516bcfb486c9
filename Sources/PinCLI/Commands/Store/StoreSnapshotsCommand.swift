import ArgumentParser
import PinModel
import PinStore

/// `modelpin store snapshots [--json]`
struct StoreSnapshotsCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List the model snapshots recorded in the store's index.json.",
        discussion: """
            Every pull, lock and locked pull records the snapshot it verified as an OCI \
            manifest (CNCF ModelPack form) named OWNER/NAME:COMMIT, plus OWNER/NAME:REVISION \
            for the branch or tag a pull asked for. Other OCI tools read them: \
            `skopeo inspect --raw oci:STORE:OWNER/NAME:main`.
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let store = try store.open(.readOnly)
        let snapshots = try store.snapshots()
        if console.json {
            console.out(try Format.json(snapshots))
            return .success
        }
        let width = snapshots.map(\.name.count).max() ?? 0
        for snapshot in snapshots {
            let name = snapshot.name + String(repeating: " ", count: width - snapshot.name.count)
            if let problem = snapshot.problem {
                console.out("\(name)  unreadable: \(problem)")
            } else {
                let files = Format.plural(snapshot.files ?? 0, "file") + ", " + Format.bytes(snapshot.bytes ?? 0)
                console.out("\(name)  \(snapshot.commit?.prefix(12) ?? "")  \(files)  \(snapshot.manifest)")
            }
        }
        console.note("\(Format.plural(snapshots.count, "snapshot name")) in \(store.root)")
        return .success
    }
}
