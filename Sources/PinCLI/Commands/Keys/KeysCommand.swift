import ArgumentParser
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin keys import|list|remove`: the keyring signatures are checked against.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the OpenPGP public keys modelpin trusts (its own keyring, never ~/.gnupg).",
        discussion: """
            The keyring lives in the store (`keyring/`, a GnuPG home of its own). A key in it is \
            only a candidate: a model's files are accepted only when signed by a key whose \
            fingerprint modelpin.toml pins in `signers`. `pull --require-signed-lock` trusts every \
            key in the keyring.
            """,
        subcommands: [KeysImportCommand.self, KeysListCommand.self, KeysRemoveCommand.self])
}

/// `modelpin keys import FILE|-`
struct KeysImportCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add public keys (armoured or binary) to the keyring. Secret keys are refused.")

    @Argument(help: ArgumentHelp("Key files, or `-` for standard input.", valueName: "file"))
    var files: [String]

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let workspace = try store.workspace(command: "keys import", console: console)
        var imported: [KeyRecord] = []
        for file in files {
            let bytes = file == "-" ? try ConfigFile.readStandardInput(what: "key file", limit: 1 << 20)
                : try ConfigFile.read(FilePath(file), what: "key file", limit: 1 << 20)
            imported += try workspace.importKeys(bytes, source: file == "-" ? "standard input" : file)
        }
        if console.json {
            console.out(try Format.json(imported))
        } else {
            for key in imported {
                console.out("imported \(key.fingerprint)  \(key.userIDs.first ?? "")")
            }
            console.note("pin a key for a model with `signers = [\"FINGERPRINT\"]` in its modelpin.toml table")
        }
        return .success
    }
}

/// `modelpin keys list`
struct KeysListCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Show the keys in the keyring.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let keys = try store.workspace(command: "keys list", console: console).listKeys()
        if console.json {
            console.out(try Format.json(keys))
            return .success
        }
        for key in keys {
            var state: [String] = []
            if key.revoked { state.append("REVOKED") }
            if key.expired { state.append("EXPIRED") }
            if let expires = key.expires, !key.expired { state.append("expires \(Format.utcDate(expires))") }
            console.out("\(key.fingerprint)  \(key.userIDs.joined(separator: ", "))" + (state.isEmpty ? "" : "  [\(state.joined(separator: ", "))]"))
        }
        console.note("\(Format.plural(keys.count, "key")) in \(try store.keyringDirectory())")
        return .success
    }
}

/// `modelpin keys remove FPR`
struct KeysRemoveCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a public key from the keyring.")

    @Argument(help: ArgumentHelp("The key's full fingerprint.", valueName: "fingerprint"))
    var fingerprint: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let removed = try store.workspace(command: "keys remove", console: console).removeKey(fingerprint)
        console.out("removed \(removed)")
        return .success
    }
}
