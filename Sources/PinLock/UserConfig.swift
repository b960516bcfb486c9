public import PinModel
import TOMLKit

/// The user's own modelpin settings, `$XDG_CONFIG_HOME/modelpin/config.toml` (else
/// `~/.config/modelpin/config.toml`): what must not come from the project, because the project's
/// files arrive in pull requests.
///
/// Today it holds the lock signers: whose signature over modelpin.lock `pull
/// --require-signed-lock` accepts. A key imported to check a model publisher's files does not
/// thereby sign locks, and a lock's reviewer is not named by the repository whose lock they
/// review, so the pin lives here (or in `MODELPIN_LOCK_SIGNERS`), never in modelpin.toml.
public struct UserConfig: Sendable, Equatable {
    public static let fileName = "config.toml"

    /// Full primary-key fingerprints, sorted, without duplicates.
    public var lockSigners: [Fingerprint] = []

    public init(lockSigners: [Fingerprint] = []) {
        self.lockSigners = lockSigners
    }
}

/// `config.toml` on disk, read strictly like the manifest: an unknown key is an error, since a
/// misspelt security setting that silently did nothing would be worse than none.
public enum UserConfigFormat {
    static let defaultHint = "config.toml holds your own modelpin settings: fix it and run the command again"
    static let keys = ["version", "lock-signers"]
    static let example = #"lock-signers = ["0123456789ABCDEF0123456789ABCDEF01234567"]"#

    public static func parse(_ text: String, file: String) throws(ProjectFileError) -> UserConfig {
        let (reader, root) = try TOMLReader.parse(text, file: file, defaultHint: defaultHint)
        if let value = root["version"] {
            let version = try reader.integer(value, FieldPath("version"), example: "version = 1")
            guard version == 1 else {
                throw reader.error(
                    FieldPath("version"), "this modelpin reads version 1, not \(version)",
                    hint: version > 1 ? "upgrade modelpin" : "write `version = 1`")
            }
        }
        try reader.checkKeys(root, at: .root, known: keys, what: "config.toml's top level")
        var config = UserConfig()
        if let value = root["lock-signers"] {
            let path = FieldPath("lock-signers")
            var signers: [Fingerprint] = []
            for text in try reader.strings(value, path, nonEmpty: true, example: example) {
                do {
                    signers.append(try Fingerprint(parsing: text))
                } catch {
                    throw reader.error(path, error.description, hint: "pin full primary-key fingerprints, as `gpg --fingerprint` or `modelpin keys list` shows them")
                }
            }
            config.lockSigners = Array(Set(signers)).sorted()
        }
        return config
    }

    /// `MODELPIN_LOCK_SIGNERS`: fingerprints separated by commas or whitespace (spaces inside a
    /// fingerprint are therefore not allowed here). Returns the sorted fingerprints, or the
    /// first entry that is not one.
    public static func signers(fromEnvironment text: String) -> Result<[Fingerprint], SignerListError> {
        var signers: [Fingerprint] = []
        for entry in text.split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
            guard let fingerprint = try? Fingerprint(parsing: String(entry)) else {
                return .failure(SignerListError(entry: String(entry)))
            }
            signers.append(fingerprint)
        }
        return .success(Array(Set(signers)).sorted())
    }
}

/// An entry of `MODELPIN_LOCK_SIGNERS` that is not a full fingerprint.
public struct SignerListError: ModelpinError, Equatable {
    public static let variable = "MODELPIN_LOCK_SIGNERS"
    public let entry: String

    public var kind: FailureKind { .usage }
    public var description: String {
        // Made only for an entry that does not parse: the parser says why.
        var problem = "`\(entry.escapedForDisplay)` is not an OpenPGP fingerprint"
        do { _ = try Fingerprint(parsing: entry) } catch { problem = error.description }
        return "invalid \(Self.variable): " + problem
    }
    public var causes: [String] { [] }
    public var hint: String? { "list full 40-hex fingerprints separated by commas, as `modelpin keys list` shows them" }
}
