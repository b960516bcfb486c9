import ArgumentParser
import PinModel
import PinStore
import SystemPackage

/// `modelpin store path DIGEST`
struct StorePathCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "path",
        abstract: "Print the path of a blob in the store (exit 1 if it is not there).")

    @Argument(help: ArgumentHelp("The blob's digest, `sha256:<hex>`.", valueName: "digest"))
    var digest: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let digest = try Parse.digest(digest, for: "<digest>")
        let path = try store.open(.readOnly).path(of: digest)
        console.out(console.json ? try Format.json(["path": path.string, "digest": digest.description]) : path.string)
        return .success
    }
}
