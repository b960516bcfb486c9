public import Foundation

/// nginx from Debian, started by a test on loopback ports and stopped with it: a real TLS
/// server (with a test CA made by openssl) in front of the fake Hub, or a static CDN.
public final class Nginx: @unchecked Sendable {
    // @unchecked: immutable after init; the process handle is only used by stop().

    public let directory: URL
    private let process: Process

    /// Starts nginx with `servers` (server blocks) inside a minimal `http {}` and waits until
    /// every port in `ports` accepts connections.
    public init(directory: URL, servers: String, ports: [Int]) throws {
        self.directory = directory
        let temp = directory.appendingPathComponent("nginx-temp")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(directory.path)/nginx.pid;
            error_log \(directory.path)/nginx-error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(temp.path)/body;
                proxy_temp_path \(temp.path)/proxy;
                fastcgi_temp_path \(temp.path)/fastcgi;
                uwsgi_temp_path \(temp.path)/uwsgi;
                scgi_temp_path \(temp.path)/scgi;
                sendfile on;
                tcp_nopush on;
                \(servers)
            }
            """
        let configFile = directory.appendingPathComponent("nginx.conf")
        try Data(config.utf8).write(to: configFile)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-c", configFile.path, "-p", directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for port in ports where !Self.waitForPort(port) {
            stop()
            let log = (try? String(contentsOf: directory.appendingPathComponent("nginx-error.log"), encoding: .utf8)) ?? ""
            throw Tmpfs.CommandFailed(command: "nginx -c \(configFile.path)", output: log)
        }
    }

    deinit { stop() }

    /// SIGKILL: the test runner starts children with signals blocked, so nginx could never
    /// act on a SIGTERM; there is nothing of its state worth a graceful shutdown.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A port nobody listens on right now.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func waitForPort(_ port: Int) -> Bool {
        for _ in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return true }
            usleep(25_000)
        }
        return false
    }
}

/// A certificate authority made by openssl for one test, and a server certificate it signed
/// for 127.0.0.1.
public struct TestCA: Sendable {
    public let certificate: URL
    public let serverCertificate: URL
    public let serverKey: URL

    public init(directory: URL) throws {
        certificate = directory.appendingPathComponent("ca.pem")
        serverCertificate = directory.appendingPathComponent("server.pem")
        serverKey = directory.appendingPathComponent("server.key")
        let caKey = directory.appendingPathComponent("ca.key")
        let request = directory.appendingPathComponent("server.csr")
        let extensions = directory.appendingPathComponent("server.ext")
        try Data("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n".utf8)
            .write(to: extensions)
        let openssl = "/usr/bin/openssl"
        try Tmpfs.run(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                "-keyout", caKey.path, "-out", certificate.path, "-days", "2", "-subj", "/CN=modelpin test CA"])
        try Tmpfs.run(openssl, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                "-keyout", serverKey.path, "-out", request.path, "-subj", "/CN=127.0.0.1"])
        try Tmpfs.run(openssl, ["x509", "-req", "-in", request.path, "-CA", certificate.path, "-CAkey", caKey.path,
                                "-CAcreateserial", "-out", serverCertificate.path, "-days", "2", "-extfile", extensions.path])
    }
}
