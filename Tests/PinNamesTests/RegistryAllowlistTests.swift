import PinNames
import Testing

/// `oci://` lines of an allowlist: which registry repositories a pull may fetch.
@Suite("Allowlist entries for OCI registries")
struct RegistryAllowlistTests {
    static let text = """
        acme/tiny-model
        oci://registry.example/models/llama   # one repository
        oci://127.0.0.1:5000/team/*           # everything below team/
        oci://lab.example/*
        """

    @Test(arguments: [
        ("oci://registry.example/models/llama", true),
        ("oci://registry.example/models/llama2", false),
        ("oci://registry.example/models", false),
        ("oci://127.0.0.1:5000/team/a", true),
        ("oci://127.0.0.1:5000/team/a/b", true),
        ("oci://127.0.0.1:5000/teams/a", false),
        ("oci://127.0.0.1:5001/team/a", false),
        ("oci://lab.example/anything/here", true),
        ("oci://evil.example/models/llama", false),
    ])
    func registryRepositoriesAreAllowedOnlyAsListed(repository: String, allowed: Bool) throws {
        let checker = NameChecker(allowlist: try Allowlist.parse(Self.text, source: "allow.txt"))
        #expect(checker.allowsRegistry(repository) == allowed)
        // The Hub's entries are read as before.
        #expect(try checker.check("acme/tiny-model").isAllowed)
    }

    @Test(arguments: ["oci://", "oci://host", "oci:///repo", "oci://Host/repo", "oci://host/Repo", "oci://host/a/../b", "oci://host/repo:tag", "oci://host//repo"])
    func malformedRegistryEntriesAreRefusedWithTheirLine(line: String) {
        let error = #expect(throws: AllowlistError.self) { try Allowlist.parse("acme/x\n" + line + "\n", source: "allow.txt") }
        #expect(error?.line == 2)
    }
}
