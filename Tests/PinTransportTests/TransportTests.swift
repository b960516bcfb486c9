import PinModel
import PinTestSupport
import Synchronization
import Testing

@testable import PinTransport

@Suite("URLs and the transport policy")
struct TransportPolicyTests {
    @Test(arguments: [
        ("https://huggingface.co", "https://huggingface.co/", 443),
        ("https://HF.example:8443/hub/api?x=1#frag", "https://hf.example:8443/hub/api?x=1", 8443),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/", 8080),
        ("http://[::1]:9000/p", "http://[::1]:9000/p", 9000),
    ] as [(String, String, Int)])
    func parsesHTTPURLs(_ text: String, _ normalized: String, _ port: Int) throws {
        let url = try #require(HTTPURL(text))
        #expect(url.description == normalized)
        #expect(url.port == port)
    }

    @Test(arguments: ["file:///etc/passwd", "ftp://x/y", "https://user:pass@host/", "https://", "huggingface.co", "https://host:99999/", "https://ho st/"])
    func refusesWhatIsNotAPlainHTTPURL(_ text: String) {
        #expect(HTTPURL(text) == nil)
    }

    @Test func encodesPathsAndSegments() {
        #expect(HTTPURL.encodeSegment("refs/pr/1") == "refs%2Fpr%2F1")
        #expect(HTTPURL.encodePath("sub dir/a+b.json") == "sub%20dir/a%2Bb.json")
        #expect(HTTPURL("https://h/prefix")!.appending(path: "/api/x").description == "https://h/prefix/api/x")
    }

    @Test func allowsPlainHTTPOnlyWhereConfiguredAndNeverAsADowngrade() {
        var policy = TransportPolicy()
        let mirror = HTTPURL("http://mirror.local:8080/")!
        let secure = HTTPURL("https://hub.example/")!
        #expect(policy.permits(secure, redirectedFrom: nil) == nil)
        #expect(policy.permits(mirror, redirectedFrom: nil) != nil)
        policy.plainHTTPOrigins.insert(mirror.origin)
        #expect(policy.permits(mirror, redirectedFrom: nil) == nil)
        #expect(policy.permits(HTTPURL("http://cdn.local/")!, redirectedFrom: mirror) == nil)
        #expect(policy.permits(mirror, redirectedFrom: secure)?.contains("downgrade") == true)
    }

    @Test func sendsTheTokenToItsOriginOnly() {
        var policy = TransportPolicy()
        policy.bearerToken = "t"
        policy.tokenOrigin = HTTPURL("https://hub.example/")!.origin
        #expect(policy.sendsToken(to: HTTPURL("https://hub.example/api")!))
        #expect(!policy.sendsToken(to: HTTPURL("https://hub.example:8443/api")!))
        #expect(!policy.sendsToken(to: HTTPURL("http://hub.example/api")!))
        #expect(!policy.sendsToken(to: HTTPURL("https://cdn.example/blob")!))
    }

    @Test func backsOffExponentiallyWithJitterAndHonoursRetryAfter() {
        let policy = RetryPolicy()
        for attempt in 1...8 {
            let delay = policy.delay(afterAttempt: attempt, retryAfter: nil)
            let ceiling = min(policy.maxDelay, policy.baseDelay * Double(1 << (attempt - 1)))
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
        #expect(policy.delay(afterAttempt: 1, retryAfter: 7) >= 7)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 100_000) <= policy.maxRetryAfter)
        #expect(RetryPolicy.isRetryable(status: 429) && RetryPolicy.isRetryable(status: 503))
        #expect(!RetryPolicy.isRetryable(status: 404) && !RetryPolicy.isRetryable(status: 401))
    }

    @Test func parsesContentRange() {
        let head = HTTPResponseHead(status: 206, headers: [("content-range", "bytes 10-19/100")], url: HTTPURL("https://h/")!)
        #expect(head.contentRange?.start == 10 && head.contentRange?.end == 19 && head.contentRange?.total == 100)
    }
}

@Suite("HTTP client against a loopback server")
struct HTTPClientTests {
    @Test func fetchesRetriesAndStreams() throws {
        let server = try LoopbackHTTPServer { request in
            if request.path == "/flaky" {
                return .text(503, "busy", headers: [("Retry-After", "0")])
            }
            return .text(200, "hello \(request.headers["range"] ?? "all")")
        }
        defer { server.stop() }
        var policy = TransportPolicy()
        policy.plainHTTPOrigins.insert(HTTPURL(server.baseURL)!.origin)
        policy.retry.maxAttempts = 2
        policy.retry.baseDelay = 0.01
        let client = try HTTPClient(policy: policy)
        let (head, body) = try client.fetch(HTTPURL(server.baseURL + "/x")!)
        #expect(head.status == 200)
        #expect(String(decoding: body, as: UTF8.self) == "hello all")

        #expect {
            try client.fetch(HTTPURL(server.baseURL + "/flaky")!)
        } throws: { error in
            guard case .http(_, 503, _, "busy")? = error as? TransportError else { return false }
            return true
        }
        let refused = try HTTPClient(policy: TransportPolicy())
        #expect(throws: TransportError.self) { try refused.fetch(HTTPURL(server.baseURL + "/x")!) }
    }

    @Test func cancellationStopsATransfer() throws {
        let server = try LoopbackHTTPServer { _ in LoopbackHTTPServer.Response(status: 200, body: .endless) }
        defer { server.stop() }
        var policy = TransportPolicy()
        policy.plainHTTPOrigins.insert(HTTPURL(server.baseURL)!.origin)
        let flag = CancellationFlag()
        let client = try HTTPClient(policy: policy, cancellation: flag)
        var received = 0
        #expect {
            try client.get(HTTPURL(server.baseURL + "/")!) { chunk in
                received += chunk.count
                if received > 1 << 20 { flag.cancel() }
            }
        } throws: { error in
            guard case .cancelled? = error as? TransportError else { return false }
            return true
        }
    }
}

/// The policy lives in `HTTPClient`, above any transport: an in-process fake that answers
/// whatever it is asked is still held to https-only, no downgrade, the token's origin and
/// error statuses.
@Suite("The policy holds over any transport")
struct PolicyOverTransportTests {
    static func client(_ http: InProcessHTTP, token: Bool = false) throws -> HTTPClient {
        var policy = TransportPolicy()
        if token {
            policy.bearerToken = "hf_secret"
            policy.tokenOrigin = HTTPURL("https://hub.test/")!.origin
        }
        return try HTTPClient(policy: policy, transport: http)
    }

    @Test func plainHTTPIsNeverAskedForUnlessConfigured() throws {
        let http = InProcessHTTP()
        http.route("http://hub.test") { _ in .text(200, "hello") }
        #expect {
            try Self.client(http).fetch(HTTPURL("http://hub.test/x")!)
        } throws: { error in
            guard case .refusedURL? = error as? TransportError else { return false }
            return true
        }
        #expect(http.log.isEmpty)
    }

    @Test(arguments: ["http://cdn.test/blob", "file:///etc/passwd", "ftp://cdn.test/blob"])
    func aRedirectOffHTTPSIsRefused(_ target: String) throws {
        let http = InProcessHTTP()
        http.route("https://hub.test") { _ in LoopbackHTTPServer.Response(status: 302, headers: [("Location", target)]) }
        http.route("http://cdn.test") { _ in .text(200, "downgraded") }
        #expect {
            try Self.client(http).fetch(HTTPURL("https://hub.test/x")!)
        } throws: { error in
            guard case .refusedRedirect? = error as? TransportError else { return false }
            return true
        }
        #expect(http.log.map(\.url) == ["https://hub.test/x"])
    }

    @Test func theTokenGoesToItsOriginOnlyAndErrorBodiesNeverReachTheCaller() throws {
        let http = InProcessHTTP()
        let seen = Mutex<[String: String]>([:])
        http.route("https://hub.test") { request in
            seen.withLock { $0["hub"] = request.headers["authorization"] ?? "none" }
            return LoopbackHTTPServer.Response(status: 302, headers: [("Location", "https://cdn.test/blob")])
        }
        http.route("https://cdn.test") { request in
            seen.withLock { $0["cdn"] = request.headers["authorization"] ?? "none" }
            return .text(404, "no such blob")
        }
        var delivered = 0
        #expect {
            try Self.client(http, token: true).get(HTTPURL("https://hub.test/x")!) { delivered += $0.count }
        } throws: { error in
            guard case .http(_, 404, _, "no such blob")? = error as? TransportError else { return false }
            return true
        }
        #expect(delivered == 0)
        #expect(seen.withLock { $0 } == ["hub": "Bearer hf_secret", "cdn": "none"])
    }
}
