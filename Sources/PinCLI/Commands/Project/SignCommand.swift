import ArgumentParser
import PinLock
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin sign [--key FPR]`, and `modelpin sign --oms --key PRIVATE.pem ALIAS|DIR`
struct SignCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign modelpin.lock with your own OpenPGP key (writes modelpin.lock.asc), or a model with --oms (writes model.sig).",
        discussion: """
            How a security team approves a lock: review it, sign it, commit the signature. \
            `pull --require-signed-lock` then refuses a lock whose signature is missing, bad or \
            made by a key that is not in modelpin's keyring. Signing uses your own GnuPG (where \
            your secret key is: $GNUPGHOME or ~/.gnupg, or --gnupg-home), never modelpin's keyring.

            With --oms, signs a model the way OpenSSF model signing does (`model_signing sign \
            key`): --key is an unencrypted EC private key in PEM (P-256, P-384 or P-521), and the \
            model is ALIAS (its locked files, read from the store; model.sig is written into its \
            directory) or DIR (its files, walked without following links; .git and the other \
            git paths are left out). `model_signing verify key` and modelpin pulls with \
            `signers = ["oms-key:ID"]` accept the model.sig written.
            """)

    @Option(help: ArgumentHelp("The key to sign with: a fingerprint or user id (default: gpg's default key); with --oms, the EC private key's PEM file.", valueName: "key"))
    var key: String?

    @Option(help: ArgumentHelp("The GnuPG home holding your secret key (default: $GNUPGHOME, else ~/.gnupg).", valueName: "dir"))
    var gnupgHome: String?

    @Flag(help: "Sign a model as OpenSSF model signing does (model.sig) instead of the lock.")
    var oms = false

    @Argument(help: ArgumentHelp("With --oms: the model to sign, a project model's alias or a directory.", valueName: "alias|dir"))
    var target: String?

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        guard oms else {
            if let target {
                throw UsageError(message: "`\(target)`: `sign` without --oms signs modelpin.lock and takes no model", hint: "sign a model with `modelpin sign --oms --key PRIVATE.pem ALIAS|DIR`")
            }
            // The store holds only the audit log's entry for the signature; the key is the user's own.
            let path = try store.workspace(command: "sign", console: console).signLock(try self.project.load(), key: key, gnupgHome: gnupgHome)
            console.out("wrote \(path); commit it beside \(Lockfile.fileName)")
            return .success
        }
        guard let key, let target else {
            throw UsageError(message: "--oms needs --key PRIVATE.pem and the model to sign", hint: "modelpin sign --oms --key PRIVATE.pem ALIAS|DIR")
        }
        let pem = String(decoding: try ConfigFile.read(FilePath(key), what: "private key", limit: 1 << 20), as: UTF8.self)
        let workspace = try store.workspace(command: "sign --oms", console: console)
        let signed: ModelSigned
        // A project's model alias first; anything else is a directory. No project is no error
        // here (a directory is signed anywhere), but a broken manifest is.
        let project: Project?
        do {
            project = try self.project.load()
        } catch ProjectError.noManifest {
            project = nil
        }
        if let project, project.manifest.model(target) != nil {
            signed = try workspace.signLockedModel(target, in: project, privateKeyPEM: pem)
        } else {
            signed = try workspace.signDirectory(ProcessEnvironment.currentDirectory.pushing(FilePath(target)), privateKeyPEM: pem)
        }
        if console.json {
            console.out(try Format.json(signed))
        } else {
            console.out("wrote \(signed.path) (\(Format.plural(signed.files, "file")), signed by \(signed.signer))")
            console.note("pin it for a model with `signers = [\"\(signed.signer)\"]`; `model_signing verify key --signature model.sig --public_key PUB.pem DIR` accepts it")
        }
        return .success
    }
}
