import Foundation
import PinDigest
import PinModel
import PinRegistry
import PinTestSupport
import Testing

/// skopeo (Debian) and the client agree on what is in the registry, with token auth on.
@Suite("RegistryClient and skopeo")
struct SkopeoCrossCheckTests {
    @Test("skopeo reads what the client pushed; the client reads what skopeo copied in")
    func crossCheck() throws {
        try withTemporaryDirectory("registry") { directory in
            let (user, password) = ("skopeo-user", "skopeo-password")
            let registry = try RegistryServer(directory: directory.appendingPathComponent("registry"), auth: .token(user: user, password: password))
            let skopeo = RegistrySkopeo(sandbox: directory.appendingPathComponent("skopeo"), credentials: "\(user):\(password)")
            let credentials = Fixture.credentials(user, password)
            let config = try Fixture.blob(directory, "config", text: #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#)
            let layer = try Fixture.blob(directory, "layer", count: 400_000, seed: 31)
            let pushed = try Fixture.pushImage(Fixture.client(registry.reference("cross/a"), credentials: credentials), config: config, layers: [layer], tag: "v1")

            let raw = try skopeo.inspect("docker://\(registry.authority)/cross/a:v1", raw: true)
            #expect(raw.status == 0, "\(raw.stderr)")
            #expect(Array(raw.stdout.utf8) == pushed)

            // skopeo copies it to another repository (its own upload code), the client reads it.
            let copied = try skopeo.copy("docker://\(registry.authority)/cross/a:v1", "docker://\(registry.authority)/cross/b:copied")
            #expect(copied.status == 0, "\(copied.stderr)")
            let reader = try Fixture.client(registry.reference("cross/b"), credentials: credentials)
            let manifest = try reader.manifest("copied")
            #expect(manifest.bytes == pushed, "\(String(decoding: manifest.bytes, as: UTF8.self))")
            #expect(try Fixture.read(reader, layer.digest) == layer.bytes)
        }
    }
}
