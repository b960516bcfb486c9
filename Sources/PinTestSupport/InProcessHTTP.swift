import Foundation
import PinDigest
import PinModel
public import PinTransport

/// An HTTP transport that never touches a socket: each request is answered in process by the
/// handler routed to its origin. It plays the fake Hub (`serve(_:)`, the Hub's own answers, so
/// the API's JSON is written once, in FakeHub) and blob mirrors (`FakeBlobMirror`), misbehaves
/// as their faults say (`LoopbackHTTPServer.Response.Behaviour`: a body that ends early or
/// stalls), runs hooks when a URL is asked for, and logs every request.
///
/// It implements only the raw `HTTPConnection`: redirects, the https-only rule, the token and
/// status handling stay in `HTTPClient`, so code under test is held to the real policy.
/// Test support only.
public final class InProcessHTTP: HTTPTransport, @unchecked Sendable {
    // @unchecked: `routes`, `hooks` and `requests` are guarded by `lock`.

    public typealias Handler = @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    /// Sees a request before its route; a response returned replaces the route's answer.
    public typealias Hook = @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response?

    public struct LoggedRequest: Sendable, Equatable {
        public let url: String
        /// The `Range` header, as sent (`bytes=FIRST-LAST`).
        public let range: String?
    }

    private let lock = NSLock()
    private var routes: [Origin: Handler] = [:]
    private var hooks: [(fragment: String, hook: Hook)] = []
    private var requests: [LoggedRequest] = []

    public init() {}

    /// Requests to the origin of `base` (`https://hub.test`) go to `handler`. A request to an
    /// origin with no route fails as an unknown host does.
    public func route(_ base: String, to handler: @escaping Handler) {
        guard let url = HTTPURL(base) else { preconditionFailure("not an http(s) URL: \(base)") }
        withLock { routes[url.origin] = handler }
    }

    /// Plays `hub`: its API at `hubBase`, its LFS CDN at `cdnBase`, with the redirects, `Link`
    /// pages and `X-Repo-Commit` headers the fake Hub writes for those bases.
    public func serve(_ hub: FakeHub, at hubBase: String = "https://hub.test", cdn cdnBase: String = "https://cdn.test") {
        hub.setPublicBases(hub: hubBase, cdn: cdnBase)
        route(hubBase) { hub.answerHub($0) }
        route(cdnBase) { hub.answerCDN($0) }
    }

    /// Plays `mirror` at `base`.
    public func serve(_ mirror: FakeBlobMirror, at base: String) {
        route(base) { mirror.answer($0) }
    }

    /// Runs `hook` for every request whose URL contains `fragment` (to fire a cancellation flag
    /// mid-resolve, or to answer in its place).
    public func intercept(_ fragment: String, _ hook: @escaping Hook) {
        withLock { hooks.append((fragment, hook)) }
    }

    /// Every request so far, in order.
    public var log: [LoggedRequest] { withLock { requests } }

    public func clearLog() { withLock { requests = [] } }

    public func connection(policy: TransportPolicy, cancellation: CancellationFlag) -> any HTTPConnection {
        Connection(transport: self, policy: policy, cancellation: cancellation)
    }

    /// The answer to `request`, or nil when no route serves its origin.
    fileprivate func answer(_ request: HTTPRequest) -> LoopbackHTTPServer.Response? {
        var headers: [String: String] = [:]
        for line in request.headers {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if let range = request.range { headers["range"] = "bytes=\(range.first)-\(range.last)" }
        let served = LoopbackHTTPServer.Request(method: "GET", target: request.url.pathAndQuery, headers: headers)
        let (handler, matching) = withLock {
            requests.append(LoggedRequest(url: request.url.description, range: headers["range"]))
            return (routes[request.url.origin], hooks.filter { request.url.description.contains($0.fragment) }.map(\.hook))
        }
        for hook in matching {
            if let response = hook(served) { return response }
        }
        return handler?(served)
    }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// One "connection": answers in process, delivering the body in chunks as libcurl would.
private final class Connection: HTTPConnection {
    let transport: InProcessHTTP
    let policy: TransportPolicy
    let cancellation: CancellationFlag

    /// The size of each body chunk handed on (libcurl's is the receive buffer's).
    static let chunkSize = 64 << 10

    init(transport: InProcessHTTP, policy: TransportPolicy, cancellation: CancellationFlag) {
        self.transport = transport
        self.policy = policy
        self.cancellation = cancellation
    }

    func exchange(
        _ request: HTTPRequest,
        onHead: (HTTPResponseHead) throws -> Void,
        onBody: (UnsafeRawBufferPointer) throws -> Void
    ) throws(TransportError) -> HTTPExchange {
        let url = request.url
        if cancellation.isCancelled { throw .cancelled }
        guard let response = transport.answer(request) else {
            throw .network(url.description, code: 6, message: "Could not resolve host: \(url.host)")
        }
        // libcurl's progress callback notices a cancellation that came while the server answered.
        if cancellation.isCancelled { throw .cancelled }
        var headers = response.headers.map { (name: $0.0.lowercased(), value: $0.1) }
        if let length = Self.length(of: response.body), !headers.contains(where: { $0.name == "content-length" }) {
            headers.append((name: "content-length", value: "\(length)"))
        }
        let head = HTTPResponseHead(status: response.status, headers: headers, url: url)
        do { try onHead(head) } catch { throw .bodyRejected(url.description, error) }
        try deliver(response, url: url, onBody: onBody)
        return HTTPExchange(head: head, location: head.header("location").map { Self.resolve($0, against: url) })
    }

    /// Hands the body on in chunks, ending as the response's behaviour says.
    private func deliver(
        _ response: LoopbackHTTPServer.Response, url: HTTPURL, onBody: (UnsafeRawBufferPointer) throws -> Void
    ) throws(TransportError) {
        var limit = Int64.max
        switch response.behaviour {
        case .normal, .throttled: break  // in process, a slow link is only slower
        case .dropAfter(let count), .stallAfter(let count): limit = count
        }
        var sent: Int64 = 0
        let chunks = Self.chunks(of: response.body)
        while let chunk = chunks() {
            if cancellation.isCancelled { throw .cancelled }
            let allowed = Int(min(Int64(chunk.count), limit - sent))
            if allowed > 0 {
                do {
                    try chunk.prefix(allowed).withUnsafeBytes { try onBody($0) }
                } catch {
                    throw .bodyRejected(url.description, error)
                }
                sent += Int64(allowed)
            }
            if allowed < chunk.count { break }
        }
        guard sent >= limit else { return }
        switch response.behaviour {
        case .dropAfter:
            // What libcurl reports when a server hangs up before the length it promised.
            throw .network(url.description, code: 18, message: "transfer closed with outstanding read data remaining")
        case .stallAfter:
            throw .stalled(url.description, seconds: policy.stallTimeout)
        case .normal, .throttled:
            return
        }
    }

    static func length(of body: LoopbackHTTPServer.Response.Body) -> Int64? {
        switch body {
        case .bytes(let bytes): Int64(bytes.count)
        case .file(_, _, let length): length
        case .endless: nil
        }
    }

    /// A generator of the body's chunks (nil at the end); files are read a chunk at a time.
    static func chunks(of body: LoopbackHTTPServer.Response.Body) -> () -> [UInt8]? {
        switch body {
        case .bytes(let bytes):
            var offset = 0
            return {
                guard offset < bytes.count else { return nil }
                defer { offset += chunkSize }
                return Array(bytes[offset..<min(bytes.count, offset + chunkSize)])
            }
        case .file(let path, let offset, let length):
            let handle = FileHandle(forReadingAtPath: path)
            try? handle?.seek(toOffset: UInt64(offset))
            var remaining = length
            return {
                guard remaining > 0, let data = try? handle?.read(upToCount: Int(min(remaining, Int64(chunkSize)))), !data.isEmpty else {
                    try? handle?.close()
                    return nil
                }
                remaining -= Int64(data.count)
                return Array(data)
            }
        case .endless:
            let block = [UInt8](repeating: 0x5A, count: chunkSize)
            return { block }
        }
    }

    /// A `Location` value resolved against the request's URL, as libcurl's CURLINFO_REDIRECT_URL
    /// gives it: absolute as is, `/path` on the same origin, `name` beside the current path.
    static func resolve(_ location: String, against url: HTTPURL) -> String {
        if location.contains("://") { return location }
        let origin = url.description.dropLast(url.pathAndQuery.count)
        if location.hasPrefix("/") { return origin + location }
        let path = url.pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return origin + path[...(path.lastIndex(of: "/") ?? path.startIndex)] + location
    }
}

/// A blob mirror in the store's layout (`blobs/sha256/<hex>`, as `modelpin mirror` writes and
/// nginx serves it), in process. A test can leave blobs out or put wrong bytes under a name.
public final class FakeBlobMirror: @unchecked Sendable {
    // @unchecked: `blobs` is guarded by `lock`.
    private let lock = NSLock()
    private var blobs: [String: [UInt8]] = [:]

    /// Each of `contents` under its own SHA-256.
    public init(_ contents: [[UInt8]] = []) {
        for bytes in contents { put(bytes) }
    }

    /// Serves `bytes` under `hex` (default: their own SHA-256; another name makes a lying mirror).
    public func put(_ bytes: [UInt8], as hex: String? = nil) {
        let name = hex ?? SHA256.hash(bytes).hex
        lock.lock()
        blobs[name] = bytes
        lock.unlock()
    }

    public func remove(_ hex: String) {
        lock.lock()
        blobs[hex] = nil
        lock.unlock()
    }

    /// `GET …/blobs/sha256/<hex>`, honouring a single `Range: bytes=FIRST-LAST`.
    public func answer(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let name = request.path.split(separator: "/").last.map(String.init) ?? ""
        lock.lock()
        let bytes = request.path.contains("/blobs/sha256/") ? blobs[name] : nil
        lock.unlock()
        guard let bytes else { return .text(404, "no such blob") }
        guard let range = request.headers["range"], range.hasPrefix("bytes="), !bytes.isEmpty else {
            return LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", "application/octet-stream")], body: .bytes(bytes))
        }
        let bounds = range.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let first = Int(bounds[0]), first < bytes.count else {
            return LoopbackHTTPServer.Response(status: 416, headers: [("Content-Range", "bytes */\(bytes.count)")])
        }
        let last = min(Int(bounds[1]) ?? bytes.count - 1, bytes.count - 1)
        return LoopbackHTTPServer.Response(
            status: 206, headers: [("Content-Range", "bytes \(first)-\(last)/\(bytes.count)"), ("Content-Type", "application/octet-stream")],
            body: .bytes(Array(bytes[first...last])))
    }
}
