/// Everything the transport must respect, decided by the caller once.
public struct TransportPolicy: Sendable {
    /// CA bundle to verify servers against instead of the system's (a corporate proxy's CA).
    public var caBundle: String?
    /// Origins the user explicitly configured as `http://` (an endpoint or mirror). Every other
    /// request must be `https`.
    public var plainHTTPOrigins: Set<Origin> = []
    /// The credential sent as `Authorization: Bearer …`, and the only origin it may go to.
    public var bearerToken: String?
    public var tokenOrigin: Origin?
    public var userAgent: String = "modelpin"
    /// Seconds to establish a connection.
    public var connectTimeout: Int = 20
    /// A transfer that moves no bytes for this many seconds is abandoned (and may be retried).
    public var stallTimeout: Int = 30
    public var maxRedirects: Int = 10
    public var retry = RetryPolicy()

    public init() {}

    /// Whether `url` may be requested at all: https always; http only on an origin the user
    /// configured, or when following a redirect from another http URL (never a downgrade).
    func permits(_ url: HTTPURL, redirectedFrom previous: HTTPURL?) -> String? {
        if url.isSecure { return nil }
        if let previous {
            return previous.isSecure ? "a redirect from https to plain http would downgrade the connection" : nil
        }
        return plainHTTPOrigins.contains(url.origin)
            ? nil : "plain http is only used for an endpoint or mirror configured as `http://`"
    }

    /// Whether the bearer token may go to `url`.
    public func sendsToken(to url: HTTPURL) -> Bool {
        bearerToken != nil && tokenOrigin == url.origin
    }
}

/// Retries with exponential backoff and jitter, honouring `Retry-After`, bounded.
public struct RetryPolicy: Sendable {
    public var maxAttempts = 5
    /// Delay before the first retry, doubled each time, in seconds.
    public var baseDelay = 0.5
    public var maxDelay = 30.0
    /// A server asking for a longer wait than this is not waited for that long.
    public var maxRetryAfter = 120.0

    public init() {}

    /// Seconds to wait before attempt `attempt + 1` (attempt counts from 1). Full jitter
    /// between half and all of the exponential delay, and never less than `Retry-After`.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        let exponential = min(maxDelay, baseDelay * Double(1 << min(attempt - 1, 20)))
        let jittered = exponential * Double.random(in: 0.5...1.0)
        guard let retryAfter, retryAfter > 0 else { return jittered }
        return max(jittered, min(retryAfter, maxRetryAfter))
    }

    /// HTTP statuses worth retrying: the server is overloaded or briefly failing.
    public static func isRetryable(status: Int) -> Bool {
        [408, 425, 429, 500, 502, 503, 504].contains(status)
    }
}
