import Foundation
import PinTestSupport
import Testing

@Suite("modelpin pull over real TLS (nginx, a test CA)")
struct PullTLSTests {
    /// nginx terminates TLS for the fake Hub's API and CDN, each on its own port.
    func withTLSHub<T>(_ body: (HubSandbox, _ endpoint: String, _ ca: URL) throws -> T) throws -> T {
        try HubSandbox.with { env throws in
            let ca = try TestCA(directory: env.directory)
            let (hubPort, cdnPort) = (Nginx.freePort(), Nginx.freePort())
            func server(_ port: Int, to upstream: String) -> String {
                """
                server {
                    listen 127.0.0.1:\(port) ssl;
                    ssl_certificate \(ca.serverCertificate.path);
                    ssl_certificate_key \(ca.serverKey.path);
                    location / { proxy_pass \(upstream); proxy_buffering off; proxy_http_version 1.1; }
                }
                """
            }
            let nginx = try Nginx(
                directory: env.directory.appendingPathComponent("nginx", isDirectory: true),
                servers: server(hubPort, to: env.hub.hub.baseURL) + server(cdnPort, to: env.hub.cdn.baseURL),
                ports: [hubPort, cdnPort])
            defer { nginx.stop() }
            env.hub.setPublicBases(hub: "https://127.0.0.1:\(hubPort)", cdn: "https://127.0.0.1:\(cdnPort)")
            return try body(env, "https://127.0.0.1:\(hubPort)", ca.certificate)
        }
    }

    @Test func pullsOverHTTPSWithTheCABundleGiven() throws {
        try withTLSHub { env, endpoint, ca throws in
            let outcome = try env.sandbox.run("pull", "acme/tiny-model", "--endpoint", endpoint, "--cacert", ca.path)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights))

            var modelpin = env.sandbox.modelpin
            modelpin.environment["SSL_CERT_FILE"] = ca.path
            let viaEnvironment = try modelpin.run(["pull", "acme/tiny-model", "--endpoint", endpoint, "--to", "again"])
            #expect(viaEnvironment.status == 0, "\(viaEnvironment.stderr)")
        }
    }

    @Test func anUnknownCertificateIsRefused() throws {
        try withTLSHub { env, endpoint, _ throws in
            let outcome = try env.sandbox.run("pull", "acme/tiny-model", "--endpoint", endpoint)
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("error: cannot verify the server's certificate for `\(endpoint)/api/models/acme/tiny-model/revision/main`"))
            #expect(outcome.stderr.contains("hint: if a proxy or private mirror uses its own CA, pass its certificate with --cacert"))
            #expect(env.hub.log.isEmpty)
        }
    }

    @Test func aRedirectFromHTTPSToPlainHTTPIsRefused() throws {
        try withTLSHub { env, endpoint, ca throws in
            let sha = sha256Hex(Data(HubSandbox.weights))
            env.hub.configure { $0.lfsLocation = "\(env.hub.cdn.baseURL)/cdn/\(sha)" }
            let outcome = try env.sandbox.run("pull", "acme/tiny-model", "--endpoint", endpoint, "--cacert", ca.path,
                                              "--include", "model.safetensors")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("refusing the redirect from"))
            #expect(outcome.stderr.contains("caused by: a redirect from https to plain http would downgrade the connection"))
            #expect(!env.hub.log.contains { $0.server == "cdn" })
            #expect(env.sandbox.names(env.sandbox.blobs).isEmpty)
        }
    }
}
