import PinModel
import PinRegistry
import Testing

@Suite("RegistryReference")
struct RegistryReferenceTests {
    static let hex = String(repeating: "ab", count: 32)

    @Test("valid references parse into their parts", arguments: [
        ("oci://registry.example/models/llama:v1", "registry.example", nil, "models/llama", "v1", false),
        ("oci://127.0.0.1:5000/a/b/c", "127.0.0.1", 5000, "a/b/c", nil, false),
        ("oci://Localhost:5000/x.y_z__w--v:Tag_1.0-rc", "localhost", 5000, "x.y_z__w--v", "Tag_1.0-rc", false),
        ("oci://[::1]:8080/m", "[::1]", 8080, "m", nil, false),
        ("oci://ghcr.io/org/model:latest@sha256:" + hex, "ghcr.io", nil, "org/model", "latest", true),
        ("oci://ghcr.io/org/model@sha256:" + hex, "ghcr.io", nil, "org/model", nil, true),
    ] as [(String, String, Int?, String, String?, Bool)])
    func valid(text: String, host: String, port: Int?, repository: String, tag: String?, hasDigest: Bool) throws {
        let reference = try RegistryReference(parsing: text)
        #expect(reference.host == host)
        #expect(reference.port == port)
        #expect(reference.repository == repository)
        #expect(reference.tag == tag)
        #expect((reference.digest != nil) == hasDigest)
        if hasDigest { #expect(reference.digest?.hex == Self.hex) }
        #expect(try RegistryReference(parsing: reference.description) == reference)
    }

    @Test("malformed references are refused, naming the text", arguments: [
        "https://ghcr.io/a", "oci://ghcr.io", "oci:///a", "oci://ghcr.io/", "oci://ghcr.io/Org/model",
        "oci://ghcr.io/a//b", "oci://ghcr.io/a/", "oci://ghcr.io/-a", "oci://ghcr.io/a..b", "oci://ghcr.io/a___b",
        "oci://ghcr.io/a:.tag", "oci://ghcr.io/a:" + String(repeating: "t", count: 129), "oci://ghcr.io/a:t/b",
        "oci://ghcr.io/a@sha256:abc", "oci://ghcr.io/a@sha512:" + hex, "oci://user@ghcr.io/a", "oci://ghcr.io:0/a",
        "oci://ghcr.io:99999/a", "oci://gh cr.io/a", "oci://ghcr.io/a?x=1", "oci://ghcr.io/a#f", "oci://ghcr.io/a b",
        "oci://ghcr.io/%2e%2e/a", "oci://[::1/a", "oci://ghcr.io:/a",
    ])
    func invalid(text: String) {
        #expect {
            _ = try RegistryReference(parsing: text)
        } throws: { error in
            guard let error = error as? RegistryError, case .badReference(let named, _) = error else { return false }
            return named == text && error.kind == .usage
        }
    }

    @Test("loopback hosts are exactly 127.0.0.0/8, ::1 and localhost")
    func loopback() {
        for host in ["127.0.0.1", "127.255.0.9", "localhost", "[::1]", "::1"] { #expect(RegistryReference.isLoopback(host: host), "\(host)") }
        for host in ["128.0.0.1", "127.0.0.1.nip.io", "localhost.example", "127.0.0", "127.0.0.256", "10.0.0.1", "[::2]", "0.0.0.0"] {
            #expect(!RegistryReference.isLoopback(host: host), "\(host)")
        }
    }
}
