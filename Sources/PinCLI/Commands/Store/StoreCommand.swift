import ArgumentParser

/// `modelpin store …`: the content-addressed store itself.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Inspect and maintain the content-addressed store.",
        discussion: """
            The store is an OCI image layout: blobs/sha256/<hex> holds every file under the \
            digest of its bytes, read-only. A blob is only ever created after its bytes were \
            hashed on the way in, so a blob under a digest name was verified.
            """,
        subcommands: [
            StoreAddCommand.self, StorePathCommand.self, StoreListCommand.self, StoreVerifyCommand.self,
            StoreGCCommand.self, StorePinCommand.self, StoreUnpinCommand.self, StoreRootsCommand.self,
            StoreSnapshotsCommand.self, StoreForgetCommand.self,
        ])
}
