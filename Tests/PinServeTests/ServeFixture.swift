import Foundation
import PinDigest
import PinHub
import PinModel
import PinServe
import PinStore
import PinTestSupport
import PinTransport
import PinWorkspace
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A real store, filled by a real pull from the fake Hub (in process, through InProcessHTTP),
/// and `HubServer` over it on 127.0.0.1:0 with serve-catalog's `StoreServeCatalog`.
final class ServeFixture: Sendable {
    static let commit = String(repeating: "5e7e", count: 10)
    static let config = Array(#"{"architectures": ["TinyModel"], "hidden_size": 64}"#.utf8)
    static let tokenizer = Array(#"{"version": "1.0", "model": {"type": "BPE"}}"#.utf8)
    static let weights = safetensorsFile(payloadBytes: 300 << 10, seed: 71)
    static let extra = safetensorsFile(payloadBytes: 100 << 10, seed: 72)
    static let files = [
        FakeHub.File("config.json", config),
        FakeHub.File("tokenizer/tokenizer.json", tokenizer),
        FakeHub.File("model.safetensors", weights, lfs: true),
        FakeHub.File("weights/extra.safetensors", extra, lfs: true),
    ]
    static func bytes(_ path: String) -> [UInt8] {
        switch path {
        case "config.json": config
        case "tokenizer/tokenizer.json": tokenizer
        case "model.safetensors": weights
        default: extra
        }
    }

    static let repo = FakeHub.Repo(id: "acme/tiny-model", commit: commit, files: files)

    let directory: FilePath
    let store: Store
    let metrics: ServeMetrics
    let log: RecordingLog
    let server: HubServer

    var port: Int { server.port }

    private init(directory: FilePath, store: Store, metrics: ServeMetrics, log: RecordingLog, server: HubServer) {
        self.directory = directory
        self.store = store
        self.metrics = metrics
        self.log = log
        self.server = server
    }

    /// Pulls `repos` into a fresh store, serves it, runs `body`, then shuts the server down.
    static func with(
        repos: [FakeHub.Repo] = [repo], catalog makeCatalog: ((Store, ServeMetrics) throws -> any ServeCatalog)? = nil,
        configure: (inout ServeConfiguration) throws -> Void = { _ in },
        _ body: (ServeFixture) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory("modelpin-serve") { url in
            let directory = FilePath(url.path)
            let store = try Store.open(at: directory.appending("store"), access: .readWrite)
            // The pull blocks (libcurl's threads, here InProcessHTTP): off the concurrency pool,
            // which other tests' servers need meanwhile.
            try await RawHTTP.offThePool { try pull(repos, into: store, directory: directory) }
            let metrics = ServeMetrics()
            let log = RecordingLog()
            let catalog = try makeCatalog?(store, metrics) ?? StoreServeCatalog(store: store, events: metrics)
            var configuration = ServeConfiguration(host: "127.0.0.1", port: 0)
            try configure(&configuration)
            let server = try await HubServer.start(catalog: catalog, configuration: configuration, metrics: metrics, log: log)
            let fixture = ServeFixture(directory: directory, store: store, metrics: metrics, log: log, server: server)
            do {
                try await body(fixture)
            } catch {
                await server.shutdown(drain: .zero)
                throw error
            }
            await server.shutdown(drain: .seconds(2))
        }
    }

    /// A by-name pull of every repo at `main`, which records its snapshot (and `main`) in the store.
    static func pull(_ repos: [FakeHub.Repo], into store: Store, directory: FilePath) throws {
        let hub = try FakeHub(repos: repos)
        defer {
            hub.hub.stop()
            hub.cdn.stop()
        }
        let http = InProcessHTTP()
        http.serve(hub, at: "https://hub.test")
        var settings = PullSettings(endpoint: try HubEndpoint("https://hub.test"), policy: TransportPolicy())
        settings.transport = http
        let puller = Puller(store: store, settings: settings, events: DiscardEvents(), cancellation: CancellationFlag())
        for (index, repo) in repos.enumerated() {
            var request = PullRequest(name: repo.id, revision: "main", workingDirectory: directory)
            request.destination = directory.appending("pulled-\(index)")
            _ = try puller.pull(request)
        }
    }

    /// The stored blob of `bytes`, made writable and changed in one byte: what a disk error or a
    /// tamperer with write access to the store leaves behind.
    func corruptBlob(of bytes: [UInt8]) throws {
        let path = try store.path(of: SHA256.hash(bytes)).string
        chmod(path, 0o644)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([bytes[100] ^ 0xFF]))
    }

    /// A GET on a fresh connection.
    func request(_ target: String, headers: [String: String] = [:]) async throws -> RawResponse {
        try await request("GET", target, headers: headers)
    }

    /// One request on a fresh connection (`Connection: close`), answered in full. The socket
    /// blocks, so it runs on a thread of its own: the server's answers need the concurrency
    /// pool this test runs on.
    func request(
        _ method: String, _ target: String, headers: [String: String] = [:], body: [UInt8] = []
    ) async throws -> RawResponse {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        return try await RawHTTP.exchange(port: port, Array(text.utf8) + body)
    }

    /// The value of one sample in /metrics (`name{labels}` as printed), or nil.
    func metric(_ line: String) throws -> Double? {
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        for row in text.split(separator: "\n") where row.hasPrefix(line + " ") {
            return Double(row.dropFirst(line.count + 1))
        }
        return nil
    }
}

/// The server's log, kept for assertions.
final class RecordingLog: ServeLog {
    private let record = Mutex<(access: [AccessLogEntry], errors: [String])>(([], []))

    var entries: [AccessLogEntry] { record.withLock { $0.access } }
    var errors: [String] { record.withLock { $0.errors } }

    func access(_ entry: AccessLogEntry) { record.withLock { $0.access.append(entry) } }
    func error(_ message: String) { record.withLock { $0.errors.append(message) } }
}

/// An HTTP/1.1 answer as bytes came off the socket.
struct RawResponse {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(body)) }
}

/// A plain-socket HTTP client: it sends exactly the bytes given (so a test can send what no
/// well-behaved client library would) and reads until the server closes.
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A connected socket; `receiveBuffer` shrinks the kernel's buffer so a client that stops
    /// reading stalls the server's send soon.
    static func connect(port: Int, receiveBuffer: Int32? = nil) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: \(errno)") }
        if var size = receiveBuffer {
            setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(socket)
            throw Failure(description: "connect: \(errno)")
        }
        return socket
    }

    static func send(_ socket: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Everything the server sends until it closes (or 30 s of silence).
    static func readAll(_ socket: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return received
    }

    /// At least `count` bytes, or fewer if the server closes first.
    static func readSome(_ socket: Int32, atLeast count: Int) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < count {
            let got = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if got <= 0 { break }
            received += buffer[..<got]
        }
        return received
    }

    static func exchange(port: Int, _ request: [UInt8]) async throws -> RawResponse {
        try parse(await offThePool {
            let socket = try connect(port: port)
            defer { close(socket) }
            send(socket, request)
            return readAll(socket)
        })
    }

    /// Runs blocking socket work on a thread of its own.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> RawResponse {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw Failure(description: "no response head in \(bytes.count) bytes")
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n")
        let statusLine = head.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line") }
        let headers = head.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        return RawResponse(status: status, headers: headers, body: Array(bytes[(end + 4)...]))
    }
}
