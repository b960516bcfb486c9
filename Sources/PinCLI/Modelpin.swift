public import ArgumentParser
import PinDigest
import PinModel
import PinWorkspace

/// The `modelpin` command: its subcommands, its help, its version.
public struct Modelpin: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "modelpin",
        abstract: "Fetch AI model weights pinned, hash-checked and verified before they reach your disk.",
        discussion: """
            Every file goes into a content-addressed store (an OCI image layout) only after its \
            SHA-256 has been computed on the way in and checked; nothing half-written or \
            unverified ever sits under a final name.

            EXIT STATUS
              0   success
              1   refused by a check: digest or size mismatch, missing blob, problems found by
                  verify, a name that is a typosquat or not on the allowlist
              2   operational error: file system, permissions, disk full, unreadable store metadata
                  or allowlist
              64  usage error: unknown option, malformed digest, duration or repo id
              75  temporary failure: the Hub or a mirror unreachable, timing out or
                  answering 429/5xx after every retry; run it again later
                  (a missing, private or gated repo is 2)
              130 interrupted (Ctrl-C); a rerun resumes

            ENVIRONMENT
              MODELPIN_HOME       the store (default $XDG_CACHE_HOME/modelpin, else ~/.cache/modelpin)
              MODELPIN_ALLOWLIST  the allowlist of repo ids (--allowlist overrides it)
              NO_COLOR            set to anything to turn off colour (colour is only used on a terminal)
            """,
        subcommands: [
            PullCommand.self, InitCommand.self, AddCommand.self, LockCommand.self, VerifyCommand.self, ListCommand.self,
            RemoveCommand.self, MirrorCommand.self, SignCommand.self, KeysCommand.self, ScanCommand.self, CheckCommand.self, HashCommand.self,
            StoreCommand.self,
        ]
    )

    // Handled here rather than through CommandConfiguration(version:), whose text is built on
    // every invocation: asking gpgme for its engine runs gpg, which no other command needs.
    @Flag(help: "Show modelpin's version and the libcurl, OpenSSL and gpgme it loaded.")
    var version = false

    public init() {}

    public func run() throws {
        guard version else { throw CleanExit.helpRequest(self) }
        // Not through Console (no command options here), so escaped the same way by hand: the
        // text quotes what gpgme reports, which includes a path from $MODELPIN_GPG.
        print(Self.versionText().escapedForTerminal)
    }

    /// `modelpin --version`: modelpin's version and the libraries it actually loaded.
    static func versionText() -> String {
        var lines = ["modelpin \(version)"]
        lines.append(EngineVersions.curl)
        lines.append(CryptoLibrary.versionText)
        lines.append(EngineVersions.gpgme)
        return lines.joined(separator: "\n")
    }
}

extension Modelpin {
    /// The executable's entry point: parses the process arguments, runs the command and exits
    /// with its status.
    public static func start() -> Never {
        main()
        exit(withError: nil)
    }
}
