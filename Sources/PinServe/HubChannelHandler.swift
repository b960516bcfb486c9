import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import PinModel

/// Sent to every connection when the server stops: finish the answer in progress, then close.
struct DrainEvent: Sendable {}

/// What every connection's handler shares: the responder, the tokens, the logs and limits.
struct ConnectionSettings: Sendable {
    let responder: HubResponder
    let tokens: ServeTokens?
    let metrics: ServeMetrics
    let log: any ServeLog
    /// A request (head and body) must arrive in full within this time of the connection being
    /// idle, or the connection is closed: a slowloris that trickles a header byte by byte, or a
    /// keep-alive connection left open, holds a descriptor no longer than this.
    let requestTimeout: TimeAmount
    /// A file body goes out in slices (a FileRegion of `sliceSize` in the clear, a `chunkSize`
    /// chunk over TLS), the next once the last is written; a slice not written within this time
    /// closes the connection. The send-side twin of `requestTimeout`: a client that stops reading
    /// mid-download, or reads a trickle (a slow-read attack), cannot hold a descriptor, an open
    /// blob and a connection slot for ever. It sets the slowest rate served: 4 MiB a minute.
    let sendStallTimeout: TimeAmount
    /// TLS is on: file bodies go as chunks read from `fileIO`, since NIOSSL encrypts bytes in
    /// user space and cannot take a FileRegion.
    let tls: Bool
    let fileIO: NonBlockingFileIO
    /// `http://HOST:PORT` of the listener, for the pagination link when the Host header is unusable.
    let fallbackBase: String

    static let maximumBody = 1 << 20
    static let chunkSize = 256 * 1024
    /// Large enough that a slice boundary costs nothing next to its sendfile, small enough that
    /// the stall timeout measures progress rather than the whole file.
    static let sliceSize: Int64 = 4 << 20
}

/// One HTTP/1.1 connection: requests in, Hub answers out (behind NIO's pipelining handler,
/// which hands this handler one request at a time and holds the next until the answer ends).
///
/// Plain SwiftNIO rather than Hummingbird: a file body here is a `FileRegion` that the kernel
/// sends with sendfile, no byte copied through user space, which Hummingbird 2's response body
/// writer (ByteBuffers only) cannot carry.
final class HubChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let settings: ConnectionSettings
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false
    private var started = ContinuousClock.now
    private var deadline: Scheduled<Void>?
    /// A request has begun and its answer has not been sent in full yet (the answer's last
    /// bytes may still be in the socket's queue after the pipeline saw its end).
    private var busy = false
    /// The server is stopping: close once the current answer is out.
    private var draining = false

    init(settings: ConnectionSettings) {
        self.settings = settings
    }

    func channelActive(context: ChannelHandlerContext) {
        armDeadline(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            busy = true
            head = request
            body = []
            bodyTooLarge = false
            started = .now
        case .body(var chunk):
            if body.count + chunk.readableBytes > ConnectionSettings.maximumBody {
                bodyTooLarge = true
                body = []
            } else if let bytes = chunk.readBytes(length: chunk.readableBytes) {
                body += bytes
            }
        case .end:
            deadline?.cancel()
            deadline = nil
            guard let request = head else { return }
            head = nil
            handle(request, context: context)
        }
    }

    /// NIO's own ChannelShouldQuiesceEvent is not used: the pipelining handler would close a
    /// connection whose answer it saw end, while a FileRegion of it is still being sent.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is DrainEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        draining = true
        if !busy { context.close(promise: nil) }
    }

    /// Closes the connection unless a whole request arrives within the timeout.
    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: settings.requestTimeout) {
            channel.close(promise: nil)
        }
    }

    // MARK: answering

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        settings.metrics.requestStarted()
        var incoming = ServeRequest(method: head.method, target: head.uri, headers: head.headers, body: body)
        incoming.keepAlive = head.isKeepAlive
        let request = incoming
        body = []
        let remote = context.channel.remoteAddress.map { address in
            let host = address.ipAddress ?? "?"
            return (host.contains(":") ? "[\(host)]" : host) + ":" + String(address.port ?? 0)
        }
        let base = baseURL(head.headers)
        if bodyTooLarge {
            finish(ServeResponse.hubError(.payloadTooLarge, code: nil, message: "Request body too large"), request, route: nil, remote: remote, context: context)
            return
        }
        let route: HubRoute
        switch preflight(request) {
        case .answer(let response, let known):
            finish(response, request, route: known, remote: remote, context: context)
            return
        case .route(let parsed):
            route = parsed
        }
        switch route {
        case .health:
            finish(Self.text("ok\n"), request, route: route, remote: remote, context: context)
        case .metrics:
            var response = ServeResponse(status: .ok, body: .bytes(settings.metrics.exposition()))
            response.headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            finish(response, request, route: route, remote: remote, context: context)
        default:
            let responder = settings.responder
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            Task {
                let response = await responder.respond(request, route: route, baseURL: base)
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.finish(response, request, route: route, remote: remote, context: context)
                }
            }
        }
    }

    private enum Preflight {
        case answer(ServeResponse, HubRoute?)
        case route(HubRoute)
    }

    /// Everything decided from the head alone: the token, the route, the method.
    private func preflight(_ request: ServeRequest) -> Preflight {
        let path = request.pathPart
        if path == "/healthz" { return method(request, allowed: [.GET, .HEAD], route: .health) }
        if let tokens = settings.tokens {
            let authorization = request.headers.first(name: "Authorization")
            if !tokens.accepts(authorization: authorization) {
                var response: ServeResponse
                if authorization == nil {
                    // What the Hub answers a client without a token asking for a private repo:
                    // huggingface_hub raises RepositoryNotFoundError and tells the user to log in.
                    response = .hubError(.unauthorized, code: "RepoNotFound", message: "Invalid username or password.")
                } else {
                    // What the Hub answers a wrong token (huggingface_hub: HfHubHTTPError, 401).
                    response = .hubError(.unauthorized, code: nil, message: "Invalid credentials in Authorization header")
                }
                response.headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"modelpin\"")
                return .answer(response, nil)
            }
        }
        let route: HubRoute
        do {
            route = try HubRoute(path: String(path))
        } catch {
            switch error {
            case .tooLong: return .answer(.hubError(.uriTooLong, code: nil, message: "Request target too long"), nil)
            case .notFound: return .answer(.hubError(.notFound, code: nil, message: "Not Found"), nil)
            case .malformed(let reason), .unsafePath(let reason):
                return .answer(.hubError(.badRequest, code: nil, message: "Bad request: \(reason)"), nil)
            }
        }
        switch route {
        case .pathsInfo: return method(request, allowed: [.POST], route: route)
        default: return method(request, allowed: [.GET, .HEAD], route: route)
        }
    }

    private func method(_ request: ServeRequest, allowed: [HTTPMethod], route: HubRoute) -> Preflight {
        guard allowed.contains(request.method) else {
            var response = ServeResponse.hubError(.methodNotAllowed, code: nil, message: "Method not allowed")
            response.headers.add(name: "Allow", value: allowed.map(\.rawValue).joined(separator: ", "))
            return .answer(response, route)
        }
        return .route(route)
    }

    static func text(_ text: String) -> ServeResponse {
        var response = ServeResponse(status: .ok, body: .bytes(Array(text.utf8)))
        response.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        return response
    }

    /// The scheme and authority the client used, for absolute links back to this server. A
    /// Host header with anything but host characters is ignored (it would go into a header).
    private func baseURL(_ headers: HTTPHeaders) -> String {
        let scheme = settings.tls ? "https" : "http"
        guard let host = headers.first(name: "Host"), !host.isEmpty, host.utf8.count <= 255,
              host.unicodeScalars.allSatisfy({ $0.isASCII && (Character($0).isLetter || Character($0).isNumber || ".-:[]_".unicodeScalars.contains($0)) })
        else { return settings.fallbackBase }
        return scheme + "://" + host
    }

    // MARK: writing

    private func finish(_ response: ServeResponse, _ request: ServeRequest, route: HubRoute?, remote: String?, context: ChannelHandlerContext) {
        var response = response
        if !request.keepAlive || draining { response.headers.replaceOrAdd(name: "Connection", value: "close") }
        let isHead = request.method == .HEAD
        var bodyBytes: Int64 = 0
        switch response.body {
        case .bytes(let bytes):
            response.headers.replaceOrAdd(name: "Content-Length", value: String(bytes.count))
            bodyBytes = isHead ? 0 : Int64(bytes.count)
        case .file(_, _, let count):
            bodyBytes = count
        case .none:
            if response.headers["Content-Length"].isEmpty && response.status != .notModified {
                response.headers.add(name: "Content-Length", value: "0")
            }
        }
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: response.headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let done: EventLoopFuture<Void>
        switch response.body {
        case .bytes(let bytes) where !isHead:
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
            done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        case .file(let blob, let first, let count):
            done = sendFile(blob, first: first, count: count, context: context)
        default:
            done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        }
        let settings = settings
        let started = started
        let promised = bodyBytes
        let method = request.method.rawValue
        let target = String(request.pathPart.prefix(1024))
        let status = Int(response.status.code)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        done.whenComplete { result in
            let sent: Int64
            if case .success = result { sent = promised } else { sent = 0 }
            settings.metrics.requestFinished(route: route?.name ?? "other", status: status, bytes: sent)
            let elapsed = ContinuousClock.now - started
            settings.log.access(AccessLogEntry(
                time: AccessLogEntry.timestamp(Date()), method: method, target: target, route: route?.name,
                repo: route?.repo?.description, revision: route?.revision, path: route?.path, status: status, bytes: sent,
                durationMs: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15,
                remote: remote))
            let (handler, context) = bound.value
            handler.busy = false
            guard context.channel.isActive else { return }
            if case .failure = result {
                context.close(promise: nil)
            } else if !request.keepAlive || handler.draining {
                context.close(promise: nil)
            } else {
                handler.armDeadline(context: context)
            }
        }
    }

    /// A file body: FileRegions (sendfile, no copy through user space) in the clear; over TLS,
    /// chunks read from the file pool. Each slice is written once the previous one is, so at most
    /// one chunk is in memory and a stalled client is noticed (`sendStallTimeout`).
    private func sendFile(_ blob: OpenedBlob, first: Int64, count: Int64, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        guard count > 0 else { return context.writeAndFlush(wrapOutboundOut(.end(nil))).always { _ in _ = blob } }
        let promise = context.eventLoop.makePromise(of: Void.self)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        // The blob (and its descriptor) lives until the last slice has been sent.
        sendSlice(blob, offset: first, remaining: count, bound: bound, promise: promise)
        return promise.futureResult
    }

    private func sendSlice(
        _ blob: OpenedBlob, offset: Int64, remaining: Int64, bound: NIOLoopBound<(HubChannelHandler, ChannelHandlerContext)>,
        promise: EventLoopPromise<Void>
    ) {
        let (handler, context) = bound.value
        guard remaining > 0 else {
            context.writeAndFlush(handler.wrapOutboundOut(.end(nil))).cascade(to: promise)
            return
        }
        let length = min(remaining, settings.tls ? Int64(ConnectionSettings.chunkSize) : ConnectionSettings.sliceSize)
        let channel = context.channel
        let stall = context.eventLoop.scheduleTask(in: settings.sendStallTimeout) { channel.close(promise: nil) }
        let written: EventLoopFuture<Void>
        if settings.tls {
            written = settings.fileIO.read(fileHandle: blob.handle, fromOffset: offset, byteCount: Int(length), allocator: channel.allocator, eventLoop: context.eventLoop)
                .flatMap { buffer -> EventLoopFuture<Void> in
                    let (handler, context) = bound.value
                    guard buffer.readableBytes == Int(length) else {
                        return context.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
                    }
                    return context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(buffer))))
                }
        } else {
            let region = FileRegion(fileHandle: blob.handle, readerIndex: Int(offset), endIndex: Int(offset + length))
            written = context.writeAndFlush(handler.wrapOutboundOut(.body(.fileRegion(region))))
        }
        written.whenComplete { result in
            stall.cancel()
            switch result {
            case .success:
                bound.value.0.sendSlice(blob, offset: offset + length, remaining: remaining - length, bound: bound, promise: promise)
            case .failure(let error):
                promise.fail(error)
                bound.value.1.close(promise: nil)
            }
        }
    }
}
