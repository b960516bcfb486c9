public import PinModel
public import PinTransport

/// What the Hub (or a mirror speaking its API) said no to, or said wrongly.
public enum HubError: ModelpinError {
    /// 401/404 RepoNotFound: missing, or private and no (valid) token was sent. `page`: the
    /// repository's URL on the endpoint (`ENDPOINT/org/name`), where access is requested.
    case repoNotFound(String, tokenSent: Bool, page: String)
    /// GatedRepo: the user has not accepted the repository's conditions (or sent no token of
    /// an account that has).
    case gated(String, message: String?, tokenSent: Bool, page: String)
    /// A 403 on the repository without the Hub's error code: no access to it. `body`: what
    /// the server said (a proxy's policy page, say), shown as the cause since no code explains it.
    case forbidden(String, tokenSent: Bool, page: String, body: String)
    /// 401 "Invalid credentials in Authorization header": the token itself was refused.
    case invalidToken(endpoint: String)
    case revisionNotFound(String, revision: String)
    case entryNotFound(String, path: String)
    /// An answer that is not what the API promises (not JSON, missing fields, bad commit).
    case malformedResponse(url: String, reason: String)
    /// Listed paths that could escape or clash in the user's directory.
    case unsafePaths([String])
    /// A file's answer names another commit than the one being pulled.
    case commitMismatch(path: String, expected: String, actual: String)
    /// The endpoint setting is not a usable URL.
    case badEndpoint(String, reason: String)
    /// A `MODELPIN_TOKEN_HOSTS` entry that is not a host or an origin.
    case badTokenHost(String, reason: String)
    /// A listed size no file can have (negative, above `FileSizeLimit.maximum`, or sizes that
    /// add up past the per-model limit): refused before anything is allocated for it.
    case implausibleSize(url: String, path: String?, reason: String)
    case transport(TransportError)

    public var kind: FailureKind {
        switch self {
        case .unsafePaths, .commitMismatch, .implausibleSize: .refused
        case .badEndpoint, .badTokenHost: .usage
        case .transport(let error): error.kind
        default: .operational
        }
    }

    public var description: String {
        switch self {
        case .repoNotFound(let repo, _, let page): "`\(repo)` is private or does not exist (\(page))"
        case .gated(let repo, _, _, let page): "`\(repo)` is gated: you need to accept its conditions at \(page)"
        case .forbidden(let repo, _, let page, _): "access to `\(repo)` was refused (\(page))"
        case .invalidToken(let endpoint): "`\(endpoint)` refused the token as invalid"
        case .revisionNotFound(let repo, let revision): "revision `\(revision)` does not exist in `\(repo)`"
        case .entryNotFound(let repo, let path): "`\(path)` does not exist in `\(repo)`"
        case .malformedResponse(let url, _): "unexpected answer from `\(url)`"
        case .unsafePaths(let paths): "the repository lists \(paths.count == 1 ? "a path" : "\(paths.count) paths") that cannot be written safely"
        case .commitMismatch(let path, _, _): "the server answered for another commit while serving `\(path)`"
        case .badEndpoint(let text, _): "invalid endpoint `\(text)`"
        case .badTokenHost(let text, _): "invalid entry `\(text)` in \(TokenHosts.variable)"
        case .implausibleSize(let url, let path?, _): "`\(url)` lists `\(path.escapedForDisplay)` with a size no file can have"
        case .implausibleSize(let url, nil, _): "`\(url)` lists files whose sizes no model can have"
        case .transport(let error): error.description
        }
    }

    public var causes: [String] {
        switch self {
        case .gated(_, let message?, _, _): [message]
        case .forbidden(_, _, _, let body) where !body.isEmpty: [body]
        case .malformedResponse(_, let reason), .badEndpoint(_, let reason), .badTokenHost(_, let reason),
            .implausibleSize(_, _, let reason): [reason]
        case .unsafePaths(let paths): paths
        case .commitMismatch(_, let expected, let actual): ["expected commit: \(expected)", "  answered for: \(actual)"]
        case .transport(let error): error.causes
        default: []
        }
    }

    public var hint: String? {
        switch self {
        case .repoNotFound(_, let tokenSent, _):
            tokenSent
                ? "check the name; if it is private, check that the token sent (--token, HF_TOKEN or the one `hf auth login` saved) grants access to it"
                : "check the name; if it is private, set HF_TOKEN to a token that can read it, or run `hf auth login`"
        case .gated(_, _, let tokenSent, let page):
            tokenSent
                ? "the token sent belongs to an account without access: request access at \(page) with that account, or use a token of one that has it"
                : "request access at \(page), then set HF_TOKEN to a token of that account, or run `hf auth login`"
        case .forbidden(_, let tokenSent, let page, _):
            tokenSent
                ? "request access at \(page) with the token's account, or use a token of an account that has it"
                : "request access at \(page), then set HF_TOKEN to a token of that account, or run `hf auth login`"
        case .invalidToken(let endpoint):
            "the token is mistyped, expired or revoked: make a new one at \(endpoint)/settings/tokens and set HF_TOKEN, or run `hf auth login`"
        case .revisionNotFound:
            "use a branch, a tag or a full 40-character commit of this repository"
        case .unsafePaths:
            "nothing was downloaded; this repository cannot be pulled safely"
        case .commitMismatch:
            "nothing from this answer was kept; the server or a proxy in between is inconsistent"
        case .implausibleSize:
            "nothing was downloaded; the server (or a proxy in between) describes this repository wrongly"
        case .badEndpoint:
            "use an http(s) URL such as https://huggingface.co (a path prefix is fine)"
        case .badTokenHost:
            "list host names (`hub.example.com`), `host:port` or origins (`https://hub.example.com:8443`), separated by commas"
        case .transport(let error):
            error.hint
        default:
            nil
        }
    }

    /// Reads the Hub's `X-Error-Code` (and status) off a failed request.
    /// Reads the Hub's `X-Error-Code` (and status) off a failed request, as huggingface_hub's
    /// `hf_raise_for_status` does; the answer's body (a JSON error) is not shown for these.
    /// `endpoint`: where the repository's page is.
    static func from(
        _ error: TransportError, repo: String, endpoint: HubEndpoint, revision: String? = nil, path: String? = nil, tokenSent: Bool
    ) -> HubError {
        guard case .http(_, let status, let head, let body) = error else { return .transport(error) }
        let page = "\(endpoint)/\(repo)"
        switch head.header("x-error-code") {
        case "RepoNotFound"?: return .repoNotFound(repo, tokenSent: tokenSent, page: page)
        case "GatedRepo"?: return .gated(repo, message: head.header("x-error-message"), tokenSent: tokenSent, page: page)
        case "RevisionNotFound"?: return .revisionNotFound(repo, revision: revision ?? "?")
        case "EntryNotFound"?: return .entryNotFound(repo, path: path ?? "?")
        default:
            if status == 401, tokenSent, head.header("x-error-message") == "Invalid credentials in Authorization header" {
                return .invalidToken(endpoint: endpoint.description)
            }
            if status == 401 || (status == 404 && path == nil) { return .repoNotFound(repo, tokenSent: tokenSent, page: page) }
            if status == 403 { return .forbidden(repo, tokenSent: tokenSent, page: page, body: body) }
            return .transport(error)
        }
    }
}
