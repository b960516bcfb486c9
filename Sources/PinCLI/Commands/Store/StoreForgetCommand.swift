import ArgumentParser
import PinModel
import PinStore

/// `modelpin store forget REF...`
struct StoreForgetCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove snapshot names from the store's index.json; `store gc` then frees their blobs.",
        discussion: """
            REF is a name `store snapshots` lists (OWNER/NAME:main, OWNER/NAME:COMMIT), or \
            OWNER/NAME alone for every name of that repo. Blobs a lockfile, a pin or another \
            snapshot still references are kept by `store gc`.
            """)

    @Argument(help: ArgumentHelp("Snapshot names, or repo ids.", valueName: "ref"))
    var references: [String]

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let store = try store.open(.readWrite)
        var forgotten: [String] = []
        for reference in references {
            let names = try store.forgetSnapshots(reference)
            forgotten += names
            if !console.json { for name in names { console.out("forgot  \(name)") } }
        }
        if console.json { console.out(try Format.json(["forgotten": forgotten])) }
        return .success
    }
}
