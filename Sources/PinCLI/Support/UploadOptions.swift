import ArgumentParser
import PinWorkspace

/// How `mirror` to a bucket sends blobs: how many parts at once, and how large. The same
/// flags as `pull`'s (`--jobs`, `--part-size`), read the same way.
struct UploadOptions: ParsableArguments {
    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Parts uploaded at once (default: two per core, 2 to 8).")
    var jobs: Int = PullSettings.defaultConnections

    @Option(help: ArgumentHelp("Blobs larger than this go up in parts of this size (at least 5M, S3's minimum part).", valueName: "size"))
    var partSize: String = "64M"

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if try Parse.size(partSize, for: "--part-size") < 5 << 20 {
            throw ValidationError("--part-size must be at least 5M: S3 refuses smaller parts (except the last)")
        }
    }

    /// `configuration` with these settings.
    func apply(to configuration: WorkspaceConfiguration) throws -> WorkspaceConfiguration {
        var configuration = configuration
        configuration.connections = jobs
        configuration.partSize = try Parse.size(partSize, for: "--part-size")
        return configuration
    }
}
