import ArgumentParser
import PinDigest
import PinModel
import PinNames
import PinWorkspace
import SystemPackage

/// Where the allowlist comes from: `--allowlist FILE`, else `$MODELPIN_ALLOWLIST`.
struct NamesOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The allowlist of repo ids: owner/name, owner/*, datasets/owner/name, datasets/owner/* (default: $MODELPIN_ALLOWLIST).", valueName: "file"))
    var allowlist: String?

    /// The configured allowlist's path, if any.
    var allowlistPath: String? {
        if let allowlist { return allowlist }
        if let variable = ProcessEnvironment.current["MODELPIN_ALLOWLIST"], !variable.isEmpty { return variable }
        return nil
    }

    /// Reads and indexes the allowlist; duplicate entries are reported as warnings.
    func loadChecker(_ console: Console) throws -> NameChecker? {
        guard let path = allowlistPath else { return nil }
        return try Self.loadChecker(path: path, console)
    }

    static func loadChecker(path: String, _ console: Console) throws -> NameChecker {
        let bytes = try ConfigFile.read(FilePath(path), what: "allowlist")
        let checker = NameChecker(allowlist: try Allowlist.parse(bytes, source: path))
        for warning in checker.warnings { console.warn(warning) }
        return checker
    }
}
