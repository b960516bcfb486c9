import Foundation
import PinModel
import PinTransport

/// How the registry wants to be spoken to, learnt from its first 401.
enum AuthMode {
    /// No challenge seen yet: requests go anonymous.
    case anonymous
    case basic
    case bearer(realm: HTTPURL, service: String?)
}

/// A token with its expiry.
struct CachedToken {
    let header: String
    let expires: Date
}

extension RegistryClient {
    /// `repository:NAME:ACTIONS`, as the token spec spells a scope.
    static func scope(_ repository: String, _ actions: String) -> String {
        "repository:\(repository):\(actions)"
    }

    var pullScopes: [String] { [Self.scope(reference.repository, "pull")] }
    var pushScopes: [String] { [Self.scope(reference.repository, "pull,push")] }

    /// Runs `attempt` with the `Authorization` line the registry wants (none at first); on a
    /// 401 learns the challenge, gets a credential for `scopes` and runs it once more. Other
    /// failures come back as `RegistryError.transport` (403 as `.denied`).
    func authorized<T>(
        _ scopes: [String], what: String, _ attempt: (String?) throws(TransportError) -> T
    ) throws(RegistryError) -> T {
        var credential = try currentCredential(scopes)
        var answeredChallenge = false
        while true {
            do {
                return try attempt(credential)
            } catch {
                if case .cancelled = error { throw .cancelled }
                guard case .http(_, let status, let head, let body) = error else { throw wrap(error) }
                if status == 403 {
                    throw .denied(registry: reference.authority, repository: reference.repository, action: what, detail: body)
                }
                guard status == 401 else { throw wrap(error) }
                guard !answeredChallenge else {
                    if head.header("www-authenticate")?.contains("insufficient_scope") == true, credentials != nil {
                        throw .denied(registry: reference.authority, repository: reference.repository, action: what, detail: body)
                    }
                    throw .unauthorized(registry: reference.authority, repository: reference.repository, user: credentials?.username, detail: body)
                }
                answeredChallenge = true
                // A token the registry refused (revoked, or expired early) is not asked again.
                tokens.removeAll()
                try learn(challengeHeader: head.header("www-authenticate"))
                credential = try currentCredential(scopes)
                guard credential != nil else {
                    throw .unauthorized(registry: reference.authority, repository: reference.repository, user: nil, detail: body)
                }
            }
        }
    }

    func wrap(_ error: TransportError) -> RegistryError {
        if case .cancelled = error { return .cancelled }
        return .transport(registry: reference.authority, repository: reference.repository, error)
    }

    /// Takes the registry's challenge: the first `Bearer` one, else `Basic`.
    func learn(challengeHeader: String?) throws(RegistryError) {
        let registry = reference.authority
        guard let challengeHeader else { throw .badChallenge(registry: registry, reason: "a 401 without `WWW-Authenticate`") }
        let challenges: [AuthChallenge]
        do {
            challenges = try AuthChallenge.parse(challengeHeader)
        } catch {
            throw .badChallenge(registry: registry, reason: error.description)
        }
        if let bearer = challenges.first(where: { $0.scheme == "bearer" }) {
            guard let realmText = bearer.parameters["realm"], let realm = HTTPURL(realmText) else {
                throw .badChallenge(registry: registry, reason: "the Bearer challenge has no http(s) `realm`")
            }
            try checkRealm(realm)
            authMode = .bearer(realm: realm, service: bearer.parameters["service"])
            // Scopes the challenge names beyond this repository (ours are asked per request,
            // with the actions the operation needs) are added to token requests.
            let own = Self.scope(reference.repository, "")
            challengeScopes = (bearer.parameters["scope"]?.split(separator: " ").map(String.init) ?? []).filter { !$0.hasPrefix(own) }
        } else if challenges.contains(where: { $0.scheme == "basic" }) {
            authMode = .basic
        } else {
            throw .badChallenge(registry: registry, reason: "no Bearer or Basic challenge (got \(challenges.map(\.scheme).joined(separator: ", ")))")
        }
    }

    /// Credentials go to the realm, so it must be https; plain http only for a loopback realm
    /// under --plain-http (or any under the loud --allow-insecure-registry).
    func checkRealm(_ realm: HTTPURL) throws(RegistryError) {
        guard !realm.isSecure else { return }
        let allowed = options.plainHTTP && (RegistryReference.isLoopback(host: realm.host) || options.allowInsecureRegistry)
        guard allowed else {
            throw .badChallenge(registry: reference.authority, reason: "the token realm `\(realm)` is plain http; only https realms are asked for tokens")
        }
    }

    /// The `Authorization` line for `scopes` under what the registry asked for, getting a
    /// token when none is cached; nil while no challenge has been seen.
    func currentCredential(_ scopes: [String]) throws(RegistryError) -> String? {
        switch authMode {
        case .anonymous:
            return nil
        case .basic:
            guard let user = credentials?.username, let password = credentials?.password else { return nil }
            return "Authorization: Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        case .bearer(let realm, let service):
            let all = Array(Set(scopes + challengeScopes)).sorted()
            let key = all.joined(separator: " ")
            if let cached = tokens[key], cached.expires > Date() { return cached.header }
            let token = try requestToken(realm: realm, service: service, scopes: all)
            tokens[key] = token
            return token.header
        }
    }

    /// The token request (distribution's token.md): GET realm?service=…&scope=… with Basic
    /// credentials when there are some, or the OAuth2 refresh-token POST (oauth.md) for an
    /// identity token.
    func requestToken(realm: HTTPURL, service: String?, scopes: [String]) throws(RegistryError) -> CachedToken {
        var parameters: [(String, String)] = []
        if let service { parameters.append(("service", service)) }
        for scope in scopes { parameters.append(("scope", scope)) }
        let client = try tokenClient(for: realm)
        let limit = 1 << 20
        var answer: [UInt8] = []
        do {
            if let identityToken = credentials?.identityToken {
                // oauth.md: one `scope` parameter, its entries space-separated.
                var form = service.map { [("service", $0)] } ?? []
                if !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
                let body = Self.formEncode(form + [("grant_type", "refresh_token"), ("client_id", "modelpin"), ("refresh_token", identityToken)])
                (_, answer) = try client.send(.post, realm, headers: ["Content-Type: application/x-www-form-urlencoded"], body: .bytes(Array(body.utf8)), limit: limit)
            } else {
                if let user = credentials?.username { parameters.append(("account", user)) }
                let url = HTTPURL(realm.description + (realm.pathAndQuery.contains("?") ? "&" : "?") + Self.formEncode(parameters)) ?? realm
                var basic: String?
                if let user = credentials?.username, let password = credentials?.password {
                    basic = "Authorization: Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
                }
                try client.get(url, credential: basic) { chunk in
                    guard answer.count + chunk.count <= limit else { throw RegistryResponseTooLarge(limit: limit) }
                    answer.append(contentsOf: chunk)
                }
            }
        } catch {
            if case .cancelled = error { throw .cancelled }
            if case .http(_, let status, _, let detail) = error, status == 401 || status == 403 {
                throw .unauthorized(registry: reference.authority, repository: reference.repository, user: credentials?.username,
                                    detail: "the token server \(realm.origin) answered HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)"))
            }
            throw .transport(registry: reference.authority, repository: reference.repository, error)
        }
        return try Self.parseToken(answer, registry: reference.authority, realm: realm)
    }

    /// `{"token": …}` or `{"access_token": …}`, `expires_in` seconds (60 when absent, per the spec).
    static func parseToken(_ body: [UInt8], registry: String, realm: HTTPURL) throws(RegistryError) -> CachedToken {
        struct Answer: Decodable {
            var token: String?
            var access_token: String?
            var expires_in: Int?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body)),
              let token = answer.token ?? answer.access_token, !token.isEmpty,
              token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            throw .badChallenge(registry: registry, reason: "the token server \(realm.origin) did not answer a usable token")
        }
        // Refresh a little early, so a token never expires between cache check and use.
        let lifetime = max(10, min(answer.expires_in ?? 60, 86_400)) - 5
        return CachedToken(header: "Authorization: Bearer " + token, expires: Date().addingTimeInterval(TimeInterval(lifetime)))
    }

    /// The realm gets its own HTTPClient: it may be another origin, with its own plain-http
    /// allowance, and sharing the registry's would let the policy's exceptions leak across.
    func tokenClient(for realm: HTTPURL) throws(RegistryError) -> HTTPClient {
        if let client = tokenClients[realm.origin] { return client }
        var policy = options.policy
        policy.plainHTTPOrigins = realm.isSecure ? [] : [realm.origin]
        do {
            let client = try HTTPClient(policy: policy, cancellation: http.cancellation, transport: transport)
            tokenClients[realm.origin] = client
            return client
        } catch {
            throw wrap(error)
        }
    }

    /// application/x-www-form-urlencoded, every byte outside unreserved percent-encoded.
    static func formEncode(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

struct RegistryResponseTooLarge: Error, CustomStringConvertible {
    let limit: Int
    var description: String { "the answer is larger than \(limit) bytes" }
}

extension String {
    func leftPadded(to count: Int) -> String {
        self.count >= count ? self : String(repeating: "0", count: count - self.count) + self
    }
}
