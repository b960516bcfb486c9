public import PinModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Stops every transfer of an operation (Ctrl-C sets it); checked by libcurl's progress
/// callback several times a second, so a transfer ends promptly.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Cancelling the parent cancels this flag too; cancelling this one leaves the parent alone.
    private let parent: CancellationFlag?

    public init() {
        parent = nil
    }

    public init(parent: CancellationFlag) {
        self.parent = parent
    }

    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) || parent?.isCancelled == true }
}

/// An HTTP client over one connection (`HTTPConnection`; libcurl's in the shipped binary), used
/// by one thread at a time and reused across requests so connections are kept alive.
///
/// Policy lives here, not in callers nor in connections: https only (plain http only where
/// configured), redirects followed by hand so that each hop is checked (no downgrade, no other
/// scheme, bounded), the bearer token only ever sent to its own origin, error statuses turned
/// into `TransportError.http` before any of their bytes reach a caller. Every transport goes
/// through this one class, so a test fake is held to the same rules as libcurl. (Certificate
/// verification is the connection's, and libcurl's is always on.)
public final class HTTPClient {
    public let policy: TransportPolicy
    public let cancellation: CancellationFlag
    private let connection: any HTTPConnection

    /// How much of an error answer's body is kept for the message.
    static let errorBodyLimit = 16 << 10

    /// Throws when the transport cannot set a connection up as `policy` asks (libcurl refusing
    /// an option: a value out of range, or a build without a feature).
    public init(
        policy: TransportPolicy, cancellation: CancellationFlag = CancellationFlag(),
        transport: any HTTPTransport = CurlTransport()
    ) throws(TransportError) {
        self.policy = policy
        self.cancellation = cancellation
        connection = try transport.connection(policy: policy, cancellation: cancellation)
    }

    /// One GET, following redirects under the policy. For the final 2xx answer, `onResponse`
    /// sees the status and headers before any body byte (throw to refuse, e.g. a 200 where a
    /// 206 was asked for), then `onBody` gets every chunk in order (throw to stop). Error
    /// answers never reach `onBody`; they come back as `TransportError.http`. `onRedirect`
    /// sees each redirect answer before it is followed (throw to stop).
    ///
    /// `credential` (an `Authorization: …` line: a registry's token, Basic credentials) goes
    /// only to `url`'s own origin: a redirect to another host (a registry sending a blob GET
    /// to its storage) never carries it, as `policy.bearerToken` never leaves its origin.
    @discardableResult
    public func get(
        _ url: HTTPURL, range: ByteRange? = nil, headers: [String] = [], credential: String? = nil,
        onRedirect: (HTTPResponseHead) throws -> Void = { _ in },
        onResponse: (HTTPResponseHead) throws -> Void = { _ in },
        onBody: (UnsafeRawBufferPointer) throws -> Void
    ) throws(TransportError) -> HTTPResponseHead {
        var current = url
        var previous: HTTPURL?
        for _ in 0...policy.maxRedirects {
            if let reason = policy.permits(current, redirectedFrom: previous) {
                if let previous { throw .refusedRedirect(from: previous.description, to: current.description, reason: reason) }
                throw .refusedURL(current.description, reason: reason)
            }
            let lines = current.origin == url.origin ? headers + [credential].compactMap { $0 } : headers
            switch try hop(HTTPRequest(url: current, range: range, headers: lines), onResponse: onResponse, onBody: onBody) {
            case .final(let head):
                return head
            case .redirect(let head, let target):
                do {
                    try onRedirect(head)
                } catch {
                    throw .bodyRejected(current.description, error)
                }
                guard let next = HTTPURL(target) else {
                    throw .refusedRedirect(from: current.description, to: target, reason: "the target is not an http(s) URL")
                }
                previous = current
                current = next
            }
        }
        throw .tooManyRedirects(url.description, limit: policy.maxRedirects)
    }

    /// A small body (an API answer) read into memory, with retries for transient failures.
    /// Bodies over `limit` bytes are refused.
    public func fetch(_ url: HTTPURL, limit: Int = 64 << 20, headers: [String] = []) throws(TransportError) -> (HTTPResponseHead, [UInt8]) {
        var attempt = 0
        while true {
            attempt += 1
            var body: [UInt8] = []
            do throws(TransportError) {
                let head = try get(url, headers: headers) { chunk in
                    guard body.count + chunk.count <= limit else { throw ResponseTooLarge(limit: limit) }
                    body.append(contentsOf: chunk)
                }
                return (head, body)
            } catch {
                guard error.isTransient, attempt < policy.retry.maxAttempts else { throw error }
                try pause(policy.retry.delay(afterAttempt: attempt, retryAfter: error.retryAfter))
            }
        }
    }

    /// One request with any method to one URL, for APIs that write (a registry's uploads, a
    /// bucket's multipart calls) or ask (HEAD). Redirects are not followed: a 3xx comes back
    /// as the answer, for the caller to act on. A 2xx answer's body is read into memory (at
    /// most `limit` bytes); any other status is `TransportError.http`, its head kept (a
    /// registry's `WWW-Authenticate` challenge, a bucket's error document). Not retried: what
    /// may be sent twice is the caller's to decide. `credential` is as for `get`.
    public func send(
        _ method: HTTPMethod, _ url: HTTPURL, headers: [String] = [], credential: String? = nil,
        body: HTTPBody? = nil, limit: Int = 16 << 20
    ) throws(TransportError) -> (HTTPResponseHead, [UInt8]) {
        if let reason = policy.permits(url, redirectedFrom: nil) { throw .refusedURL(url.description, reason: reason) }
        var received: [UInt8] = []
        let request = HTTPRequest(method: method, url: url, range: nil, headers: headers + [credential].compactMap { $0 }, body: body)
        let head: HTTPResponseHead
        switch try hop(request, onResponse: { _ in }, onBody: { chunk in
            guard received.count + chunk.count <= limit else { throw ResponseTooLarge(limit: limit) }
            received.append(contentsOf: chunk)
        }) {
        case .final(let final): head = final
        case .redirect(let redirect, _): head = redirect
        }
        return (head, received)
    }

    /// Sleeps `seconds`, waking early (and throwing) if the operation is cancelled.
    public func pause(_ seconds: Double) throws(TransportError) {
        var remaining = seconds
        while remaining > 0 {
            if cancellation.isCancelled { throw .cancelled }
            let step = min(remaining, 0.1)
            usleep(UInt32(step * 1_000_000))
            remaining -= step
        }
        if cancellation.isCancelled { throw .cancelled }
    }

    // MARK: One hop

    private enum Outcome {
        case final(HTTPResponseHead)
        case redirect(HTTPResponseHead, String)
    }

    /// One request over the connection: the token attached if the policy allows it, the
    /// answer classified (2xx to the caller, 3xx followed by `get`, anything else an error).
    private func hop(
        _ request: HTTPRequest,
        onResponse: (HTTPResponseHead) throws -> Void,
        onBody: (UnsafeRawBufferPointer) throws -> Void
    ) throws(TransportError) -> Outcome {
        // Checked here too, not only by the connection: nothing new starts once Ctrl-C is in.
        if cancellation.isCancelled { throw .cancelled }
        let url = request.url
        // The token is attached per hop, and only for its own origin: a redirect to a CDN or
        // any other host never sees it. It is never logged.
        var lines = request.headers
        if policy.sendsToken(to: url), let token = policy.bearerToken { lines.append("Authorization: Bearer \(token)") }
        var succeeded = false
        var errorBody: [UInt8] = []
        // What the caller's handlers threw: reported as such, whatever the connection made of it.
        var failure: (any Error)?
        let exchange: HTTPExchange
        do {
            exchange = try connection.exchange(
                HTTPRequest(method: request.method, url: url, range: request.range, headers: lines, body: request.body),
                onHead: { head in
                    succeeded = (200..<300).contains(head.status)
                    guard succeeded else { return }
                    do { try onResponse(head) } catch {
                        failure = error
                        throw error
                    }
                },
                onBody: { chunk in
                    guard succeeded else {
                        let room = Self.errorBodyLimit - errorBody.count
                        if room > 0 { errorBody.append(contentsOf: chunk.prefix(room)) }
                        return
                    }
                    do { try onBody(chunk) } catch {
                        failure = error
                        throw error
                    }
                })
        } catch {
            if let failure { throw failure as? TransportError ?? .bodyRejected(url.description, failure) }
            throw error
        }
        let head = exchange.head
        if (300..<400).contains(head.status), let target = exchange.location { return .redirect(head, target) }
        guard (200..<300).contains(head.status) else {
            throw .http(url.description, status: head.status, head: head, body: Self.errorText(errorBody))
        }
        return .final(head)
    }

    /// An error answer's body as one line of a message.
    static func errorText(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(2048), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmed
    }
}

@available(*, unavailable, message: "an HTTPClient's connection (a libcurl handle) belongs to one thread")
extension HTTPClient: Sendable {}

struct ResponseTooLarge: Error, CustomStringConvertible {
    let limit: Int
    var description: String { "the response is larger than \(limit) bytes" }
}

extension String {
    var trimmed: String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view.removeFirst() }
        while view.last?.isWhitespace == true { view.removeLast() }
        return String(view)
    }
}
