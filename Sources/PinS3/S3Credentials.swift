#if canImport(Glibc)
import Glibc
#endif

/// An access key, its secret and (for temporary credentials) a session token.
///
/// The secret and the token never leave this value except into a signature: `description`,
/// `debugDescription`, `dump()` (via `customMirror`) and `Encodable` show the key id and
/// `<redacted>`, so logging or `--json`-encoding credentials by mistake leaks nothing.
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, Encodable {
    public let accessKeyID: String
    let secretAccessKey: String
    let sessionToken: String?
    /// Where they came from ("environment", or "FILE [profile]"), for messages.
    public let source: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, source: String = "arguments") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
    }

    public var description: String {
        "S3Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"), source: \(source))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyID": accessKeyID, "secretAccessKey": "<redacted>", "source": source])
    }

    private enum CodingKeys: String, CodingKey { case accessKeyID, secretAccessKey, sessionToken, source }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(accessKeyID, forKey: .accessKeyID)
        try container.encode("<redacted>", forKey: .secretAccessKey)
        if sessionToken != nil { try container.encode("<redacted>", forKey: .sessionToken) }
        try container.encode(source, forKey: .source)
    }

    /// The credentials the AWS CLI would use: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
    /// (+ `AWS_SESSION_TOKEN`) when set; else the profile `AWS_PROFILE` (default `default`) of the
    /// shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`).
    /// `readFile` returns a file's text or nil when it does not exist (tests pass their own).
    public static func resolve(
        environment: [String: String],
        readFile: (String) throws(S3Error) -> String? = S3Credentials.readCredentialsFile
    ) throws(S3Error) -> S3Credentials {
        let keyID = environment["AWS_ACCESS_KEY_ID"] ?? ""
        let secret = environment["AWS_SECRET_ACCESS_KEY"] ?? ""
        if !keyID.isEmpty || !secret.isEmpty {
            guard !keyID.isEmpty, !secret.isEmpty else {
                throw .badSetting(name: keyID.isEmpty ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                  reason: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set together or not at all")
            }
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return S3Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: token, source: "environment")
        }
        let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let file = environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? "~") + "/.aws/credentials"
        guard let text = try readFile(file) else { throw .noCredentials(profile: profile, file: file) }
        let parsed = try AWSCredentialsFile(parsing: text, file: file)
        guard let section = parsed.profiles[profile] else { throw .noCredentials(profile: profile, file: file) }
        guard let id = section["aws_access_key_id"], !id.isEmpty else {
            throw .incompleteProfile(profile: profile, file: file, reason: "aws_access_key_id is missing")
        }
        guard let key = section["aws_secret_access_key"], !key.isEmpty else {
            throw .incompleteProfile(profile: profile, file: file, reason: "aws_secret_access_key is missing")
        }
        let token = section["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
        return S3Credentials(accessKeyID: id, secretAccessKey: key, sessionToken: token, source: "\(file) [\(profile)]")
    }

    /// The file's text, nil if it does not exist; refuses a symlink, a non-file or over 1 MiB.
    public static func readCredentialsFile(_ path: String) throws(S3Error) -> String? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .badCredentialsFile(file: path, line: 0, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw .badCredentialsFile(file: path, line: 0, reason: "not a regular file")
        }
        guard info.st_size <= AWSCredentialsFile.maxSize else {
            throw .badCredentialsFile(file: path, line: 0, reason: "larger than \(AWSCredentialsFile.maxSize) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .badCredentialsFile(file: path, line: 0, reason: n == 0 ? "shorter than its size" : String(cString: strerror(errno))) }
            filled += n
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .badCredentialsFile(file: path, line: 0, reason: "not UTF-8 text")
        }
        return text
    }
}

/// The shared credentials file (`~/.aws/credentials`): INI sections of `key = value` lines.
///
/// Strict where the AWS CLI's configparser is lenient, because a typo here sends the wrong
/// identity: a key outside a section, a line that is neither a section, a comment (`#` or `;`
/// at the start) nor `key = value`, an indented continuation line, a section or key given
/// twice, are errors naming the file and line. Values are the text after the first `=`,
/// trimmed (secrets contain `/`, `+` and `=`); there are no inline comments, as in configparser.
/// Keys are lowercased. A `[profile NAME]` header (the config file's spelling) is read as NAME.
public struct AWSCredentialsFile: Sendable {
    public static let maxSize = 1 << 20
    /// Profile name → key → value.
    public let profiles: [String: [String: String]]

    public init(parsing text: String, file: String) throws(S3Error) {
        guard text.utf8.count <= Self.maxSize else {
            throw .badCredentialsFile(file: file, line: 0, reason: "larger than \(Self.maxSize) bytes")
        }
        var profiles: [String: [String: String]] = [:]
        var current: String?
        var number = 0
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.first == " " || line.first == "\t" {
                guard line.allSatisfy({ $0 == " " || $0 == "\t" }) else {
                    throw .badCredentialsFile(file: file, line: number, reason: "an indented line (a continuation) is not allowed here")
                }
                continue
            }
            if line.isEmpty || line.first == "#" || line.first == ";" { continue }
            if line.first == "[" {
                let name = try Self.sectionName(line, file: file, line: number)
                guard profiles[name] == nil else {
                    throw .badCredentialsFile(file: file, line: number, reason: "the profile [\(name)] appears twice")
                }
                profiles[name] = [:]
                current = name
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw .badCredentialsFile(file: file, line: number, reason: "expected `key = value`, `[profile]` or a comment")
            }
            let key = String(line[..<equals]).trimmingWhitespace.lowercased()
            let value = String(line[line.index(after: equals)...]).trimmingWhitespace
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) else {
                throw .badCredentialsFile(file: file, line: number, reason: "a key has only letters, digits, `_`, `-` and `.`")
            }
            guard value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw .badCredentialsFile(file: file, line: number, reason: "the value of \(key) has a control character")
            }
            guard let section = current else {
                throw .badCredentialsFile(file: file, line: number, reason: "\(key) is outside any [profile] section")
            }
            guard profiles[section]![key] == nil else {
                throw .badCredentialsFile(file: file, line: number, reason: "\(key) is set twice in [\(section)]")
            }
            profiles[section]![key] = value
        }
        self.profiles = profiles
    }

    private static func sectionName(_ line: Substring, file: String, line number: Int) throws(S3Error) -> String {
        let body = line.trimmingTrailingBlanks
        guard body.hasSuffix("]"), body.count >= 3 else {
            throw .badCredentialsFile(file: file, line: number, reason: "a section header is `[name]`")
        }
        var name = String(body.dropFirst().dropLast()).trimmingWhitespace
        if name.hasPrefix("profile ") { name = String(name.dropFirst(8)).trimmingWhitespace }
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.@+".contains($0)) }) else {
            throw .badCredentialsFile(file: file, line: number, reason: "a profile name has only letters, digits and `_-.@+`")
        }
        return name
    }
}

extension Substring {
    var trimmingTrailingBlanks: Substring {
        var text = self
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
