import ArgumentParser
import PinLock
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin mirror DIR|s3://BUCKET/PREFIX [--lock FILE]`
struct MirrorCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Copy every blob a lock names, and the lock, into DIR or a bucket: a mirror for `pull --mirror`.",
        discussion: """
            DIR gets the store's own layout (an OCI image layout: `oci-layout`, \
            `blobs/sha256/<hex>`), each blob checked against the lock on the way in. Serve it \
            with any static HTTP server, or carry it across an air gap and read it as \
            `--mirror file:///path/DIR`. Blobs must be in the store: run `modelpin pull` first.

            s3://BUCKET/PREFIX uploads the same layout to an S3-compatible bucket (AWS, Ceph \
            RGW, SeaweedFS, MinIO, Garage): each blob hashed from the store first, objects \
            already there with the same size skipped, large blobs in parts (an interrupted \
            upload resumes), every PUT and part checksummed for the server to check; then the \
            lock and its signature. Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY \
            (/ AWS_SESSION_TOKEN) or ~/.aws/credentials with AWS_PROFILE; endpoint: \
            AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; region: AWS_REGION.
            """)

    @Argument(help: ArgumentHelp("The mirror directory (created if needed; blobs already there are kept), or s3://BUCKET/PREFIX.", valueName: "dir|s3-url"))
    var directory: String

    @Option(help: ArgumentHelp("The lockfile (default: the project's modelpin.lock).", valueName: "file"))
    var lock: String?

    @OptionGroup var upload: UploadOptions
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
        let configuration = try upload.apply(to: WorkspaceConfiguration(
            environment: ProcessEnvironment.current, userAgent: "modelpin/\(Modelpin.version)"))
        let workspace = try store.workspace(configuration, events: PullProgress(console: console, style: .silent), command: "mirror")
        // One branch per kind of destination; a directory is the default.
        switch MirrorDestination(directory) {
        case .bucket(let url):
            let outcome = try workspace.mirror(lockAt: lockPath, toBucket: url)
            if console.json {
                console.out(try Format.json(outcome))
            } else {
                console.out("mirrored \(Format.plural(outcome.blobs, "blob")) of \(lockPath) into \(outcome.mirror) (\(outcome.uploaded) uploaded, \(Format.bytes(outcome.bytes)); \(outcome.skipped) already there)")
            }
        case .directory(let path):
            let outcome = try workspace.mirror(lockAt: lockPath, into: cwd.pushing(FilePath(path)).lexicallyNormalized())
            if console.json {
                console.out(try Format.json(outcome))
            } else {
                console.out("mirrored \(Format.plural(outcome.blobs, "blob")) of \(lockPath) into \(outcome.directory) (\(outcome.copied) copied, \(Format.bytes(outcome.bytes)); \(outcome.blobs - outcome.copied) already there)")
            }
        }
        return .success
    }
}

/// Where `mirror` writes, by the argument's scheme.
enum MirrorDestination: Equatable {
    case directory(String)
    case bucket(String)

    init(_ argument: String) {
        self = argument.hasPrefix("s3://") ? .bucket(argument) : .directory(argument)
    }
}
