import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
public import PinWorkspace
public import SystemPackage
import Synchronization

/// How `modelpin serve` listens and whom it answers.
public struct ServeConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Required bearer tokens; nil: anyone who can reach the address may read.
    public var tokens: ServeTokens?
    /// PEM certificate chain and private key; nil: plain HTTP.
    public var tls: (certificate: FilePath, key: FilePath)?
    /// See `ConnectionSettings.requestTimeout`.
    public var requestTimeout: Duration = .seconds(30)
    /// See `ConnectionSettings.sendStallTimeout`.
    public var sendStallTimeout: Duration = .seconds(60)
    /// Entries per tree page (the Hub's is 1000).
    public var pageSize = 1000
    /// `--blob-redirect`: where LFS files' bytes are fetched from instead of this server.
    public var blobRedirect: (any BlobRedirect)?

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// The running server: SwiftNIO's HTTP/1.1 pipeline on a listening socket, answering the Hub
/// API from a `ServeCatalog`.
public final class HubServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool
    private let listener: any Channel
    private let connections: ConnectionRegistry
    private let stopped = Mutex(false)
    /// The address actually bound (the port is the real one when 0 was asked for).
    public let host: String
    public let port: Int
    public let scheme: String

    /// `http://HOST:PORT` (or https), as clients reach it.
    public var url: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(shown):\(port)"
    }

    /// Binds and starts answering. Reads the TLS files now: a bad certificate fails here, before
    /// any client connects.
    public static func start(
        catalog: any ServeCatalog, configuration: ServeConfiguration, metrics: ServeMetrics, log: any ServeLog
    ) async throws(ServeSetupFailure) -> HubServer {
        let sslContext = try configuration.tls.map { files throws(ServeSetupFailure) in try makeSSLContext(files) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let connections = ConnectionRegistry()
        let scheme = sslContext == nil ? "http" : "https"
        let settings = ConnectionSettings(
            responder: HubResponder(
                catalog: catalog, metrics: metrics, log: log, pageSize: configuration.pageSize, redirect: configuration.blobRedirect),
            tokens: configuration.tokens, metrics: metrics, log: log,
            requestTimeout: Self.timeAmount(configuration.requestTimeout),
            sendStallTimeout: Self.timeAmount(configuration.sendStallTimeout),
            tls: sslContext != nil, fileIO: NonBlockingFileIO(threadPool: threadPool),
            fallbackBase: "\(scheme)://\(configuration.host):\(configuration.port)")
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HubChannelHandler(settings: settings))
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            try? await threadPool.shutdownGracefully()
            throw .listen("\(configuration.host):\(configuration.port)", reason: String(describing: error))
        }
        let bound = listener.localAddress
        return HubServer(
            group: group, threadPool: threadPool, listener: listener, connections: connections,
            host: bound?.ipAddress ?? configuration.host, port: bound?.port ?? configuration.port, scheme: scheme)
    }

    private init(
        group: MultiThreadedEventLoopGroup, threadPool: NIOThreadPool, listener: any Channel, connections: ConnectionRegistry,
        host: String, port: Int, scheme: String
    ) {
        self.group = group
        self.threadPool = threadPool
        self.listener = listener
        self.connections = connections
        self.host = host
        self.port = port
        self.scheme = scheme
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    private static func makeSSLContext(_ files: (certificate: FilePath, key: FilePath)) throws(ServeSetupFailure) -> NIOSSLContext {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(files.certificate.string)
            guard !chain.isEmpty else { throw ServeSetupFailure.tls("\(files.certificate) holds no PEM certificate") }
            let key = try NIOSSLPrivateKey(file: files.key.string, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            return try NIOSSLContext(configuration: configuration)
        } catch let failure as ServeSetupFailure {
            throw failure
        } catch {
            throw .tls("\(files.certificate), \(files.key): \(error)")
        }
    }

    /// Stops accepting, lets every request in flight finish (each connection closes once its
    /// current answer has been sent), and after `drain` closes whatever is left. Returns once
    /// everything is closed and the threads are gone.
    public func shutdown(drain: Duration = .seconds(10)) async {
        guard !stopped.withLock({ done in defer { done = true }; return done }) else { return }
        try? await listener.close()
        let open = connections.all()
        for channel in open {
            // Each connection closes now if idle, else once its current answer has been sent.
            channel.pipeline.fireUserInboundEventTriggered(DrainEvent())
        }
        let deadline = ContinuousClock.now + drain
        while !connections.all().isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for channel in connections.all() { try? await channel.close() }
        try? await group.shutdownGracefully()
        try? await threadPool.shutdownGracefully()
    }

    /// Connections open now (in flight or idle keep-alive).
    public var openConnections: Int { connections.all().count }
}

/// The open connections, so a shutdown can tell each to finish and wait for them.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.channels.withLock { _ = $0.removeValue(forKey: key) }
        }
    }

    func all() -> [any Channel] { channels.withLock { Array($0.values) } }
}
