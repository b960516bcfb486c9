import ArgumentParser
import Testing

@testable import PinCLI

/// `push oci://…` and `pull oci://…` on the command line: what is parsed, and what is refused
/// before anything runs.
@Suite("OCI references on the command line")
struct OCICommandLineTests {
    @Test func pullSplitsAnOCIReferenceIntoRepositoryAndTagOrDigest() throws {
        let tagged = try #require(try Modelpin.parseAsRoot(["pull", "oci://127.0.0.1:5000/models/tiny:v1", "--plain-http"]) as? PullCommand)
        #expect(try tagged.requested() == ("oci://127.0.0.1:5000/models/tiny", "v1"))
        #expect(tagged.registry.plainHttp)
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let pinned = try #require(try Modelpin.parseAsRoot(["pull", "oci://r.example/m@" + digest]) as? PullCommand)
        #expect(try pinned.requested() == ("oci://r.example/m", digest))
        let bare = try #require(try Modelpin.parseAsRoot(["pull", "oci://r.example/a/b"]) as? PullCommand)
        #expect(try bare.requested() == ("oci://r.example/a/b", "latest"))
    }

    @Test(arguments: [
        ["pull", "oci://r.example/m:v1", "--revision", "v2"],
        ["pull", "oci://r.example", "--to", "x"],
        ["pull", "oci://r.example/m:v1", "--allow-insecure-registry"],
        ["push", "https://r.example/m:v1", "acme/x"],
        ["push", "oci://r.example/m:v1", "acme/x", "--allow-insecure-registry"],
    ])
    func malformedOCICommandLinesAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { _ = try Modelpin.parseAsRoot(arguments) }
    }

    @Test func pushTakesATargetAndAModel() throws {
        let push = try #require(try Modelpin.parseAsRoot(["push", "oci://r.example/m:v1", "tiny", "--plain-http", "--allow-insecure-registry"]) as? PushCommand)
        #expect(push.target == "oci://r.example/m:v1")
        #expect(push.model == "tiny")
        #expect(push.registry.allowInsecureRegistry)
    }
}
