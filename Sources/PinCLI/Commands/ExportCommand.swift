import ArgumentParser
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin export --hf-cache [--cache-dir DIR] [ALIAS|ORG/NAME[@REV]...]`
/// `modelpin export --oci-archive FILE.tar [ALIAS|ORG/NAME[@REV]...]`
struct ExportCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write verified snapshots from the store into another layout: the Hugging Face cache (--hf-cache) or an OCI archive (--oci-archive).",
        discussion: """
            --hf-cache writes each snapshot exactly as huggingface_hub 2.x lays out its cache \
            (models--ORG--NAME/blobs, snapshots/COMMIT, refs/REV, trees/COMMIT.json), so \
            `from_pretrained("org/name")`, `hf_hub_download` and `snapshot_download` find it, \
            also with HF_HUB_OFFLINE=1. Blobs are hard links of the store's read-only blobs; \
            across filesystems they are reflinked or copied, and the output says so. Each blob \
            is written under the client's own lock (.locks/), atomically; a cache blob with \
            other bytes than its name says is refused, never overwritten.

            --oci-archive FILE.tar writes one self-contained OCI image-layout tar (oci-layout, \
            index.json, blobs/sha256/…): each snapshot's ModelPack manifest named \
            ORG/NAME:COMMIT, its config and files, and the project's modelpin.lock and \
            modelpin.lock.asc attached as referrers. Same snapshots, same bytes. `skopeo copy \
            oci-archive:FILE.tar:ORG/NAME:COMMIT …` reads it; `modelpin import FILE.tar` too.

            Names: ALIAS (a model of the project's modelpin.lock, found by its locked commit) \
            or ORG/NAME[@REV] (a snapshot the store recorded; REV defaults to main). No name: \
            every model of the project's lock. Export reads only the store: nothing is \
            resolved or downloaded; pull first.

            Here --cache-dir is the Hugging Face cache (as in huggingface_hub), not the store: \
            the store is --home or $MODELPIN_HOME.

            ENVIRONMENT
              HF_HUB_CACHE     the Hugging Face cache (else $HF_HOME/hub, else
                               $XDG_CACHE_HOME/huggingface/hub, else
                               ~/.cache/huggingface/hub), as huggingface_hub finds it
              MODELPIN_HOME    the store
            """)

    @Argument(help: ArgumentHelp("Aliases or ORG/NAME[@REV] (default: every model of the project's lock).", valueName: "name"))
    var names: [String] = []

    @Flag(help: "Write into the Hugging Face cache.")
    var hfCache = false

    @Option(help: ArgumentHelp("Write one OCI image-layout tar to this file (replaced atomically).", valueName: "file.tar"))
    var ociArchive: String?

    @Option(
        name: [.customLong("cache-dir"), .customLong("hf-cache-dir")],
        help: ArgumentHelp("The Hugging Face cache (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).", valueName: "dir"))
    var cacheDir: String?

    @Option(help: ArgumentHelp("The store directory (default: $MODELPIN_HOME, else $XDG_CACHE_HOME/modelpin, else ~/.cache/modelpin).", valueName: "dir"))
    var home: String?

    @Option(help: ArgumentHelp("The manifest (default: the nearest modelpin.toml here or above).", valueName: "path"))
    var manifest: String?

    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let cwd = ProcessEnvironment.currentDirectory
        if let ociArchive {
            guard !hfCache else { throw UsageError(message: "--hf-cache and --oci-archive are two exports", hint: "run export once for each") }
            return try exportArchive(cwd.pushing(FilePath(ociArchive)).lexicallyNormalized(), cwd: cwd, console)
        }
        guard hfCache else {
            throw UsageError(message: "export needs a target layout", hint: "pass --hf-cache to write into the Hugging Face cache, or --oci-archive FILE.tar")
        }
        let root = try Self.cacheRoot(option: cacheDir, cwd: cwd)
        var request = HFCacheExportRequest(cacheRoot: root)
        request.names = names
        if names.isEmpty || names.contains(where: { !$0.contains("/") }) {
            request.project = try Project.load(Project.locate(explicit: manifest.map { FilePath($0) }, from: cwd))
        }
        let store = try StoreOptions.parse(home.map { ["--home", $0] } ?? [])
        let result = try store.workspace(command: "export", console: console).exportHFCache(request)
        if console.json {
            console.out(try Format.json(result))
            return .success
        }
        for outcome in result.snapshots { Self.describe(outcome, console) }
        return .success
    }

    func exportArchive(_ archive: FilePath, cwd: FilePath, _ console: Console) throws -> ExitStatus {
        var request = OCIArchiveExportRequest(archive: archive)
        request.names = names
        // The project's lock travels with the archive whenever there is a project; without
        // one, only ORG/NAME@REV names can be exported (a broken manifest is still an error).
        let needsProject = names.isEmpty || names.contains(where: { !$0.contains("/") })
        let located: FilePath?
        do {
            located = try Project.locate(explicit: manifest.map { FilePath($0) }, from: cwd)
        } catch {
            if needsProject || manifest != nil { throw error }
            located = nil
        }
        request.project = try located.map { try Project.load($0) }
        let store = try StoreOptions.parse(home.map { ["--home", $0] } ?? [])
        let result = try store.workspace(command: "export", console: console).exportOCIArchive(request)
        if console.json {
            console.out(try Format.json(result))
            return .success
        }
        for model in result.models {
            let attached = model.attachments.isEmpty ? "" : " with \(model.attachments.joined(separator: ", "))"
            console.out("exported \(model.reference) (\(model.manifest), \(Format.plural(model.files, "file")))\(attached)")
        }
        console.note("  \(result.archive): \(Format.bytes(result.bytes))")
        return .success
    }

    /// One line per snapshot, and a second one when blobs had to be copied.
    static func describe(_ outcome: HFCacheWriter.Outcome, _ console: Console) {
        let revision = outcome.revision.map { " (\($0))" } ?? ""
        console.out("exported \(outcome.repo)@\(outcome.commit)\(revision) into the Hugging Face cache: \(Format.plural(outcome.files, "file")), \(Format.bytes(outcome.bytes)); \(outcome.linked) blobs linked, \(outcome.kept) already there")
        console.note("  \(outcome.snapshot)")
        if outcome.crossFilesystem {
            console.warn("the Hugging Face cache is on another filesystem than the store: \(outcome.reflinked) blobs reflinked, \(outcome.copied) copied")
        }
    }

    /// --cache-dir (relative to the current directory), else huggingface_hub's own rules.
    static func cacheRoot(option: String?, cwd: FilePath) throws -> FilePath {
        guard let root = HFCacheLayout.root(option: option, environment: ProcessEnvironment.current) else {
            throw UsageError(message: "cannot tell where the Hugging Face cache is: HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME and HOME are all unset", hint: "pass --cache-dir DIR")
        }
        return cwd.pushing(FilePath(root)).lexicallyNormalized()
    }
}
