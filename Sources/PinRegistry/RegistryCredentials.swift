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
