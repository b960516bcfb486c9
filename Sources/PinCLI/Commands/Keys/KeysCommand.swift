import ArgumentParser
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin keys import|list|remove`: the keyring signatures are checked against.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the public keys modelpin trusts: OpenPGP keys, and OpenSSF model-signing (OMS) EC keys, CA certificates and Sigstore trusted roots.",
        discussion: """
            The keyring lives in the store (`keyring/`, a GnuPG home of its own; OMS keys and CAs \
            in its `oms/` folder). A key in it is only a candidate: a model's files are accepted \
            only when signed by a key modelpin.toml pins in `signers` (an OpenPGP fingerprint, \
            `oms-key:ID`, or `oms-cert:IDENTITY` for a certificate that chains to a CA imported \
            here, or `oms-cert:ISSUER|SAN` for a keyless bundle under a trusted_root.json imported here). `pull --require-signed-lock` trusts every OpenPGP key in the keyring.
            """,
        subcommands: [KeysImportCommand.self, KeysListCommand.self, KeysRemoveCommand.self])
}

/// `modelpin keys import FILE|-`
struct KeysImportCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add public keys to the keyring: OpenPGP (armoured or binary), PEM EC public keys and CA certificates, or a Sigstore trusted_root.json, for model.sig. Secret keys are refused.")

    @Argument(help: ArgumentHelp("Key files, or `-` for standard input.", valueName: "file"))
    var files: [String]

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let workspace = try store.workspace(command: "keys import", console: console)
        var imported: [KeyringEntry] = []
        for file in files {
            let bytes = file == "-" ? try ConfigFile.readStandardInput(what: "key file", limit: 1 << 20)
                : try ConfigFile.read(FilePath(file), what: "key file", limit: 1 << 20)
            imported += try workspace.importKeys(bytes, source: file == "-" ? "standard input" : file)
        }
        if console.json {
            console.out(try Format.json(imported))
        } else {
            for entry in imported {
                switch entry {
                case .openpgp(let key): console.out("imported \(key.fingerprint)  \(key.userIDs.first ?? "")")
                case .oms(let key): console.out("imported \(key.kind):\(key.id)  \(key.detail)")
                }
            }
            console.note(
                "pin a key for a model with `signers = [\"FINGERPRINT\"]` (OpenPGP), `[\"oms-key:ID\"]` (an OMS key) or `[\"oms-cert:IDENTITY\"]` (a certificate a CA here issued; `oms-cert:ISSUER|SAN` for keyless bundles under an imported trusted_root.json) in its modelpin.toml table")
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
        for entry in keys {
            guard case .openpgp(let key) = entry else { continue }
            var state: [String] = []
            if key.revoked { state.append("REVOKED") }
            if key.expired { state.append("EXPIRED") }
            if let expires = key.expires, !key.expired { state.append("expires \(Format.utcDate(expires))") }
            console.out("\(key.fingerprint)  \(key.userIDs.joined(separator: ", "))" + (state.isEmpty ? "" : "  [\(state.joined(separator: ", "))]"))
        }
        for case .oms(let key) in keys {
            console.out("\(key.kind):\(key.id)  \(key.detail)")
        }
        console.note("\(Format.plural(keys.count, "key")) in \(try store.keyringDirectory())")
        return .success
    }
}

/// `modelpin keys remove FPR`
struct KeysRemoveCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a public key from the keyring.")

    @Argument(help: ArgumentHelp("The key's full OpenPGP fingerprint, or an OMS key's or CA's id (`oms-key:ID`, `oms-ca:ID`).", valueName: "key"))
    var fingerprint: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let removed = try store.workspace(command: "keys remove", console: console).removeKey(fingerprint)
        console.out("removed \(removed)")
        return .success
    }
}
