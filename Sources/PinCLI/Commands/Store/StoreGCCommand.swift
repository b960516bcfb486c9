import ArgumentParser
import PinModel
import PinStore
import SystemPackage

/// `modelpin store gc [--dry-run] [--grace DURATION]`
struct StoreGCCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete blobs no root keeps, once they are older than the grace period.",
        discussion: """
            Roots are the pins in roots/ (`modelpin store pin`) and the manifests in index.json; \
            OCI manifests and indexes they name are followed. If any root cannot be read, \
            nothing is deleted. Temp files left by interrupted writes are removed after the \
            same grace period, and the store's records of model directories that are gone \
            (a later pull into such a directory hashes its files once).
            """)

    @Flag(help: "Show what would be deleted without deleting it.")
    var dryRun = false

    @Option(help: ArgumentHelp("Keep unreferenced blobs younger than this (seconds, or 30m, 1h, 2d…).", valueName: "duration"))
    var grace = "1h"

    @Option(help: ArgumentHelp("Keep interrupted downloads younger than this, for the next pull to resume.", valueName: "duration"))
    var partialGrace = "7d"

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let grace = try Parse.duration(grace, for: "--grace")
        let store = try store.open(.readWrite)
        let partialGrace = try Parse.duration(partialGrace, for: "--partial-grace")
        let report = try store.collectGarbage(GCPolicy(gracePeriod: grace, partialGracePeriod: partialGrace, dryRun: dryRun))
        if console.json {
            console.out(try Format.json(report))
            return .success
        }
        let verb = dryRun ? "would remove" : "removed"
        for item in report.removed {
            console.out("\(verb)  \(item.digest?.description ?? item.path)  \(Format.bytes(item.size))")
        }
        console.note(
            "\(verb) \(Format.plural(report.removed.count, "file")), \(dryRun ? "would free" : "freed") \(Format.bytes(report.freedBytes)); "
                + "kept \(report.live) referenced and \(report.recent) recent")
        return .success
    }
}
