import ArgumentParser
import PinLock
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin mirror DIR|s3://BUCKET/PREFIX|oci://HOST/REPO [--lock FILE]`
struct MirrorCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Copy every blob a lock names, and the lock, into DIR or a bucket: a mirror for `pull --mirror`.",
        discussion: """
            DIR becomes an OCI image layout (`oci-layout`, a merged `index.json`, \
            `blobs/sha256/<hex>`) holding every blob the lock names, each checked against \
            the lock on the way in, and each locked model's snapshot manifest with the lock \
            attached (skopeo and oras read it as `oci:DIR:ORG/NAME:COMMIT`); the lock itself \
            goes to `projects/<NAME>/modelpin.lock`, so projects sharing DIR keep their own. \
            No store internals; every file is written to a temp name and renamed, under a \
            lock on DIR. Serve DIR with any static HTTP server, or carry it across an air gap \
            and read it as `--mirror file:///path/DIR`. Blobs must be in the store: run \
            `modelpin pull` first.

            s3://BUCKET/PREFIX uploads the same layout to an S3-compatible bucket (AWS, Ceph \
            RGW, SeaweedFS, MinIO, Garage): each blob hashed from the store first, objects \
            already there with the same size skipped, large blobs in parts (an interrupted \
            upload resumes), every PUT and part checksummed for the server to check; then the \
            lock and its signature. Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY \
            (/ AWS_SESSION_TOKEN) or ~/.aws/credentials with AWS_PROFILE; endpoint: \
            AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; region: AWS_REGION.

            oci://HOST[:PORT]/REPO pushes every locked model's snapshot to that repository, \
            as `push` does (each manifest tagged with its commit, the lock attached), so that \
            `pull --mirror oci://HOST/REPO` serves the project's blobs by digest.
            """)

    @Argument(help: ArgumentHelp("The mirror directory (created if needed; blobs already there are kept), s3://BUCKET/PREFIX, or oci://HOST/REPO.", valueName: "dir|s3-url|oci-url"))
    var directory: String

    @Option(help: ArgumentHelp("The lockfile (default: the project's modelpin.lock).", valueName: "file"))
    var lock: String?

    @Option(help: ArgumentHelp("The name the lock is kept under, projects/<NAME>/ (default: the lock's directory's name; A-Z a-z 0-9 . _ -, at most 64).", valueName: "name"))
    var name: String?

    @OptionGroup var upload: UploadOptions
    @OptionGroup var registry: RegistryFlags
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
        if registry.allowInsecureRegistry {
            console.warn("--allow-insecure-registry: registries on other hosts are reached over plain http; tokens and credentials cross the network unencrypted")
        }
        let configuration = registry.applied(to: try upload.apply(to: WorkspaceConfiguration(
            environment: ProcessEnvironment.current, userAgent: "modelpin/\(Modelpin.version)")))
        let workspace = try store.workspace(configuration, events: PullProgress(console: console, style: .silent), command: "mirror")
        // One branch per kind of destination; a directory is the default.
        switch MirrorDestination(directory) {
        case .registry(let target):
            let outcome = try workspace.mirror(lockAt: lockPath, toRegistry: target)
            if console.json {
                console.out(try Format.json(outcome))
            } else {
                console.out("mirrored \(Format.plural(outcome.blobs, "blob")) of \(lockPath) into \(outcome.mirror) (\(outcome.uploaded) uploaded, \(Format.bytes(outcome.bytes)); \(outcome.mounted) mounted; \(outcome.skipped) already there; \(Format.plural(outcome.manifests.count, "manifest")))")
            }
        case .bucket(let url):
            let outcome = try workspace.mirror(lockAt: lockPath, toBucket: url, name: name)
            if console.json {
                console.out(try Format.json(outcome))
            } else {
                console.out("mirrored \(Format.plural(outcome.blobs, "blob")) of \(lockPath) into \(outcome.mirror) (\(outcome.uploaded) uploaded, \(Format.bytes(outcome.bytes)); \(outcome.skipped) already there)")
            }
        case .directory(let path):
            let outcome = try workspace.mirror(lockAt: lockPath, into: cwd.pushing(FilePath(path)).lexicallyNormalized(), name: name)
            if console.json {
                console.out(try Format.json(outcome))
            } else {
                if !outcome.withoutManifest.isEmpty {
                    console.warn("no snapshot is recorded for \(outcome.withoutManifest.joined(separator: ", ")): its blobs are in the mirror, but no manifest names them (run `modelpin pull --locked` to record one)")
                }
                console.out("mirrored \(Format.plural(outcome.blobs, "blob")) of \(lockPath) into \(outcome.directory) (\(outcome.copied) copied, \(Format.bytes(outcome.bytes)); \(outcome.blobs - outcome.copied) already there; \(Format.plural(outcome.manifests, "manifest")); lock in projects/\(outcome.project)/)")
            }
        }
        return .success
    }
}

/// Where `mirror` writes, by the argument's scheme.
enum MirrorDestination: Equatable {
    case directory(String)
    case bucket(String)
    case registry(String)

    init(_ argument: String) {
        self = argument.hasPrefix("s3://") ? .bucket(argument) : argument.hasPrefix("oci://") ? .registry(argument) : .directory(argument)
    }
}
