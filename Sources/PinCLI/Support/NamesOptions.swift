import ArgumentParser
import PinDigest
import PinModel
import PinNames
import SystemPackage

/// Where the allowlist comes from: `--allowlist FILE`, else `$MODELPIN_ALLOWLIST`.
struct NamesOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The allowlist of repo ids (default: $MODELPIN_ALLOWLIST).", valueName: "file"))
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
        for warning in checker.index.warnings { console.warn(warning) }
        return checker
    }
}

/// A configuration file modelpin must read (an allowlist, later a manifest) could not be.
struct ConfigFileError: ModelpinError {
    let path: FilePath
    let what: String
    let errno: Errno
    /// What the path is instead of a regular file (a FIFO, a device, a directory), if that is why.
    var notRegular: String? = nil

    init(path: FilePath, what: String, errno: Errno) {
        self.path = path
        self.what = what
        self.errno = errno
    }

    /// The same failure, said for a file of this kind.
    init(path: FilePath, what: String, reading error: FileReadError) {
        switch error.reason {
        case .notFound: self.init(path: path, what: what, errno: .noSuchFileOrDirectory)
        case .permissionDenied: self.init(path: path, what: what, errno: .permissionDenied)
        case .io(let errno): self.init(path: path, what: what, errno: errno)
        case .tooLarge: self.init(path: path, what: what, errno: .fileTooLarge)
        case .isDirectory:
            self.init(path: path, what: what, errno: .isDirectory)
            notRegular = "a directory"
        case .notRegular(let kind):
            self.init(path: path, what: what, errno: .invalidArgument)
            notRegular = kind
        }
    }

    var kind: FailureKind { .operational }
    var description: String {
        if let notRegular { return "the \(what) `\(path)` is \(notRegular), not a regular file" }
        return errno == .noSuchFileOrDirectory ? "the \(what) `\(path)` does not exist" : "cannot read the \(what) `\(path)`"
    }
    var causes: [String] { errno == .noSuchFileOrDirectory || notRegular != nil ? [] : [errno.description] }
    var hint: String? {
        // Opened without blocking and refused unread: a FIFO would otherwise hang modelpin.
        if notRegular != nil { return "name a regular file; modelpin reads nothing from FIFOs, devices or directories here" }
        return "check the path given with --\(what) or in MODELPIN_\(what.uppercased())"
    }
}

enum ConfigFile {
    /// The whole file (configuration files are small; a large allowlist is tens of MB). With a
    /// `limit`, reading stops past it and the file is refused. Opened as PinDigest's
    /// `RegularFile` opens files: a FIFO or device given as the path is an error, never a hang.
    static func read(_ path: FilePath, what: String, limit: Int? = nil) throws -> [UInt8] {
        let bytes: [UInt8]?
        do {
            bytes = try RegularFile.contents(of: path, limit: limit ?? Int.max)
        } catch {
            if case .tooLarge(let limit) = error.reason {
                throw UsageError(message: "the \(what) `\(path)` is larger than \(Format.bytes(Int64(limit)))", hint: "pass the right file")
            }
            throw ConfigFileError(path: path, what: what, reading: error)
        }
        guard let bytes else { throw ConfigFileError(path: path, what: what, errno: .noSuchFileOrDirectory) }
        return bytes
    }

    /// Standard input to its end, refused past `limit` bytes.
    static func readStandardInput(what: String, limit: Int) throws -> [UInt8] {
        try readAll(.standardInput, source: "standard input", what: what, limit: limit)
    }

    private static func readAll(_ descriptor: FileDescriptor, source: String, what: String, limit: Int?) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
            } catch {
                throw ConfigFileError(path: FilePath(source), what: what, errno: error as? Errno ?? .ioError)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            if let limit, bytes.count > limit {
                throw UsageError(message: "the \(what) `\(source)` is larger than \(Format.bytes(Int64(limit)))", hint: "pass the right file")
            }
        }
    }
}
