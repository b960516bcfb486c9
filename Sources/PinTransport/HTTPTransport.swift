public import PinModel

/// One request as `HTTPClient` hands it to a connection: already allowed by the policy, its
/// header lines final (the bearer token among them only where the policy sends it).
public struct HTTPRequest: Sendable {
    public let method: HTTPMethod
    public let url: HTTPURL
    /// The bytes asked for (`Range: bytes=FIRST-LAST`); nil: the whole body.
    public let range: ByteRange?
    /// `Name: value` lines.
    public let headers: [String]
    /// What is sent (PUT, POST, PATCH); nil: no body (a POST or PUT without one sends
    /// `Content-Length: 0`).
    public let body: HTTPBody?

    public init(method: HTTPMethod = .get, url: HTTPURL, range: ByteRange?, headers: [String], body: HTTPBody? = nil) {
        self.method = method
        self.url = url
        self.range = range
        self.headers = headers
        self.body = body
    }
}

/// The methods modelpin sends: GET and HEAD to read, PUT/POST/PATCH/DELETE to write to a
/// registry or a bucket.
public enum HTTPMethod: String, Sendable, CaseIterable {
    case get = "GET", head = "HEAD", put = "PUT", post = "POST", patch = "PATCH", delete = "DELETE"

    /// Whether the answer has no body (HEAD).
    public var expectsNoBody: Bool { self == .head }
}

/// A request body. A file region is read as it is sent, never whole into memory, so a
/// multi-GiB blob uploads in constant memory.
public enum HTTPBody: Sendable {
    case bytes([UInt8])
    /// `length` bytes of the file at `path` from `offset`. The file is opened without following
    /// a symlink in its last component; one shorter than `offset + length` fails the request.
    case file(path: String, offset: Int64, length: Int64)

    /// The Content-Length sent.
    public var count: Int64 {
        switch self {
        case .bytes(let bytes): Int64(bytes.count)
        case .file(_, _, let length): length
        }
    }
}

/// How one exchange ended: the final answer's head and, for a redirect, its target resolved
/// against the request's URL (not yet checked: the client checks it against the policy).
public struct HTTPExchange: Sendable {
    public let head: HTTPResponseHead
    public let location: String?

    public init(head: HTTPResponseHead, location: String?) {
        self.head = head
        self.location = location
    }
}

/// The raw layer under `HTTPClient`: one request at a time over one connection (libcurl: one
/// easy handle), used by one thread. It knows nothing of the policy and never follows a
/// redirect: the client decides which URLs are asked for, which headers they carry, what a
/// status means and whether a redirect is followed, so that no implementation (a test fake
/// included) can bypass those rules.
public protocol HTTPConnection: AnyObject {
    /// Sends `request` once. `onHead` sees the answer's head, whatever its status, before any
    /// body byte and also when the body is empty; `onBody` then gets every body byte in order.
    /// Either may throw to stop the exchange (the connection then throws any error: the client
    /// reports the callback's own). Stops promptly, throwing `.cancelled`, once the connection's
    /// cancellation flag is set.
    func exchange(
        _ request: HTTPRequest,
        onHead: (HTTPResponseHead) throws -> Void,
        onBody: (UnsafeRawBufferPointer) throws -> Void
    ) throws(TransportError) -> HTTPExchange
}

/// Where connections come from: libcurl in the shipped binary (`CurlTransport`), an in-process
/// fake in tests. Injected through `PullSettings.transport`.
public protocol HTTPTransport: Sendable {
    /// A connection for one thread. `policy` carries what only a connection can apply (the CA
    /// bundle, timeouts, the user agent); throws if the connection cannot be set up as asked.
    func connection(policy: TransportPolicy, cancellation: CancellationFlag) throws(TransportError) -> any HTTPConnection
}
