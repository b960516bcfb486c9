public import PinModel
import PinDigest
public import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The bearer tokens `--tokens FILE` accepts: one per line, `#` starts a comment, blank lines
/// ignored. Read once at start; the file must not be readable by every user of the machine.
///
/// Only the tokens' SHA-256 digests are kept, and a presented token is hashed and compared with
/// every one of them, byte by byte, without stopping at the first difference or the first match
/// (`accepts`): the time an answer takes says nothing about how much of a token was right, nor
/// about its length, nor which line matched.
public struct ServeTokens: Sendable {
    private let digests: [[UInt8]]

    public var count: Int { digests.count }

    public init(tokens: [String]) {
        digests = tokens.map { Array(SHA256.hash(Array($0.utf8)).hex.utf8) }
    }

    /// Reads and checks the token file at `path`.
    public static func load(_ path: FilePath) throws(ServeSetupFailure) -> ServeTokens {
        var status = stat()
        guard stat(path.string, &status) == 0 else {
            throw .tokenFile(path.string, problem: "cannot be read: \(String(cString: strerror(errno)))", hint: "check the path")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .tokenFile(path.string, problem: "is not a regular file", hint: "give a file with one token per line")
        }
        if status.st_mode & S_IROTH != 0 || status.st_mode & S_IWOTH != 0 {
            throw .tokenFile(
                path.string, problem: "is readable or writable by every user of this machine (mode \(String(status.st_mode & 0o777, radix: 8)))",
                hint: "run `chmod 600 \(path.string)`; anyone who can read it can use the mirror")
        }
        let text: String
        do {
            text = try readSmallFile(path, limit: 1 << 20)
        } catch {
            throw .tokenFile(path.string, problem: error.description, hint: "check the file")
        }
        var tokens: [String] = []
        // "\r\n" is one Character in Swift: split on both line ends, or a CRLF file is one line.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (number, line) in lines.enumerated() {
            let token = String(line.trimmingSpaces)
            if token.isEmpty || token.hasPrefix("#") { continue }
            if let bad = token.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value >= 0x7F }) {
                throw .tokenFile(
                    path.string, problem: "line \(number + 1): a token holds a space, control or non-ASCII character (U+\(String(bad.value, radix: 16, uppercase: true)))",
                    hint: "one token per line, printable ASCII only; `#` starts a comment")
            }
            tokens.append(token)
        }
        guard !tokens.isEmpty else {
            throw .tokenFile(path.string, problem: "lists no token", hint: "one token per line; `#` starts a comment")
        }
        return ServeTokens(tokens: tokens)
    }

    /// Whether `authorization` (the whole header value) is `Bearer T` for a listed T. Constant
    /// time in the number of tokens: every digest is compared in full (the code-review point).
    public func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let trimmed = authorization.trimmingSpaces
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return false }
        let presented = Array(SHA256.hash(Array(trimmed.dropFirst(7).trimmingSpaces.utf8)).hex.utf8)
        var matched: UInt8 = 0
        for digest in digests {
            var difference: UInt8 = 0
            for index in 0..<digest.count { difference |= digest[index] ^ presented[index] }
            // 1 when equal, 0 otherwise, without a branch on the secret.
            matched |= UInt8(truncatingIfNeeded: (Int(difference) - 1) >> 8) & 1
        }
        return matched == 1
    }
}

/// Reads a whole small file (a token file, a PEM), refusing one larger than `limit`.
func readSmallFile(_ path: FilePath, limit: Int) throws(Errno) -> String {
    let descriptor: FileDescriptor
    do {
        descriptor = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec])
    } catch {
        throw error as? Errno ?? .ioError
    }
    defer { try? descriptor.close() }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let count: Int
        do {
            count = try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
        } catch {
            throw error as? Errno ?? .ioError
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[..<count])
        if bytes.count > limit { throw .fileTooLarge }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Why the server could not start: a token file, a certificate, an address. Usage-free: the
/// command line parsed; the files or the network said no.
public enum ServeSetupFailure: ModelpinError, Equatable {
    case tokenFile(String, problem: String, hint: String)
    case tls(String)
    case listen(String, reason: String)

    public var kind: FailureKind { .operational }

    public var description: String {
        switch self {
        case .tokenFile(let path, let problem, _): "the token file \(path) \(problem)"
        case .tls(let reason): "cannot set up TLS: \(reason)"
        case .listen(let address, let reason): "cannot listen on \(address): \(reason)"
        }
    }

    public var hint: String? {
        switch self {
        case .tokenFile(_, _, let hint): hint
        case .tls: "--tls-cert takes a PEM certificate chain and --tls-key its PEM private key"
        case .listen: "pick another --listen HOST:PORT (port 0 picks a free one)"
        }
    }
}
