import Foundation
import PinDigest
import PinModel
import PinServe
import PinStore
import PinTestSupport
import PinWorkspace
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Errors as the Hub sends them, tokens, hostile requests and a corrupt store.
@Suite("Serving safely", .serialized)
struct ServeSecurityTests {
    /// A catalog that answers every snapshot with one error: the HTTP mapping of each case.
    struct FailingCatalog: ServeCatalog {
        let error: ServeError
        func snapshot(_ repo: RepoID, revision: String) async throws(ServeError) -> ServedSnapshot { throw error }
        func open(_ path: String, in snapshot: ServedSnapshot) async throws(ServeError) -> ServedBlob { throw error }
    }

    static let repo = try! RepoID(parsing: "acme/tiny-model")
    static let errors: [(error: ServeError, status: Int, code: String?)] = [
        (.repoNotFound(repo), 404, "RepoNotFound"),
        (.revisionNotFound(repo, revision: "nope"), 404, "RevisionNotFound"),
        (.entryNotFound(repo, path: "x"), 404, "EntryNotFound"),
        (.gated(repo, reason: "not on the allowlist"), 403, "GatedRepo"),
        (.integrity(repo, path: "x", reason: "digest mismatch"), 500, nil),
        (.unavailable(repo, reason: "upstream down"), 502, nil),
    ]

    @Test(arguments: errors)
    func eachCatalogErrorIsTheHubsAnswer(error: ServeError, status: Int, code: String?) async throws {
        try await ServeFixture.with(catalog: { _, _ in FailingCatalog(error: error) }) { fixture in
            for target in ["/api/models/acme/tiny-model/revision/main", "/acme/tiny-model/resolve/main/config.json"] {
                let response = try await fixture.request(target)
                #expect(response.status == status, "\(target)")
                #expect(response.header("X-Error-Code") == code, "\(target)")
                let body = try #require(try response.json() as? [String: Any])
                #expect(body["error"] is String)
                // The operator's reasons stay in the server's log.
                #expect(!response.text.contains("allowlist") && !response.text.contains("upstream down"))
            }
        }
    }

    /// The real catalog's not-found family, through the server.
    @Test func theStoresMissesAreTheHubs404Family() async throws {
        try await ServeFixture.with { fixture in
            let cases: [(String, String)] = [
                ("/api/models/acme/other-model", "RepoNotFound"),
                ("/acme/other-model/resolve/main/config.json", "RepoNotFound"),
                ("/api/models/acme/tiny-model/revision/v9", "RevisionNotFound"),
                ("/acme/tiny-model/resolve/v9/config.json", "RevisionNotFound"),
                ("/acme/tiny-model/resolve/main/missing.bin", "EntryNotFound"),
                ("/api/datasets/acme/tiny-model", "RepoNotFound"),
            ]
            for (target, code) in cases {
                let response = try await fixture.request(target)
                #expect(response.status == 404, "\(target)")
                #expect(response.header("X-Error-Code") == code, "\(target)")
            }
        }
    }

    // MARK: tokens

    static func tokenFile(_ directory: FilePath, mode: mode_t, _ text: String) throws -> FilePath {
        let path = directory.appending("tokens")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path.string))
        chmod(path.string, mode)
        return path
    }

    @Test func aTokenFileIsReadOnceAndMustBePrivate() throws {
        try withTemporaryDirectory("serve-tokens") { url in
            let directory = FilePath(url.path)
            let open = try Self.tokenFile(directory, mode: 0o644, "secret\n")
            #expect { try ServeTokens.load(open) } throws: { error in
                "\(error)".contains("readable or writable by every user") && (error as? ServeSetupFailure)?.hint?.contains("chmod 600") == true
            }
            let empty = try Self.tokenFile(directory, mode: 0o600, "# nothing here\n\n")
            #expect { try ServeTokens.load(empty) } throws: { "\($0)".contains("lists no token") }
            let spaced = try Self.tokenFile(directory, mode: 0o600, "two words\n")
            #expect { try ServeTokens.load(spaced) } throws: { "\($0)".contains("line 1") }
            let good = try Self.tokenFile(directory, mode: 0o600, "# team tokens\nalpha-1\r\n\n  beta-2  \n")
            let tokens = try ServeTokens.load(good)
            #expect(tokens.count == 2)
            #expect(tokens.accepts(authorization: "Bearer alpha-1"))
            #expect(tokens.accepts(authorization: "bearer beta-2"))
            #expect(!tokens.accepts(authorization: "Bearer alpha-"))
            #expect(!tokens.accepts(authorization: "Bearer alpha-12"))
            #expect(!tokens.accepts(authorization: "alpha-1"))
            #expect(!tokens.accepts(authorization: "Bearer "))
            #expect(!tokens.accepts(authorization: nil))
        }
    }

    @Test func withTokensEveryRequestButHealthNeedsOne() async throws {
        try await ServeFixture.with(configure: { $0.tokens = ServeTokens(tokens: ["team-secret"]) }) { fixture in
            let info = "/api/models/acme/tiny-model"
            let none = try await fixture.request(info)
            #expect(none.status == 401)
            // What huggingface_hub maps to RepositoryNotFoundError, with its "log in" advice.
            #expect(none.header("X-Error-Code") == "RepoNotFound")
            let wrong = try await fixture.request(info, headers: ["Authorization": "Bearer team-secreT"])
            #expect(wrong.status == 401)
            #expect(wrong.header("X-Error-Message") == "Invalid credentials in Authorization header")
            #expect(try await fixture.request(info, headers: ["Authorization": "Bearer team-secret"]).status == 200)
            let file = try await fixture.request("/acme/tiny-model/resolve/main/config.json", headers: ["Authorization": "Bearer team-secret"])
            #expect(file.body == ServeFixture.config)
            #expect(try await fixture.request("/acme/tiny-model/resolve/main/config.json").status == 401)
            #expect(try await fixture.request("/metrics").status == 401)
            #expect(try await fixture.request("/healthz").status == 200)
            // The access log never holds the token.
            try await Self.settle { fixture.log.entries.count >= 7 }
            #expect(!fixture.log.entries.map(\.jsonLine).joined().contains("team-secret"))
        }
    }

    // MARK: hostile requests

    /// Each row, and what a naive server (decode the whole target, join it onto a directory,
    /// open it; serve the whole file for a range it does not understand; no limits, no timers)
    /// would do instead.
    static let hostile: [(label: String, request: String, status: ClosedRange<Int>)] = [
        // Naive: decodes to ../../../etc/passwd under its root and serves the system's file.
        ("encoded ..", "GET /acme/tiny-model/resolve/main/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
        // Naive: decodes `..%2F` into a walk from the snapshot to the store's own files.
        ("encoded ../ in one segment", "GET /acme/tiny-model/resolve/main/..%2F..%2F..%2Findex.json HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
        // Naive: C's open() stops at the NUL and opens config.json for `config.json\0.txt`.
        ("NUL", "GET /acme/tiny-model/resolve/main/config.json%00.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
        ("backslash", "GET /acme/tiny-model/resolve/main/..%5C..%5Cindex.json HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
        ("NUL in the revision", "GET /acme/tiny-model/resolve/ma%00in/config.json HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
        // Naive: no limit, so any length is looked up (and logged, and kept in memory).
        ("overlong path", "GET /acme/tiny-model/resolve/main/\(String(repeating: "a", count: 6000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414...414),
        // Naive: reads headers without a limit.
        ("overlong header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: \(String(repeating: "a", count: 120_000))\r\n\r\n", 400...431),
        // Naive: serves the whole file (200) for ranges it cannot parse.
        ("multi range", "GET /acme/tiny-model/resolve/main/config.json HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,3-4\r\n\r\n", 416...416),
        ("absurd range", "GET /acme/tiny-model/resolve/main/config.json HTTP/1.1\r\nHost: x\r\nRange: bytes=18446744073709551616-\r\n\r\n", 416...416),
        ("negative range", "GET /acme/tiny-model/resolve/main/config.json HTTP/1.1\r\nHost: x\r\nRange: bytes=-5-10\r\n\r\n", 416...416),
        // Naive: answers any method the way it answers GET.
        ("DELETE", "DELETE /acme/tiny-model/resolve/main/config.json HTTP/1.1\r\nHost: x\r\n\r\n", 405...405),
        ("PUT", "PUT /acme/tiny-model/resolve/main/config.json HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", 405...405),
        ("unknown method", "BREW /acme/tiny-model/resolve/main/config.json HTTP/1.1\r\nHost: x\r\n\r\n", 400...405),
        // Naive: treats the absolute form as a path under its root.
        ("absolute-form target", "GET http://evil.test/acme/tiny-model/resolve/main/config.json HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
        // Naive: reads a body of any size into memory.
        ("huge body", "POST /api/models/acme/tiny-model/paths-info/main HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n\(String(repeating: "p", count: 2_000_000))", 413...413),
    ]

    @Test(arguments: hostile)
    func aHostileRequestGets4xxAndNoFile(label: String, request: String, status: ClosedRange<Int>) async throws {
        // The rows keep their connection open (HTTP/1.1); the deadline closes it after the answer.
        try await ServeFixture.with(configure: { $0.requestTimeout = .seconds(1) }) { fixture in
            let response = try await RawHTTP.exchange(port: fixture.port, Array(request.utf8))
            #expect(status.contains(response.status), "\(label): \(response.status)")
            #expect(response.body != ServeFixture.config, "\(label)")
            #expect(!response.text.contains("root:"), "\(label)")
            // The server is still there for the next client.
            #expect(try await fixture.request("/healthz").status == 200, "\(label)")
        }
    }

    /// A client that trickles its header a byte at a time is cut off once the request deadline
    /// passes, though bytes keep arriving (a read-idle timer alone would be reset by each byte).
    @Test func aSlowlorisIsCutOff() async throws {
        try await ServeFixture.with(configure: { $0.requestTimeout = .seconds(1) }) { fixture in
            let started = ContinuousClock.now
            let closed = try await RawHTTP.offThePool { () -> Bool in
                let socket = try RawHTTP.connect(port: fixture.port)
                defer { close(socket) }
                RawHTTP.send(socket, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n".utf8))
                for _ in 0..<40 {
                    // MSG_NOSIGNAL: a write to the closed socket fails instead of killing the test.
                    let sent = [UInt8(ascii: "X")].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
                    var probe: UInt8 = 0
                    let peeked = recv(socket, &probe, 1, Int32(MSG_DONTWAIT))
                    if sent < 0 || peeked == 0 { return true }
                    usleep(100_000)
                }
                return false
            }
            #expect(closed)
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    // MARK: the store

    @Test func aCorruptBlobIsNeverServedAndIsCounted() async throws {
        try await ServeFixture.with { fixture in
            try fixture.corruptBlob(of: ServeFixture.weights)
            let response = try await fixture.request("/acme/tiny-model/resolve/main/model.safetensors")
            #expect(response.status == 500)
            #expect(response.body.count < 1000)
            #expect(try fixture.metric("modelpin_serve_verification_failures_total") == 1)
            #expect(fixture.log.errors.contains { $0.contains("model.safetensors") })
            // HEAD names the file (its size and ETag come from the snapshot, not the blob)…
            #expect(try await fixture.request("HEAD", "/acme/tiny-model/resolve/main/model.safetensors").status == 200)
            // …and the other files are served as before.
            #expect(try await fixture.request("/acme/tiny-model/resolve/main/config.json").body == ServeFixture.config)
            let metrics = try await fixture.request("/metrics")
            #expect(metrics.text.contains("modelpin_serve_requests_total{route=\"resolve\",status=\"500\"} 1"))
        }
    }

    /// Polls `condition` for up to two seconds (access lines are written once a response ends).
    static func settle(_ condition: () -> Bool) async throws {
        for _ in 0..<100 where !condition() { try await Task.sleep(for: .milliseconds(20)) }
    }
}
