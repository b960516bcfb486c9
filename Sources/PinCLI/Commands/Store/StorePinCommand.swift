import ArgumentParser
import PinModel
import PinStore
import SystemPackage

/// `modelpin store pin DIGEST...`
struct StorePinCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Keep blobs through garbage collection.")

    @Argument(help: ArgumentHelp("Digests of blobs in the store.", valueName: "digest"))
    var digests: [String]

    @Option(help: ArgumentHelp("The blob's media type; OCI manifests and indexes also keep what they name.", valueName: "type"))
    var mediaType = MediaType.octetStream

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let digests = try digests.map { try Parse.digest($0, for: "<digest>") }
        let store = try store.open(.readWrite)
        var pinned: [String] = []
        for digest in digests {
            let added = try store.pin(digest, mediaType: mediaType)
            pinned.append(digest.description)
            if !console.json { console.out("\(added ? "pinned" : "already pinned")  \(digest)") }
        }
        if console.json { console.out(try Format.json(["pinned": pinned])) }
        return .success
    }
}

/// `modelpin store unpin DIGEST...`
struct StoreUnpinCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpin",
        abstract: "Let garbage collection remove blobs again (they stay until `store gc`).")

    @Argument(help: ArgumentHelp("Digests to unpin.", valueName: "digest"))
    var digests: [String]

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let digests = try digests.map { try Parse.digest($0, for: "<digest>") }
        let store = try store.open(.readWrite)
        for digest in digests {
            try store.unpin(digest)
            if !console.json { console.out("unpinned  \(digest)") }
        }
        if console.json { console.out(try Format.json(["unpinned": digests.map(\.description)])) }
        return .success
    }
}
