import ArgumentParser
import PinLock
import PinModel
import PinWorkspace

/// `modelpin sign [--key FPR]`
struct SignCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign modelpin.lock with your own OpenPGP key: writes modelpin.lock.asc.",
        discussion: """
            How a security team approves a lock: review it, sign it, commit the signature. \
            `pull --require-signed-lock` then refuses a lock whose signature is missing, bad or \
            made by a key that is not in modelpin's keyring. Signing uses your own GnuPG (where \
            your secret key is: $GNUPGHOME or ~/.gnupg, or --gnupg-home), never modelpin's keyring.
            """)

    @Option(help: ArgumentHelp("The key to sign with: a fingerprint or user id (default: gpg's default key).", valueName: "key"))
    var key: String?

    @Option(help: ArgumentHelp("The GnuPG home holding your secret key (default: $GNUPGHOME, else ~/.gnupg).", valueName: "dir"))
    var gnupgHome: String?

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        // The store holds only the audit log's entry for the signature; the key is the user's own.
        let path = try store.workspace(command: "sign", console: console).signLock(try self.project.load(), key: key, gnupgHome: gnupgHome)
        console.out("wrote \(path); commit it beside \(Lockfile.fileName)")
        return .success
    }
}
