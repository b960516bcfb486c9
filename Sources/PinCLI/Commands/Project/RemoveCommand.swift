import ArgumentParser
import PinLock
import PinStore
import PinWorkspace

/// `modelpin remove ALIAS`
struct RemoveCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a model from modelpin.toml and modelpin.lock.",
        discussion: """
            Its directory is left as it is (delete it yourself if you want); its blobs stay in the \
            store until `modelpin store gc` finds them unreferenced.
            """)

    @Argument(help: ArgumentHelp("The model's alias.", valueName: "alias"))
    var alias: String

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        if self.project.isLocked { throw ProjectError.lockOutdated(try self.project.load().lockPath, [.removed(alias: alias)]) }
        let project = try self.project.load()
        guard project.manifest.model(alias) != nil,
              let text = ManifestFormat.removing(alias: alias, from: project.manifestText)
        else {
            throw ProjectError.unknownAlias(alias, manifest: project.manifestPath, known: project.manifest.models.map(\.alias.rawValue))
        }
        let edited = try project.editing(text)
        let lock = try project.loadLock()
        // Manifest first: a crash in between leaves a lock with an extra model, which the next
        // `lock` drops; never a manifest naming a model the lock lost silently.
        let saved = try project.writeManifest(edited.manifestText)
        if var lock {
            lock.models.removeAll { $0.alias.rawValue == alias }
            try saved.writeLock(lock, store: store.open(.readWrite))
        }
        console.out("removed \(alias); its directory `\(project.destination(of: project.manifest.model(alias)!))` was left in place")
        return .success
    }
}
