public import PinModel
public import PinTransport

/// What can go wrong talking to an OCI registry. Every message names the registry (host and
/// port) and, where there is one, the repository and the digest; none ever carries a password,
/// token or the `Authorization` line (user names are fine, and help).
public enum RegistryError: ModelpinError {
    /// The `oci://` text does not parse.
    case badReference(String, reason: String)
    /// Plain http to a host that is not loopback, without the force flag.
    case plainHTTPRefused(registry: String)
    /// The registry (or its token server) refused the credentials, or there were none.
    case unauthorized(registry: String, repository: String, user: String?, detail: String)
    /// Authenticated, but not allowed to do this (403, `DENIED`).
    case denied(registry: String, repository: String, action: String, detail: String)
    /// A manifest, tag or blob that is not there.
    case notFound(registry: String, repository: String, what: String)
    /// Bytes whose digest is not the one named (a manifest, a `Docker-Content-Digest` header).
    case digestMismatch(registry: String, repository: String, what: String, expected: String, actual: String)
    /// A manifest or index larger than we read.
    case tooLarge(registry: String, repository: String, what: String, limit: Int)
    /// A `WWW-Authenticate` challenge we cannot answer (malformed, unknown scheme, bad realm).
    case badChallenge(registry: String, reason: String)
    /// An answer that breaks the distribution spec (a missing Location, a bad Range, bad JSON).
    case badResponse(registry: String, repository: String, what: String, reason: String)
    /// The credentials source (config.json, a credential helper, the environment) failed.
    case credentials(source: String, reason: String)
    /// The upload journal could not be read or written.
    case journal(path: String, reason: String)
    /// The transport failed (network, TLS, an HTTP status with no better meaning).
    case transport(registry: String, repository: String, TransportError)
    /// Ctrl-C.
    case cancelled

    public var kind: FailureKind {
        switch self {
        case .badReference: .usage
        case .plainHTTPRefused, .digestMismatch, .tooLarge, .badChallenge, .notFound: .refused
        case .unauthorized, .denied: .refused
        case .transport(_, _, let error): error.kind
        case .badResponse, .credentials, .journal, .cancelled: .operational
        }
    }

    public var description: String {
        switch self {
        case .badReference(let text, _):
            "`\(text)` is not a registry reference"
        case .plainHTTPRefused(let registry):
            "refusing plain http to the registry \(registry): it is not a loopback address"
        case .unauthorized(let registry, let repository, let user, _):
            if let user {
                "the registry \(registry) refused the credentials of `\(user)` for `\(repository)`"
            } else {
                "the registry \(registry) wants credentials for `\(repository)`"
            }
        case .denied(let registry, let repository, let action, _):
            "the registry \(registry) does not allow \(action) on `\(repository)`"
        case .notFound(let registry, let repository, let what):
            "\(what) is not in `\(repository)` on \(registry)"
        case .digestMismatch(let registry, let repository, let what, let expected, let actual):
            "\(what) from `\(repository)` on \(registry) has digest \(actual), not \(expected)"
        case .tooLarge(let registry, let repository, let what, let limit):
            "\(what) from `\(repository)` on \(registry) is larger than \(limit) bytes"
        case .badChallenge(let registry, _):
            "cannot answer the authentication challenge of the registry \(registry)"
        case .badResponse(let registry, let repository, let what, _):
            "the registry \(registry) gave a malformed answer for \(what) in `\(repository)`"
        case .credentials(let source, _):
            "cannot read registry credentials from \(source)"
        case .journal(let path, _):
            "cannot use the upload journal `\(path)`"
        case .transport(let registry, let repository, let error):
            "talking to the registry \(registry) about `\(repository)` failed: \(error)"
        case .cancelled:
            "cancelled"
        }
    }

    public var causes: [String] {
        switch self {
        case .badReference(_, let reason), .badChallenge(_, let reason), .badResponse(_, _, _, let reason),
             .credentials(_, let reason), .journal(_, let reason):
            [reason]
        case .unauthorized(_, _, _, let detail), .denied(_, _, _, let detail):
            detail.isEmpty ? [] : [detail]
        case .transport(_, _, let error):
            error.causes
        default:
            []
        }
    }

    public var hint: String? {
        switch self {
        case .badReference:
            "write oci://HOST[:PORT]/REPO[:TAG] or oci://HOST[:PORT]/REPO@sha256:HEX, the repository in lowercase"
        case .plainHTTPRefused:
            "use https; if the registry really is on a trusted network, add --allow-insecure-registry to --plain-http"
        case .unauthorized(_, _, let user, _):
            user == nil
                ? "log in (docker login, or set MODELPIN_REGISTRY_USER and MODELPIN_REGISTRY_PASSWORD)"
                : "check the user and password (MODELPIN_REGISTRY_USER/PASSWORD or ~/.docker/config.json)"
        case .denied:
            "ask the registry's administrator for access to the repository"
        case .digestMismatch:
            "the registry or something between it and us altered the content; do not use it"
        case .credentials(let source, _):
            "fix or remove \(source)"
        case .transport(_, _, let error):
            error.hint
        default:
            nil
        }
    }
}
