import Foundation

/// A deliberately small HTTP/1.1 server on 127.0.0.1 for tests and benchmarks.
///
/// Written by hand on POSIX sockets rather than with SwiftNIO or FlyingFox because its job is
/// to misbehave precisely: promise a length and hang up half-way, stall mid-body, stream
/// forever, answer a range request with the whole file. Those are awkward or impossible to
/// express through a framework that guarantees well-formed HTTP. One thread per connection,
/// keep-alive. Any method; a request body is read by its Content-Length (no chunked uploads)
/// and handed to the handler.
public final class LoopbackHTTPServer: @unchecked Sendable {
    // @unchecked: `listener` and `running` are set before the accept thread starts and only
    // read afterwards; connection threads share nothing but the handler, which is Sendable.

    public struct Request: Sendable {
        public let method: String
        /// The raw target, as sent (still percent-encoded).
        public let target: String
        /// Header names lowercased.
        public let headers: [String: String]
        /// The request body (Content-Length bytes; empty without one).
        public var body: [UInt8] = []

        public var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
        public var query: String? { target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) }
    }

    /// What a handler sends back. `body` is produced lazily so that large or endless bodies
    /// never sit in memory; `behaviour` is how the connection misbehaves, if it does.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: Body
        public var behaviour: Behaviour = .normal

        public enum Body: Sendable {
            case bytes([UInt8])
            /// A file on disk, or a slice of it.
            case file(path: String, offset: Int64, length: Int64)
            /// Bytes forever (an endless body), without a Content-Length.
            case endless
        }

        public enum Behaviour: Sendable, Equatable {
            case normal
            /// Close the connection after this many body bytes (the length promised stands).
            case dropAfter(Int64)
            /// Stop sending after this many body bytes and hold the connection open.
            case stallAfter(Int64)
            /// Send the body at about this many bytes a second (a slow link: a long transfer).
            case throttled(bytesPerSecond: Int64)
        }

        public init(status: Int, headers: [(String, String)] = [], body: Body = .bytes([]), behaviour: Behaviour = .normal) {
            self.status = status
            self.headers = headers
            self.body = body
            self.behaviour = behaviour
        }

        public static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> Response {
            Response(status: status, headers: headers + [("Content-Type", "text/plain; charset=utf-8")], body: .bytes(Array(text.utf8)))
        }
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (Request) -> Response
    private let stopped = NSLock()
    private var isStopped = false

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Listens on 127.0.0.1:`port` (0: any free port).
    public init(port requested: Int = 0, handler: @escaping @Sendable (Request) -> Response) throws {
        self.handler = handler
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(requested).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 128) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    public func stop() {
        stopped.lock()
        defer { stopped.unlock() }
        guard !isStopped else { return }
        isStopped = true
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            var yes: Int32 = 1
            setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var buffer: [UInt8] = []
        while let request = readRequest(connection, &buffer) {
            let response = handler(request)
            guard write(response, for: request, to: connection) else { return }
        }
    }

    private func readRequest(_ connection: Int32, _ buffer: inout [UInt8]) -> Request? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            if let end = buffer.firstRange(of: terminator) {
                let text = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                buffer.removeSubrange(..<end.upperBound)
                let lines = text.components(separatedBy: "\r\n")
                let parts = lines[0].split(separator: " ")
                guard parts.count >= 2 else { return nil }
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                var request = Request(method: String(parts[0]), target: String(parts[1]), headers: headers)
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while buffer.count < length {
                    let count = recv(connection, &chunk, chunk.count, 0)
                    if count <= 0 { return nil }
                    buffer += chunk[0..<count]
                }
                request.body = Array(buffer[..<length])
                buffer.removeSubrange(..<length)
                return request
            }
            let count = recv(connection, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            buffer += chunk[0..<count]
        }
    }

    /// Sends the response; false when the connection must close afterwards.
    private func write(_ response: Response, for request: Request, to connection: Int32) -> Bool {
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        var headers = response.headers
        let length: Int64?
        switch response.body {
        case .bytes(let bytes): length = Int64(bytes.count)
        case .file(_, _, let count): length = count
        case .endless: length = nil
        }
        if let length, !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
            headers.append(("Content-Length", "\(length)"))
        }
        if length == nil { headers.append(("Connection", "close")) }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        guard sendAll(connection, Array(head.utf8)) else { return false }
        if request.method == "HEAD" { return length != nil }

        var limit: Int64 = .max
        var rate: Int64?
        switch response.behaviour {
        case .normal: break
        case .dropAfter(let count), .stallAfter(let count): limit = count
        case .throttled(let bytesPerSecond): rate = max(1, bytesPerSecond)
        }
        var sent: Int64 = 0
        let started = Date()
        func send(_ bytes: ArraySlice<UInt8>) -> Bool {
            if let rate {
                // In 16 KiB steps, each sent no earlier than the rate allows.
                for start in stride(from: bytes.startIndex, to: bytes.endIndex, by: 16 << 10) {
                    let due = Double(sent) / Double(rate) - Date().timeIntervalSince(started)
                    if due > 0 { Thread.sleep(forTimeInterval: due) }
                    let piece = bytes[start..<min(bytes.endIndex, start + (16 << 10))]
                    if !sendAll(connection, Array(piece)) { return false }
                    sent += Int64(piece.count)
                }
                return true
            }
            let allowed = Int(min(Int64(bytes.count), limit - sent))
            if allowed > 0, !sendAll(connection, Array(bytes.prefix(allowed))) { return false }
            sent += Int64(allowed)
            return allowed == bytes.count
        }
        var complete = true
        switch response.body {
        case .bytes(let bytes):
            var offset = 0
            while offset < bytes.count, complete {
                complete = send(bytes[offset..<min(bytes.count, offset + 256 << 10)])
                offset += 256 << 10
            }
        case .file(let path, let offset, let count):
            guard let file = FileHandle(forReadingAtPath: path) else { return false }
            defer { try? file.close() }
            try? file.seek(toOffset: UInt64(offset))
            var remaining = count
            while remaining > 0, complete {
                let data = file.readData(ofLength: Int(min(remaining, 1 << 20)))
                if data.isEmpty { return false }
                complete = send(Array(data)[...])
                remaining -= Int64(data.count)
            }
        case .endless:
            let block = [UInt8](repeating: 0x5A, count: 64 << 10)
            while complete { complete = send(block[...]) }
        }
        if complete { return length != nil }
        if case .stallAfter = response.behaviour {
            // Hold the connection open, sending nothing, until the client gives up.
            var probe: UInt8 = 0
            while recv(connection, &probe, 1, 0) > 0 {}
        }
        return false
    }

    private func sendAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 302: "Found"
        case 307: "Temporary Redirect"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 416: "Range Not Satisfiable"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
