/// Credentials for one registry host: a user and password, or an identity token (a refresh
/// token for the token server, as `docker login` stores for some registries). Never printed:
/// `description` names only the user and where the credentials came from.
public struct RegistryCredentials: Sendable, Equatable, CustomStringConvertible {
    public var username: String?
    public var password: String?
    /// config.json's `identitytoken`: sent to the token server as an OAuth2 refresh token.
    public var identityToken: String?
    /// Where they came from (`MODELPIN_REGISTRY_USER`, `~/.docker/config.json`, `docker-credential-pass`).
    public var source: String

    public init(username: String?, password: String?, identityToken: String? = nil, source: String) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
        self.source = source
    }

    public var description: String {
        "credentials of \(username.map { "`\($0)`" } ?? "an identity token") from \(source)"
    }
}

extension RegistryCredentials {
    public static let userVariable = "MODELPIN_REGISTRY_USER"
    public static let passwordVariable = "MODELPIN_REGISTRY_PASSWORD"

    /// The credentials for `host` (`host[:port]`, as in a reference), from the first source that
    /// has some: `MODELPIN_REGISTRY_USER`/`MODELPIN_REGISTRY_PASSWORD` (both, for any registry),
    /// then docker's `config.json` (`$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`):
    /// `credHelpers[host]`, an `auths` entry, then `credsStore`. nil when none has any; throws
    /// when a source exists but is broken (a config that does not parse, a failing helper), so
    /// a typo is never silently an anonymous pull.
    public static func lookup(host: String, environment: [String: String]) throws(RegistryError) -> RegistryCredentials? {
        let user = environment[userVariable].flatMap { $0.isEmpty ? nil : $0 }
        let password = environment[passwordVariable].flatMap { $0.isEmpty ? nil : $0 }
        switch (user, password) {
        case (let user?, let password?):
            return RegistryCredentials(username: user, password: password, source: "\(userVariable)/\(passwordVariable)")
        case (nil, nil):
            break
        default:
            throw .credentials(source: "the environment", reason: "set both \(userVariable) and \(passwordVariable), or neither")
        }
        guard let path = DockerConfig.path(environment: environment) else { return nil }
        guard let config = try DockerConfig.load(path: path) else { return nil }
        return try config.credentials(for: host, environment: environment)
    }
}
