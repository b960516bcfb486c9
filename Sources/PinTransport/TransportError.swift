public import PinModel

/// What can go wrong moving bytes over HTTP.
public enum TransportError: ModelpinError {
    /// The URL is not one the policy lets us request (scheme, plain http).
    case refusedURL(String, reason: String)
    /// A redirect pointed somewhere the policy forbids.
    case refusedRedirect(from: String, to: String, reason: String)
    case tooManyRedirects(String, limit: Int)
    /// The server's certificate could not be verified.
    case untrustedServer(String, message: String)
    /// Connecting, sending or receiving failed (`code` is libcurl's).
    case network(String, code: Int, message: String)
    /// No bytes arrived for the stall timeout.
    case stalled(String, seconds: Int)
    /// The server answered with an error status.
    case http(String, status: Int, head: HTTPResponseHead, body: String)
    /// The body handler refused the body (the error says why).
    case bodyRejected(String, any Error)
    /// Ctrl-C, or another reason to stop.
    case cancelled
    /// libcurl refused to set an option (named as in curl.h): a value out of range, or a
    /// libcurl built without what the option needs. Nothing was requested.
    case unsupportedOption(String, code: Int, message: String)

    public var kind: FailureKind {
        switch self {
        case .refusedURL, .refusedRedirect, .untrustedServer: .refused
        case .bodyRejected(_, let error): (error as? any ModelpinError)?.kind ?? .operational
        // What was retried as transient and still failed: the source is down or overloaded.
        case .network, .stalled: .unavailable
        case .http where isTransient: .unavailable
        default: .operational
        }
    }

    /// Worth another attempt: a network hiccup, a stall, an overloaded server.
    public var isTransient: Bool {
        switch self {
        case .network, .stalled: true
        case .http(_, let status, _, _): RetryPolicy.isRetryable(status: status)
        default: false
        }
    }

    /// Seconds the server asked us to wait (`Retry-After`), if it did.
    public var retryAfter: Double? {
        guard case .http(_, _, let head, _) = self, let value = head.header("retry-after") else { return nil }
        return Double(value.filter { !$0.isWhitespace })
    }

    public var description: String {
        switch self {
        case .refusedURL(let url, _): "refusing to fetch `\(url)`"
        case .refusedRedirect(let from, let to, _): "refusing the redirect from `\(from)` to `\(to)`"
        case .tooManyRedirects(let url, let limit): "more than \(limit) redirects from `\(url)`"
        case .untrustedServer(let url, _): "cannot verify the server's certificate for `\(url)`"
        case .network(let url, _, _): "cannot reach `\(url)`"
        case .stalled(let url, let seconds): "no data from `\(url)` for \(seconds) seconds"
        case .http(let url, let status, _, _): "`\(url)` answered HTTP \(status)"
        case .bodyRejected(let url, let error): "refused the response from `\(url)`: \(error)"
        case .cancelled: "cancelled"
        case .unsupportedOption(let option, _, _): "libcurl refused the option \(option)"
        }
    }

    public var causes: [String] {
        switch self {
        case .refusedURL(_, let reason), .refusedRedirect(_, _, let reason): [reason]
        case .untrustedServer(_, let message), .network(_, _, let message), .unsupportedOption(_, _, let message): [message]
        case .http(_, _, _, let body) where !body.isEmpty: [body]
        case .bodyRejected(_, let error as any ModelpinError): error.causes
        default: []
        }
    }

    public var hint: String? {
        switch self {
        case .untrustedServer:
            "if a proxy or private mirror uses its own CA, pass its certificate with --cacert or MODELPIN_CA_BUNDLE"
        case .refusedURL:
            "use https, or configure the endpoint or mirror explicitly as `http://` if it is on a trusted network"
        case .network, .stalled:
            "check the network and the endpoint; rerunning resumes where this stopped"
        case .unsupportedOption:
            "check the transfer settings (timeouts, --cacert); if they are sane, this libcurl (\(CurlLibrary.info.version)) lacks the feature: modelpin needs libcurl 7.85 or later, built with HTTPS"
        case .bodyRejected(_, let error as any ModelpinError):
            error.hint
        default:
            nil
        }
    }
}
