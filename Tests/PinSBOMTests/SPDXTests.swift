import Foundation
import PinDigest
import PinModel
@testable import PinSBOM
import Testing

/// SPDX ids, expressions and which licence texts a BOM may carry.
@Suite struct SPDXTests {
    @Test(arguments: [
        ("Apache-2.0", "Apache-2.0"), ("apache-2.0", "Apache-2.0"), ("mit", "MIT"), ("MIT", "MIT"),
        ("cc-by-4.0", "CC-BY-4.0"), ("gpl-3.0", "GPL-3.0"), ("bsd-3-clause", "BSD-3-Clause"), ("cc0-1.0", "CC0-1.0"),
    ])
    func idsAreMatchedWithoutCase(text: String, id: String) {
        #expect(SPDX.licenceID(text) == id)
        #expect(SPDX.expression(text)?.singleID == id)
    }

    @Test(arguments: ["other", "unknown", "llama3.1", "gemma", "openrail", "bigscience-openrail-m", "", "Apache 2.0", "GPL-3.0+ AND"])
    func notSPDX(text: String) {
        #expect(SPDX.expression(text)?.singleID == nil)
    }

    @Test(arguments: [
        ("mit OR apache-2.0", "MIT OR Apache-2.0"),
        ("(MIT AND BSD-3-Clause) or GPL-2.0-only", "(MIT AND BSD-3-Clause) OR GPL-2.0-only"),
        ("GPL-2.0-only WITH classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"),
        ("gpl-2.0+", "GPL-2.0+"),
        ("LicenseRef-acme-1 AND MIT", "LicenseRef-acme-1 AND MIT"),
        ("  MIT   AND   (  Apache-2.0 )", "MIT AND (Apache-2.0)"),
    ])
    func expressions(text: String, canonical: String) throws {
        let expression = try #require(SPDX.expression(text))
        #expect(expression.description == canonical)
    }

    @Test(arguments: [
        "MIT AND", "AND MIT", "(MIT", "MIT)", "MIT WITH MIT", "Classpath-exception-2.0", "MIT WITH", "MIT OR OR Apache-2.0",
        "llama3.1 OR MIT", "MIT Or Apache-2.0", "MIT; rm -rf", "LicenseRef-", "LicenseRef-a+",
    ])
    func notExpressions(text: String) {
        #expect(SPDX.expression(text) == nil)
    }

    @Test func expressionsAreBounded() {
        #expect(SPDX.expression(String(repeating: "(", count: 40) + "MIT" + String(repeating: ")", count: 40)) == nil)
        #expect(SPDX.expression(Array(repeating: "MIT", count: 400).joined(separator: " AND ")) == nil)
    }

    @Test func theTableIsTheSPDXList() {
        #expect(SPDXIdentifiers.licences.count > 600)
        #expect(SPDXIdentifiers.exceptions.contains("Classpath-exception-2.0"))
        #expect(!SPDXIdentifiers.licences.contains("Classpath-exception-2.0"))
        #expect(Set(SPDXIdentifiers.licences.map { $0.lowercased() }).count == SPDXIdentifiers.licences.count)
    }

    /// The licences of a card, as the BOM carries them: SPDX ids and expressions as such, a named
    /// non-SPDX licence by its name, a placeholder not at all.
    @Test(arguments: [
        (["apache-2.0"], nil, nil, #"[{"license":{"id":"Apache-2.0"}}]"#),
        (["mit", "CC-BY-4.0"], nil, nil, #"[{"license":{"id":"MIT"}},{"license":{"id":"CC-BY-4.0"}}]"#),
        (["mit or apache-2.0"], nil, nil, #"[{"expression":"MIT OR Apache-2.0"}]"#),
        (["other"], "llama3.1", "https://llama.meta.com/llama3_1/license/", #"[{"license":{"name":"llama3.1","url":"https://llama.meta.com/llama3_1/license/"}}]"#),
        (["other"], "acme-license", "LICENSE", #"[{"license":{"name":"acme-license","url":"https://hub.test/acme/m/resolve/c/LICENSE"}}]"#),
        (["llama3.1"], nil, nil, #"[{"license":{"name":"llama3.1"}}]"#),
        (["other"], nil, nil, "[]"),
        (["unknown"], nil, nil, "[]"),
        ([], nil, "https://example.com/l", "[]"),
        (["other"], "x", "javascript:alert(1)", #"[{"license":{"name":"x"}}]"#),
    ] as [([String], String?, String?, String)])
    func licenceChoice(licences: [String], name: String?, link: String?, expected: String) {
        let card = ModelCardMetadata(licenses: licences, licenseName: name, licenseLink: link)
        let choice = LicenceChoice.choose(card, linkBase: "https://hub.test/acme/m/resolve/c/", files: ["LICENSE"])
        #expect(JSONValue.array(choice).description == expected)
    }

    @Test func nameBasedUUIDsAreVersion5() {
        // RFC 9562's namespace for DNS names; Python's uuid.uuid5(NAMESPACE_DNS, "python.org").
        let dns: [UInt8] = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]
        #expect(NameBasedUUID.version5(namespace: dns, name: Array("python.org".utf8)) == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
    }

    @Test func purls() throws {
        let repo = try RepoID(parsing: "Acme/Tiny.Model_x")
        #expect(Purl.huggingface(repo, commit: "ABCDEF", endpoint: "https://huggingface.co") == "pkg:huggingface/Acme/Tiny.Model_x@abcdef")
        #expect(Purl.huggingface(repo, commit: "ab", endpoint: "http://127.0.0.1:8080") == "pkg:huggingface/Acme/Tiny.Model_x@ab?repository_url=http://127.0.0.1:8080")
        #expect(Purl.encode("a b/c") == "a%20b%2Fc")
    }
}
