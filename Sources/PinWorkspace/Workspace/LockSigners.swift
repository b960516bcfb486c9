import PinLock
public import PinModel
public import SystemPackage

/// Whose signature over modelpin.lock `--require-signed-lock` accepts: pinned by the user,
/// outside the repository. `MODELPIN_LOCK_SIGNERS` (CI sets it from its own secrets or
/// settings) wins over the user's config file.
///
/// Not the keyring: it also holds the keys of model publishers, imported to check their files,
/// and a publisher is not thereby someone who reviews and signs this project's locks. Not
/// modelpin.toml: the pull request that changes a lock can change that file too.
public enum LockSigners {
    /// The pinned fingerprints (sorted; empty: none pinned) and where they came from.
    public static func load(_ environment: [String: String]) throws -> (signers: [Fingerprint], source: String) {
        if let listed = environment[SignerListError.variable], listed.contains(where: { !$0.isWhitespace }) {
            switch UserConfigFormat.signers(fromEnvironment: listed) {
            case .success(let signers): return (signers, SignerListError.variable)
            case .failure(let error): throw error
            }
        }
        guard let path = configPath(environment) else { return ([], "no config file (HOME is unset)") }
        let bytes: [UInt8]
        do {
            bytes = try ConfigFile.read(path, what: "config file", limit: 1 << 20)
        } catch let error as ConfigFileError where error.errno == .noSuchFileOrDirectory {
            return ([], path.string)
        }
        let config = try UserConfigFormat.parse(String(decoding: bytes, as: UTF8.self), file: path.string)
        return (config.lockSigners, path.string)
    }

    /// `$XDG_CONFIG_HOME/modelpin/config.toml` (an absolute XDG_CONFIG_HOME only, as the XDG
    /// spec requires), else `$HOME/.config/modelpin/config.toml`.
    public static func configPath(_ environment: [String: String]) -> FilePath? {
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty, FilePath(config).isAbsolute {
            return FilePath(config).appending("modelpin").appending(UserConfig.fileName)
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return FilePath(home).appending(".config").appending("modelpin").appending(UserConfig.fileName)
    }
}
