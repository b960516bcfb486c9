import Foundation
import PinTestSupport
import PinTransport
import Testing

@Suite("HTTP client: methods, uploads and origin-bound credentials")
struct SendTests {
    /// A server that answers every request with what it received: method, body digest, headers.
    static func echo() throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            let auth = request.headers["authorization"] ?? "-"
            return .text(201, "\(request.method) \(request.body.count) \(request.body.reduce(0) { ($0 &* 31) &+ Int($1) }) \(auth)",
                         headers: [("Location", "/next"), ("X-Method", request.method)])
        }
    }

    static func client(_ server: LoopbackHTTPServer) throws -> HTTPClient {
        var policy = TransportPolicy()
        policy.plainHTTPOrigins.insert(HTTPURL(server.baseURL)!.origin)
        return try HTTPClient(policy: policy)
    }

    @Test func sendsEachMethodWithItsBody() throws {
        let server = try Self.echo()
        defer { server.stop() }
        let client = try Self.client(server)
        let url = HTTPURL(server.baseURL + "/upload")!
        let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let checksum = bytes.reduce(0) { ($0 &* 31) &+ Int($1) }
        for method in [HTTPMethod.put, .post, .patch] {
            let (head, body) = try client.send(method, url, body: .bytes(bytes))
            #expect(head.status == 201)
            #expect(String(decoding: body, as: UTF8.self) == "\(method.rawValue) 70000 \(checksum) -")
        }
        // No body: Content-Length 0, and the same handle goes back to GET and HEAD afterwards.
        let (_, empty) = try client.send(.post, url)
        #expect(String(decoding: empty, as: UTF8.self) == "POST 0 0 -")
        let (head, nothing) = try client.send(.head, url)
        #expect(head.header("x-method") == "HEAD" && nothing.isEmpty)
        let (_, got) = try client.fetch(url)
        #expect(String(decoding: got, as: UTF8.self).hasPrefix("GET 0 "))
        let (_, deleted) = try client.send(.delete, url)
        #expect(String(decoding: deleted, as: UTF8.self).hasPrefix("DELETE 0 "))
    }

    @Test func uploadsAFileRegionWithoutReadingItWhole() throws {
        let server = try Self.echo()
        defer { server.stop() }
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("blob").path
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let slice = Array(bytes[1000..<201_000])
            let checksum = slice.reduce(0) { ($0 &* 31) &+ Int($1) }
            let client = try Self.client(server)
            let (_, body) = try client.send(.patch, HTTPURL(server.baseURL + "/u")!, body: .file(path: path, offset: 1000, length: 200_000))
            #expect(String(decoding: body, as: UTF8.self) == "PATCH 200000 \(checksum) -")

            // A file shorter than announced, a missing file and a symlink all fail the request.
            #expect(throws: TransportError.self) {
                try client.send(.put, HTTPURL(server.baseURL + "/u")!, body: .file(path: path, offset: 299_000, length: 5000))
            }
            #expect(throws: TransportError.self) {
                try client.send(.put, HTTPURL(server.baseURL + "/u")!, body: .file(path: path + ".missing", offset: 0, length: 1))
            }
            let link = directory.appendingPathComponent("link").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
            #expect(throws: TransportError.self) {
                try client.send(.put, HTTPURL(server.baseURL + "/u")!, body: .file(path: link, offset: 0, length: 1))
            }
        }
    }

    @Test func sendDoesNotFollowRedirectsAndReportsErrorsWithTheirHead() throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/moved"
                ? LoopbackHTTPServer.Response(status: 307, headers: [("Location", "/elsewhere")])
                : .text(401, "denied", headers: [("WWW-Authenticate", "Bearer realm=\"x\"")])
        }
        defer { server.stop() }
        let client = try Self.client(server)
        let (head, _) = try client.send(.put, HTTPURL(server.baseURL + "/moved")!, body: .bytes([1]))
        #expect(head.status == 307 && head.header("location") == "/elsewhere")
        #expect {
            try client.send(.post, HTTPURL(server.baseURL + "/x")!)
        } throws: { error in
            guard case .http(_, 401, let head, "denied")? = error as? TransportError else { return false }
            return head.header("www-authenticate") == "Bearer realm=\"x\""
        }
    }

    @Test func aCredentialNeverFollowsARedirectToAnotherOrigin() throws {
        let storage = try Self.echo()
        defer { storage.stop() }
        let registry = try LoopbackHTTPServer { request in
            request.path == "/blob"
                ? LoopbackHTTPServer.Response(status: 307, headers: [("Location", storage.baseURL + "/bytes")])
                : .text(200, "same origin \(request.headers["authorization"] ?? "-")")
        }
        defer { registry.stop() }
        var policy = TransportPolicy()
        policy.plainHTTPOrigins = [HTTPURL(registry.baseURL)!.origin, HTTPURL(storage.baseURL)!.origin]
        let client = try HTTPClient(policy: policy)
        var body: [UInt8] = []
        try client.get(HTTPURL(registry.baseURL + "/blob")!, credential: "Authorization: Bearer secret") { body += $0 }
        #expect(String(decoding: body, as: UTF8.self).hasSuffix(" -"), "the storage host saw the registry's credential")
        body = []
        try client.get(HTTPURL(registry.baseURL + "/other")!, credential: "Authorization: Bearer secret") { body += $0 }
        #expect(String(decoding: body, as: UTF8.self) == "same origin Bearer secret")
    }
}
