import ArgumentParser
import PinLock
import PinStore
import PinWorkspace
import SystemPackage

/// `modelpin init [--endpoint URL] [--allowlist FILE]`
struct InitCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a project: write modelpin.toml in the current directory.")

    @Option(help: ArgumentHelp("The Hub endpoint to record in the manifest.", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("The allowlist file to record (relative to the manifest).", valueName: "file"))
    var allowlist: String?

    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let path = ProcessEnvironment.currentDirectory.appending(Manifest.fileName)
        if (try? Stat(path, followTargetSymlink: false)) != nil {
            throw UsageError(message: "`\(path)` already exists", hint: "add models to it with `modelpin add ORG/NAME`")
        }
        let text = ManifestFormat.initialText(endpoint: endpoint, allowlist: allowlist)
        _ = try ManifestFormat.parse(text, file: path.string)  // never write what cannot be read back
        do {
            try AtomicFile.write(Array(text.utf8), to: path)
        } catch {
            throw ProjectError.unwritable(path, error)
        }
        console.out("wrote \(path); add a model with `modelpin add ORG/NAME`")
        AddCommand.report(try ModelsIgnore.prepare(in: ProcessEnvironment.currentDirectory), console)
        return .success
    }
}
