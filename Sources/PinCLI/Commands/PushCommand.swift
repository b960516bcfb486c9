import ArgumentParser
import PinLock
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin push oci://HOST[:PORT]/REPO[:TAG] [ALIAS|ORG/NAME@REV]`
struct PushCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push a model the store recorded to an OCI registry, as a ModelPack artifact.",
        discussion: """
            The snapshot is pushed exactly as the store recorded it: its ModelPack manifest's \
            own bytes (so its digest is the store's), its config, and one raw layer per file, \
            each read from the store under its digest. Nothing is resolved or hashed again. \
            Blobs the registry has are skipped, blobs in another repository of the same \
            registry are mounted, large ones are sent in chunks, and an interrupted push \
            resumes where the registry says it stopped. The manifest goes last, under TAG \
            (default: the snapshot's commit).

            MODEL is an alias of the project's lock (default: its only model), or ORG/NAME@REV \
            as `modelpin store snapshots` lists it. Pull it back with \
            `modelpin pull oci://HOST/REPO:TAG`.

            Anonymous first; a Bearer challenge is answered with a token for this repository. \
            Credentials are never sent to another host, nor printed.

            CREDENTIALS
              MODELPIN_REGISTRY_USER, MODELPIN_REGISTRY_PASSWORD  used first when set
              DOCKER_CONFIG   its config.json (default ~/.docker/config.json):
                              auths, credHelpers, credsStore
            """)

    @Argument(help: ArgumentHelp("The registry repository and tag: oci://HOST[:PORT]/REPO[:TAG].", valueName: "oci-reference"))
    var target: String

    @Argument(help: ArgumentHelp("An alias of the project's lock, or ORG/NAME@REV the store recorded (default: the project's only model).", valueName: "model"))
    var model: String?

    @OptionGroup var registry: RegistryFlags
    @OptionGroup var transfer: TransferOptions
    @OptionGroup var audit: AuditOptions
    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard target.hasPrefix(ModelRequest.ociScheme) else {
            throw ValidationError("push sends to an OCI registry: oci://HOST[:PORT]/REPO[:TAG], not `\(target)`")
        }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        if registry.allowInsecureRegistry {
            console.warn("--allow-insecure-registry: registries on other hosts are reached over plain http; tokens and credentials cross the network unencrypted")
        }
        PullCommand.installInterruptHandler()
        // A project is needed only to find an alias (or the only model).
        let project = model?.contains("/") == true ? nil : try self.project.load()
        var configuration = try audit.apply(to: transfer.configuration())
        registry.apply(to: &configuration)
        let progress = transfer.progress(console)
        defer { progress.finish() }
        let workspace = try store.workspace(configuration, events: progress, command: "push")
        let summary = try workspace.pushOCI(OCIPushRequest(target: target, model: model, project: project))
        progress.finish()
        if console.json {
            console.out(try Format.json(summary))
        } else if transfer.quiet {
            console.out(summary.manifest)
        } else {
            let count = { (outcome: String) in summary.blobs.filter { $0.outcome.hasPrefix(outcome) }.count }
            console.out("pushed \(summary.repo)@\(summary.commit.prefix(12)) to \(summary.repository):\(summary.tag) (manifest \(summary.manifest))")
            var line = "  \(Format.plural(summary.blobs.count, "blob")): \(count("uploaded")) uploaded (\(Format.bytes(summary.uploadedBytes)))"
            line += ", \(count("present")) already there, \(count("mounted")) mounted, in \(Format.tenths(summary.seconds)) s"
            console.out(line)
        }
        return .success
    }
}
