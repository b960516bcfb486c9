import Foundation
import PinTransport
import Synchronization

/// A front for a `RegistryServer` on its own loopback port, for hostile tests: it forwards
/// every request to the registry (rewriting the registry's `Location`s to point back at
/// itself) unless `intercept` answers it instead, and records what passed through. A test
/// makes the registry misbehave by intercepting: a 500 for the 2nd PATCH, a blob GET
/// redirected to another host, a manifest with other bytes.
///
/// Bodies are held in memory (LoopbackHTTPServer's way), so it is for test-sized blobs.
public final class RegistryProxy: @unchecked Sendable {
    // @unchecked: `log` is guarded by `lock`; the rest is immutable after init.

    /// One request as the proxy saw it.
    public struct Exchange: Sendable {
        public let method: String
        public let path: String
        /// The request body's size (what the client sent).
        public let bodyBytes: Int
        /// The request carried an `Authorization` header.
        public let authorized: Bool
        /// The answer's status (the registry's, or the interceptor's).
        public let status: Int
        /// Answered by `intercept`, not forwarded.
        public let intercepted: Bool
    }

    /// Sees each request with its 0-based sequence number among requests of the same method
    /// (so "the 2nd PATCH" is `request.method == "PATCH" && index == 1`); returns an answer to
    /// send instead of forwarding, or nil to forward.
    public typealias Intercept = @Sendable (_ request: LoopbackHTTPServer.Request, _ index: Int) -> LoopbackHTTPServer.Response?

    /// Changes a forwarded answer before it goes back (adds a header, swaps the body).
    public typealias Amend = @Sendable (_ request: LoopbackHTTPServer.Request, _ response: LoopbackHTTPServer.Response) -> LoopbackHTTPServer.Response

    public let upstream: String
    private var server: LoopbackHTTPServer!
    private let intercept: Intercept
    private let amend: Amend
    private let lock = NSLock()
    private var log: [Exchange] = []
    private var counts: [String: Int] = [:]
    /// Forward the client's own `Host` header (see `init`).
    private let keepsHost: Bool

    public var port: Int { server.port }
    public var authority: String { "127.0.0.1:\(port)" }
    public var baseURL: String { "http://\(authority)" }

    public func reference(_ repository: String, tag: String? = nil) -> String {
        "oci://\(authority)/\(repository)" + (tag.map { ":\($0)" } ?? "")
    }

    /// `upstream`: the registry's base URL (`RegistryServer.baseURL`). `keepsHost`: forward the
    /// client's `Host` header as it was sent (the proxy's address), for requests whose signature
    /// covers it — S3's SigV4 signs `Host`, so an S3 server behind the proxy checks the request
    /// the client signed.
    public init(upstream: String, keepsHost: Bool = false, intercept: @escaping Intercept = { _, _ in nil }, amend: @escaping Amend = { $1 }) throws {
        self.upstream = upstream
        self.keepsHost = keepsHost
        self.intercept = intercept
        self.amend = amend
        server = try LoopbackHTTPServer { [unowned self] request in self.handle(request) }
    }

    deinit { server.stop() }

    public func stop() { server.stop() }

    /// Everything so far, in order.
    public var exchanges: [Exchange] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }

    private func handle(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        lock.lock()
        let index = counts[request.method, default: 0]
        counts[request.method] = index + 1
        lock.unlock()
        let intercepted = intercept(request, index)
        let response = intercepted ?? amend(request, forward(request))
        lock.lock()
        log.append(Exchange(method: request.method, path: request.path, bodyBytes: request.body.count,
                            authorized: request.headers["authorization"] != nil, status: response.status, intercepted: intercepted != nil))
        lock.unlock()
        return response
    }

    /// Answers the `nth` (0-based) request of `method` whose path contains `path` with
    /// `status`, once; everything else is forwarded.
    public static func failing(_ method: String, nth: Int, status: Int = 500, path: String = "") -> Intercept {
        let seen = Mutex(0)
        return { request, _ in
            guard request.method == method, path.isEmpty || request.path.contains(path) else { return nil }
            let index = seen.withLock { count in
                defer { count += 1 }
                return count
            }
            return index == nth ? .text(status, "injected failure") : nil
        }
    }

    /// Serves `bytes` for every GET of the blob `digest` (a registry, or something between,
    /// lying about a layer): the caller's digest check must refuse them.
    public static func lyingBlob(_ digest: String, bytes: [UInt8]) -> Intercept {
        { request, _ in
            guard request.method == "GET", request.path.hasSuffix("/blobs/\(digest)") else { return nil }
            return LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", "application/octet-stream")], body: .bytes(bytes))
        }
    }

    /// The request sent on to the registry, its answer brought back.
    public func forward(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard let method = HTTPMethod(rawValue: request.method), let url = HTTPURL(upstream + request.target) else {
            return .text(400, "the proxy cannot forward \(request.method) \(request.target)")
        }
        var policy = TransportPolicy()
        policy.plainHTTPOrigins = [url.origin]
        let skipped: Set<String> = ["host", "content-length", "connection", "expect", "transfer-encoding"]
        var headers = request.headers.filter { !skipped.contains($0.key) }.map { "\($0.key): \($0.value)" }
        if keepsHost, let host = request.headers["host"] { headers.append("Host: \(host)") }
        let body: HTTPBody? = [.put, .post, .patch].contains(method) ? .bytes(request.body) : nil
        do {
            // One client per request: the handler runs on the connection's own thread.
            let client = try HTTPClient(policy: policy)
            let (head, bytes) = try client.send(method, url, headers: headers, body: body, limit: 1 << 30)
            return answer(head, body: bytes)
        } catch {
            if case .http(_, _, let head, let text) = error { return answer(head, body: Array(text.utf8)) }
            return .text(502, "the proxy could not reach the registry: \(error)")
        }
    }

    private func answer(_ head: HTTPResponseHead, body: [UInt8]) -> LoopbackHTTPServer.Response {
        let dropped: Set<String> = ["content-length", "transfer-encoding", "connection", "date"]
        var headers: [(String, String)] = []
        for (name, value) in head.headers where !dropped.contains(name.lowercased()) {
            headers.append((name, name.lowercased() == "location" ? value.replacingOccurrences(of: upstream, with: baseURL) : value))
        }
        // A HEAD's Content-Length is the registry's, not the (empty) body's.
        if body.isEmpty, let length = head.header("content-length") {
            headers.append(("Content-Length", length))
        }
        return LoopbackHTTPServer.Response(status: head.status, headers: headers, body: .bytes(body))
    }
}
