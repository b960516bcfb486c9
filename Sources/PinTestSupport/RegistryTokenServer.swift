import Crypto
public import Foundation

/// The suite's own registry token server (distribution's token auth, docs/spec/auth/token.md):
/// `GET /token?service=…&scope=repository:NAME:pull,push` with Basic credentials answers a JWT
/// granting the scopes asked for; wrong credentials get 401; no credentials get a token that
/// grants nothing (so the registry says 401 again, as Docker Hub does for private repos).
///
/// The JWT is ES256, signed with a P-256 key made for this test, whose self-signed certificate
/// (made by openssl) rides in the header's `x5c` and is the registry's `rootcertbundle`:
/// distribution 2.8 checks the chain, the issuer, the audience (`service`) and the times.
public final class RegistryTokenServer: @unchecked Sendable {
    // @unchecked: the key and settings are immutable; `recorded` is guarded by `lock`.

    public static let service = "modelpin-test-registry"
    public static let issuer = "modelpin-test-token-issuer"

    /// One token request as the server saw it (never the password).
    public struct Request: Sendable, Equatable {
        /// The Basic user name, or nil for an anonymous request.
        public let user: String?
        public let scopes: [String]
        /// The credentials were right (or absent): a token was issued.
        public let issued: Bool
    }

    public let certificate: URL
    private let key: P256.Signing.PrivateKey
    private let certificateDER: Data
    private let user: String
    private let password: String
    private var server: LoopbackHTTPServer!
    private let lock = NSLock()
    private var recorded: [Request] = []

    public var realm: String { "\(server.baseURL)/token" }
    public var port: Int { server.port }

    public init(directory: URL, user: String, password: String) throws {
        self.user = user
        self.password = password
        key = P256.Signing.PrivateKey()
        let keyFile = directory.appendingPathComponent("token-signing.key")
        certificate = directory.appendingPathComponent("token-signing.pem")
        let derFile = directory.appendingPathComponent("token-signing.der")
        try Data(key.pemRepresentation.utf8).write(to: keyFile)
        try Tmpfs.run("/usr/bin/openssl", ["req", "-x509", "-key", keyFile.path, "-out", certificate.path, "-days", "2",
                                           "-subj", "/CN=modelpin test token issuer"])
        try Tmpfs.run("/usr/bin/openssl", ["x509", "-in", certificate.path, "-outform", "DER", "-out", derFile.path])
        certificateDER = try Data(contentsOf: derFile)
        server = try LoopbackHTTPServer { [unowned self] request in self.answer(request) }
    }

    public func stop() { server.stop() }

    /// Every token request so far, in order.
    public var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// The identity token (`docker login`'s refresh token for OAuth2 registries) this server
    /// accepts in place of the password: `POST /token` with `grant_type=refresh_token`.
    public var identityToken: String { "identity-of-" + user }

    private func answer(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard request.path == "/token" else { return .text(404, "not found") }
        if request.method == "POST" { return refresh(request) }
        let query = URLComponents(string: request.target)?.queryItems ?? []
        let scopes = query.filter { $0.name == "scope" }.compactMap(\.value)
        let service = query.first { $0.name == "service" }?.value
        var presented: (String, String)?
        if let header = request.headers["authorization"] {
            guard let pair = Self.basicCredentials(header) else { return .text(400, "malformed Authorization") }
            presented = pair
        }
        let valid = presented.map { $0 == (user, password) } ?? true
        record(Request(user: presented?.0, scopes: scopes, issued: valid && service == Self.service))
        guard service == Self.service else { return .text(400, "unknown service") }
        guard valid else {
            return .text(401, #"{"errors":[{"code":"UNAUTHORIZED","message":"wrong user name or password"}]}"#)
        }
        let granted = presented == nil ? [] : scopes.compactMap(Self.access)
        do {
            let token = try jwt(subject: presented?.0 ?? "", access: granted)
            let body = try JSONSerialization.data(withJSONObject: ["token": token, "access_token": token, "expires_in": 300])
            return LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(Array(body)))
        } catch {
            return .text(500, "cannot sign: \(error)")
        }
    }

    /// oauth.md's refresh-token grant: a form with `refresh_token`, `service` and one
    /// space-separated `scope`.
    private func refresh(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        var form = URLComponents()
        form.percentEncodedQuery = String(decoding: request.body, as: UTF8.self)
        let items = form.queryItems ?? []
        let value = { (name: String) in items.first { $0.name == name }?.value }
        let scopes = value("scope")?.split(separator: " ").map(String.init) ?? []
        let valid = value("grant_type") == "refresh_token" && value("refresh_token") == identityToken && value("service") == Self.service
        record(Request(user: valid ? user : nil, scopes: scopes, issued: valid))
        guard valid else { return .text(401, #"{"error":"invalid_grant"}"#) }
        do {
            let token = try jwt(subject: user, access: scopes.compactMap(Self.access))
            let body = try JSONSerialization.data(withJSONObject: ["access_token": token, "expires_in": 300, "scope": scopes.joined(separator: " ")])
            return LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(Array(body)))
        } catch {
            return .text(500, "cannot sign: \(error)")
        }
    }

    private func record(_ request: Request) {
        lock.lock()
        recorded.append(request)
        lock.unlock()
    }

    /// `repository:NAME:pull,push` → the claim's access entry (a repository name has no colon).
    static func access(_ scope: String) -> [String: Any]? {
        let parts = scope.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return ["type": String(parts[0]), "name": String(parts[1]), "actions": parts[2].split(separator: ",").map(String.init)]
    }

    static func basicCredentials(_ header: String) -> (String, String)? {
        guard header.lowercased().hasPrefix("basic "), let data = Data(base64Encoded: String(header.dropFirst(6))) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private func jwt(subject: String, access: [[String: Any]]) throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        let header: [String: Any] = ["typ": "JWT", "alg": "ES256", "x5c": [certificateDER.base64EncodedString()]]
        let claims: [String: Any] = [
            "iss": Self.issuer, "sub": subject, "aud": Self.service, "exp": now + 300, "nbf": now - 10, "iat": now,
            "jti": UUID().uuidString, "access": access,
        ]
        let signingInput = try Self.base64URL(JSONSerialization.data(withJSONObject: header))
            + "." + Self.base64URL(JSONSerialization.data(withJSONObject: claims))
        // ES256's signature is r‖s (64 bytes), which is swift-crypto's raw representation.
        let signature = try key.signature(for: Data(signingInput.utf8)).rawRepresentation
        return signingInput + "." + Self.base64URL(signature)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
