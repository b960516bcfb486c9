import FoundationEssentials
import PinModel

#if canImport(Glibc)
import Glibc
#endif

/// docker's `config.json`, the parts that say where registry credentials are: `auths`
/// (base64 `user:password`, or `username`/`password`, or an `identitytoken`), `credHelpers`
/// (a helper per registry) and `credsStore` (one helper for all). Everything else in the file
/// (proxies, HTTP headers, plugins) is ignored.
public struct DockerConfig: Sendable, Equatable {
    public struct Entry: Sendable, Equatable, Decodable {
        public var auth: String?
        public var username: String?
        public var password: String?
        public var identitytoken: String?
    }

    public var auths: [String: Entry]
    public var credHelpers: [String: String]
    public var credsStore: String?
    /// Where it was read from (for messages).
    public var path: String

    private struct File: Decodable {
        var auths: [String: Entry]?
        var credHelpers: [String: String]?
        var credsStore: String?
    }

    /// The config file's path: `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
    public static func path(environment: [String: String]) -> String? {
        if let directory = environment["DOCKER_CONFIG"], !directory.isEmpty { return directory + "/config.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.docker/config.json" }
        return nil
    }

    /// The largest config.json read: a real one is a few KiB.
    static let sizeLimit = 1 << 20

    /// Reads and parses the file at `path`; nil when there is no such file.
    public static func load(path: String) throws(RegistryError) -> DockerConfig? {
        let bytes: [UInt8]
        do {
            guard let read = try readSmallFile(path, limit: sizeLimit) else { return nil }
            bytes = read
        } catch {
            throw .credentials(source: "`\(path)`", reason: error.description)
        }
        return try parse(bytes, path: path)
    }

    /// Parses config.json's bytes (fuzzed: FuzzRegistry).
    public static func parse(_ bytes: [UInt8], path: String) throws(RegistryError) -> DockerConfig {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(bytes))
        } catch {
            throw .credentials(source: "`\(path)`", reason: "it is not a docker config.json: \(error)")
        }
        for helper in Array((file.credHelpers ?? [:]).values) + [file.credsStore].compactMap({ $0 }) where !CredentialHelper.isValidName(helper) {
            throw .credentials(source: "`\(path)`", reason: "`\(helper)` is not a credential helper name (letters, digits, `-`, `_`, `.`)")
        }
        return DockerConfig(auths: file.auths ?? [:], credHelpers: file.credHelpers ?? [:], credsStore: file.credsStore, path: path)
    }

    /// The credentials this config gives `host`, asking a helper if it names one.
    public func credentials(for host: String, environment: [String: String]) throws(RegistryError) -> RegistryCredentials? {
        let key = Self.normalize(host)
        if let helper = credHelpers.first(where: { Self.normalize($0.key) == key })?.value {
            return try CredentialHelper(name: helper).get(serverURL: host, environment: environment)
        }
        if let entry = auths.first(where: { Self.normalize($0.key) == key })?.value, let found = try decode(entry) {
            return found
        }
        if let credsStore, !credsStore.isEmpty {
            return try CredentialHelper(name: credsStore).get(serverURL: host, environment: environment)
        }
        return nil
    }

    /// An `auths` entry's credentials; nil for an empty entry (what `docker login` leaves when
    /// a credsStore holds the secret).
    func decode(_ entry: Entry) throws(RegistryError) -> RegistryCredentials? {
        var user = entry.username.flatMap { $0.isEmpty ? nil : $0 }
        var password = entry.password.flatMap { $0.isEmpty ? nil : $0 }
        if let auth = entry.auth, !auth.isEmpty {
            guard let data = Data(base64Encoded: auth), let text = String(bytes: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else {
                throw .credentials(source: "`\(path)`", reason: "an `auth` value is not base64 of `user:password`")
            }
            user = String(text[..<colon])
            let secret = String(text[text.index(after: colon)...])
            password = secret.isEmpty ? nil : secret
        }
        let token = entry.identitytoken.flatMap { $0.isEmpty ? nil : $0 }
        if let token { return RegistryCredentials(username: user, password: nil, identityToken: token, source: "`\(path)`") }
        guard let user, let password else { return nil }
        return RegistryCredentials(username: user, password: password, source: "`\(path)`")
    }

    /// `auths` keys come as `host:port`, `https://host/v1/` or `http://host:port`; Docker Hub
    /// goes by several names.
    static func normalize(_ key: String) -> String {
        var text = Substring(key.lowercased())
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
        if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
        switch text {
        case "docker.io", "registry-1.docker.io", "index.docker.io", "registry.hub.docker.com": return "index.docker.io"
        default: return String(text)
        }
    }
}

/// Reads a file of at most `limit` bytes; nil when it does not exist. Symlinks are followed:
/// config.json is the user's own file (not from the network), and dotfile managers link it.
func readSmallFile(_ path: String, limit: Int) throws(FileReadError) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
        if errno == ENOENT { return nil }
        throw FileReadError(errno: errno)
    }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw FileReadError(errno: errno)
        }
        if count == 0 { return bytes }
        bytes += chunk[0..<count]
        guard bytes.count <= limit else { throw FileReadError(message: "it is larger than \(limit) bytes") }
    }
}

struct FileReadError: Error, CustomStringConvertible {
    let description: String
    init(errno code: Int32) { description = String(cString: strerror(code)) }
    init(message: String) { description = message }
}
