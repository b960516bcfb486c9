public import SystemPackage

extension Store {
    /// Where the store lives when nobody says otherwise:
    /// `$MODELPIN_HOME`, else `$XDG_CACHE_HOME/modelpin`, else `$HOME/.cache/modelpin`.
    ///
    /// A relative `MODELPIN_HOME` is taken from `currentDirectory`; a relative
    /// `XDG_CACHE_HOME` is ignored, as the XDG Base Directory spec requires.
    /// Returns nil when none of the three is set.
    public static func defaultRoot(environment: [String: String], currentDirectory: FilePath) -> FilePath? {
        if let home = environment["MODELPIN_HOME"], !home.isEmpty {
            return currentDirectory.pushing(FilePath(home)).lexicallyNormalized()
        }
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty, FilePath(cache).isAbsolute {
            return FilePath(cache).appending("modelpin").lexicallyNormalized()
        }
        if let home = environment["HOME"], !home.isEmpty {
            return FilePath(home).appending(".cache").appending("modelpin").lexicallyNormalized()
        }
        return nil
    }
}
