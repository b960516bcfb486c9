import Foundation
import PinDigest
import PinModel
import PinRegistry
import PinTestSupport
import PinTransport
import Synchronization
import Testing

/// Auth against the real registry: htpasswd (Basic) and token auth through the suite's token
/// server; credentials never reach another host nor any message.
@Suite("RegistryClient auth")
struct RegistryAuthTests {
    static let user = "modelpin-tester"
    static let password = "correct-horse-battery-staple"

    @Test("token auth: anonymous first, then a token for the scope, with Basic credentials at the realm")
    func tokenAuth() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"), auth: .token(user: Self.user, password: Self.password))
            let tokens = try #require(registry.tokenServer)
            let config = try Fixture.blob(directory, "config", text: "{}")
            let layer = try Fixture.blob(directory, "layer", count: 100_000, seed: 11)
            let credentials = Fixture.credentials(Self.user, Self.password)
            let client = try Fixture.client(registry.reference("private/model"), credentials: credentials)
            let bytes = try Fixture.pushImage(client, config: config, layers: [layer], tag: "v1")
            #expect(tokens.requests.first?.user == Self.user)
            #expect(tokens.requests.first?.scopes == ["repository:private/model:pull,push"])
            // Cached per scope: one token for the whole push, not one per request.
            #expect(tokens.requests.count == 1)

            let reader = try Fixture.client(registry.reference("private/model"), credentials: credentials)
            #expect(try reader.manifest("v1").bytes == bytes)
            #expect(try Fixture.read(reader, layer.digest) == layer.bytes)
            #expect(tokens.requests.last?.scopes == ["repository:private/model:pull"])

            // The download engine's view: the blob URL and a credential for the registry only.
            let location = try reader.blobLocation(layer.digest)
            #expect(location.credential?.hasPrefix("Authorization: Bearer ") == true)
            #expect(location.url.description.hasSuffix("/v2/private/model/blobs/\(layer.digest)"))

            // Without credentials the token grants nothing and the registry says so, clearly.
            let anonymous = try Fixture.client(registry.reference("private/model"))
            #expect {
                _ = try anonymous.manifest("v1")
            } throws: { error in
                guard case .unauthorized(_, _, nil, _) = error as? RegistryError else { return false }
                return rendered(error).contains(registry.authority) && rendered(error).contains("MODELPIN_REGISTRY_USER")
            }
        }
    }

    @Test("a wrong password is refused naming the registry and the user, never the password")
    func wrongPassword() throws {
        try withTemporaryDirectory("registry") { directory in
            for auth in [RegistryServer.Auth.token(user: Self.user, password: Self.password), .htpasswd(user: Self.user, password: Self.password)] {
                let registry = try RegistryServer(directory: directory.appendingPathComponent(UUID().uuidString), auth: auth)
                let wrong = "wrong-\(Self.password)"
                let client = try Fixture.client(registry.reference("private/model"), credentials: Fixture.credentials(Self.user, wrong))
                #expect {
                    _ = try client.tags()
                } throws: { error in
                    let text = rendered(error)
                    guard case .unauthorized = error as? RegistryError else { return false }
                    return text.contains(registry.authority) && text.contains(Self.user) && !text.contains(wrong)
                        && !text.contains(Data("\(Self.user):\(wrong)".utf8).base64EncodedString())
                }
            }
        }
    }

    @Test("htpasswd: Basic challenges answered with Basic credentials")
    func basicAuth() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"), auth: .htpasswd(user: Self.user, password: Self.password))
            let config = try Fixture.blob(directory, "config", text: "{}")
            let layer = try Fixture.blob(directory, "layer", count: 50_000, seed: 12)
            let credentials = Fixture.credentials(Self.user, Self.password)
            let bytes = try Fixture.pushImage(Fixture.client(registry.reference("basic/model"), credentials: credentials), config: config, layers: [layer], tag: "v1")
            let reader = try Fixture.client(registry.reference("basic/model"), credentials: credentials)
            #expect(try reader.manifest("v1").bytes == bytes)
            #expect(try Fixture.read(reader, layer.digest) == layer.bytes)
        }
    }

    @Test("a blob GET redirected to another host is followed without the credentials")
    func redirectCarriesNoCredentials() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"), auth: .htpasswd(user: Self.user, password: Self.password))
            let layer = try Fixture.blob(directory, "layer", count: 70_000, seed: 13)
            let credentials = Fixture.credentials(Self.user, Self.password)
            _ = try Fixture.client(registry.reference("redirected"), credentials: credentials).pushBlob(layer.digest, size: layer.size, file: layer.file.path)
            // "Storage": another origin that serves the blob and records whether it got credentials.
            let sawAuthorization = Mutex(false)
            let storage = try LoopbackHTTPServer { request in
                if request.headers["authorization"] != nil { sawAuthorization.withLock { $0 = true } }
                return LoopbackHTTPServer.Response(status: 200, body: .bytes(layer.bytes))
            }
            let proxy = try RegistryProxy(upstream: registry.baseURL) { request, _ in
                guard request.method == "GET", request.path.hasSuffix("/blobs/\(layer.digest)"), request.headers["authorization"] != nil else { return nil }
                return LoopbackHTTPServer.Response(status: 307, headers: [("Location", "\(storage.baseURL)/bucket/\(layer.digest.hex)")])
            }
            let client = try Fixture.client(proxy.reference("redirected"), credentials: credentials)
            #expect(try Fixture.read(client, layer.digest) == layer.bytes)
            #expect(proxy.exchanges.contains { $0.intercepted && $0.status == 307 && $0.authorized })
            #expect(sawAuthorization.withLock { $0 } == false)
        }
    }
}

@Suite("RegistryClient token realms")
struct TokenRealmTests {
    /// A registry that answers every request with a Bearer challenge naming `realm`.
    func challenging(realm: String) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { _ in
            LoopbackHTTPServer.Response(status: 401, headers: [("WWW-Authenticate", #"Bearer realm="\#(realm)",service="s""#)], body: .bytes([]))
        }
    }

    @Test("a plain-http realm on another host is refused before any credential goes there")
    func plainRealmRefused() throws {
        let asked = Mutex(0)
        let realmServer = try LoopbackHTTPServer { _ in
            asked.withLock { $0 += 1 }
            return .text(200, #"{"token":"t"}"#)
        }
        // Loopback registry, realm on a non-loopback http host: refused even under --plain-http.
        let remote = try challenging(realm: "http://auth.example.com/token")
        let client = try Fixture.client("oci://127.0.0.1:\(remote.port)/a", credentials: Fixture.credentials("u", "p"))
        #expect {
            _ = try client.tags()
        } throws: { error in
            guard case .badChallenge = error as? RegistryError else { return false }
            return rendered(error).contains("http://auth.example.com/token")
        }
        // A loopback http realm is fine under --plain-http, and is asked.
        let local = try challenging(realm: "\(realmServer.baseURL)/token")
        _ = try? Fixture.client("oci://127.0.0.1:\(local.port)/a", credentials: Fixture.credentials("u", "p")).tags()
        #expect(asked.withLock { $0 } == 1)
    }

    @Test("an identity token is exchanged at the realm (OAuth2 refresh grant) and works for push and pull")
    func identityToken() throws {
        try withTemporaryDirectory("registry") { directory in
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"), auth: .token(user: "idt", password: "pw"))
            let tokens = try #require(registry.tokenServer)
            let credentials = RegistryCredentials(username: nil, password: nil, identityToken: tokens.identityToken, source: "the test")
            let config = try Fixture.blob(directory, "config", text: "{}")
            let layer = try Fixture.blob(directory, "layer", count: 10_000, seed: 41)
            let bytes = try Fixture.pushImage(Fixture.client(registry.reference("idt/model"), credentials: credentials), config: config, layers: [layer], tag: "v1")
            #expect(try Fixture.client(registry.reference("idt/model"), credentials: credentials).manifest("v1").bytes == bytes)
            #expect(tokens.requests.allSatisfy { $0.issued && $0.user == "idt" })
            let wrong = RegistryCredentials(username: nil, password: nil, identityToken: "stale", source: "the test")
            #expect {
                _ = try Fixture.client(registry.reference("idt/model"), credentials: wrong).manifest("v1")
            } throws: { error in
                guard case .unauthorized = error as? RegistryError else { return false }
                return !rendered(error).contains("stale")
            }
        }
    }
}
