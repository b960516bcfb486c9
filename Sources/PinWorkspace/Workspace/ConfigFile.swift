public import PinDigest
public import PinModel
public import SystemPackage

/// A configuration file modelpin must read (an allowlist, later a manifest) could not be.
public struct ConfigFileError: ModelpinError {
    public let path: FilePath
    public let what: String
    public let errno: Errno
    /// What the path is instead of a regular file (a FIFO, a device, a directory), if that is why.
    public var notRegular: String? = nil
    /// Set when the file is refused for being larger than this many bytes.
    public var limit: Int? = nil

    public init(path: FilePath, what: String, errno: Errno) {
        self.path = path
        self.what = what
        self.errno = errno
    }

    /// The same failure, said for a file of this kind.
    public init(path: FilePath, what: String, reading error: FileReadError) {
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

    public var kind: FailureKind { limit == nil ? .operational : .usage }
    public var description: String {
        if let limit { return "the \(what) `\(path)` is larger than \(ByteCount.text(Int64(limit)))" }
        if let notRegular { return "the \(what) `\(path)` is \(notRegular), not a regular file" }
        return errno == .noSuchFileOrDirectory ? "the \(what) `\(path)` does not exist" : "cannot read the \(what) `\(path)`"
    }
    public var causes: [String] { limit != nil || errno == .noSuchFileOrDirectory || notRegular != nil ? [] : [errno.description] }
    public var hint: String? {
        if limit != nil { return "pass the right file" }
        // Opened without blocking and refused unread: a FIFO would otherwise hang modelpin.
        if notRegular != nil { return "name a regular file; modelpin reads nothing from FIFOs, devices or directories here" }
        return "check the path given with --\(what) or in MODELPIN_\(what.uppercased())"
    }
}

public enum ConfigFile {
    /// The whole file (configuration files are small; a large allowlist is tens of MB). With a
    /// `limit`, reading stops past it and the file is refused. Opened as PinDigest's
    /// `RegularFile` opens files: a FIFO or device given as the path is an error, never a hang.
    public static func read(_ path: FilePath, what: String, limit: Int? = nil) throws -> [UInt8] {
        let bytes: [UInt8]?
        do {
            bytes = try RegularFile.contents(of: path, limit: limit ?? Int.max)
        } catch {
            if case .tooLarge(let limit) = error.reason {
                var refused = ConfigFileError(path: path, what: what, errno: .fileTooLarge)
                refused.limit = limit
                throw refused
            }
            throw ConfigFileError(path: path, what: what, reading: error)
        }
        guard let bytes else { throw ConfigFileError(path: path, what: what, errno: .noSuchFileOrDirectory) }
        return bytes
    }

    /// Standard input to its end, refused past `limit` bytes.
    public static func readStandardInput(what: String, limit: Int) throws -> [UInt8] {
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
                var refused = ConfigFileError(path: FilePath(source), what: what, errno: .fileTooLarge)
                refused.limit = limit
                throw refused
            }
        }
    }
}

/// Byte counts as people read them: `512 B`, `1.5 MiB`.
public enum ByteCount {
    public static func text(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        if count < 1024 { return "\(count) B" }
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
