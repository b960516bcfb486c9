import PinLock
import Testing

@Suite struct ModelAliasTests {
    @Test(arguments: ["llama", "Llama-3_2", "7b", "a", String(repeating: "x", count: 64)])
    func valid(alias: String) {
        #expect(ModelAlias.validate(alias) == nil)
    }

    @Test(arguments: ["", "-x", "_x", "my model", "a.b", "lläma", "a/b", "--help", String(repeating: "x", count: 65), "a\u{200B}b"])
    func invalid(alias: String) {
        #expect(ModelAlias.validate(alias) != nil)
    }

    @Test func suggestions() {
        #expect(ModelAlias.suggested(forRepo: "meta-llama/Llama-3.2-1B") == "llama-3-2-1b")
        #expect(ModelAlias.suggested(forRepo: "acme/Tiny_Model") == "tiny_model")
        #expect(ModelAlias.suggested(forRepo: "acme/.hidden") == "hidden")
        #expect(ModelAlias.suggested(forRepo: "acme/") == "model")
        #expect(ModelAlias.suggested(forRepo: "acme/ÄÖ") == "model")
        #expect(ModelAlias.suggested(forRepo: "acme/" + String(repeating: "A", count: 100)) == String(repeating: "a", count: 64))
        for repo in ["x/y", "a/--b", "a/ünïcode", "a/b c"] {
            #expect(ModelAlias.validate(ModelAlias.suggested(forRepo: repo)) == nil)
        }
    }
}
