import ArgumentParser
import PinLock
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin mirror DIR [--lock FILE]`
struct MirrorCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Copy every blob a lock names, and the lock, into DIR: a static mirror for `pull --mirror`.",
        discussion: """
            DIR gets the store's own layout (an OCI image layout: `oci-layout`, \
            `blobs/sha256/<hex>`), each blob checked against the lock on the way in. Serve it \
            with any static HTTP server, or carry it across an air gap and read it as \
            `--mirror file:///path/DIR`. Blobs must be in the store: run `modelpin pull` first.
            """)

    @Argument(help: ArgumentHelp("The mirror directory (created if needed; blobs already there are kept).", valueName: "dir"))
    var directory: String

    @Option(help: ArgumentHelp("The lockfile (default: the project's modelpin.lock).", valueName: "file"))
    var lock: String?

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let cwd = ProcessEnvironment.currentDirectory
        let lockPath: FilePath
        if let lock {
            lockPath = cwd.pushing(FilePath(lock)).lexicallyNormalized()
        } else {
            lockPath = try self.project.load().lockPath
        }
        let outcome = try store.workspace(command: "mirror", console: console).mirror(lockAt: lockPath, into: cwd.pushing(FilePath(directory)).lexicallyNormalized())
        if console.json {
            console.out(try Format.json(outcome))
        } else {
            console.out("mirrored \(Format.plural(outcome.blobs, "blob")) of \(lockPath) into \(outcome.directory) (\(outcome.copied) copied, \(Format.bytes(outcome.bytes)); \(outcome.blobs - outcome.copied) already there)")
        }
        return .success
    }
}
