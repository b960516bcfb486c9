import PinLock
import PinModel
import Testing

@Suite struct ModelAliasTests {
    @Test(arguments: ["llama", "Llama-3_2", "7b", "a", String(repeating: "x", count: 64)])
    func valid(alias: String) throws {
        #expect(ModelAlias.validate(alias) == nil)
        #expect(ModelAlias(rawValue: alias)?.rawValue == alias)
        #expect(try ModelAlias(validating: alias).description == alias)
    }

    @Test(arguments: ["", "-x", "_x", "my model", "a.b", "lläma", "a/b", "--help", String(repeating: "x", count: 65), "a\u{200B}b"])
    func invalid(alias: String) throws {
        let reason = try #require(ModelAlias.validate(alias))
        #expect(ModelAlias(rawValue: alias) == nil)
        let error = #expect(throws: ModelAliasError.self) { try ModelAlias(validating: alias) }
        #expect(error == ModelAliasError(text: alias, reason: reason))
        // The message the manifest and lock readers have always given.
        #expect(error?.description == "`\(alias.escapedForDisplay)` is not a valid model alias: \(reason)")
    }

    @Test func orderedAndHashedByTheirText() throws {
        let a = try ModelAlias(validating: "a")
        let b = try ModelAlias(validating: "b")
        #expect(a < b)
        #expect([b, a].sorted() == [a, b])
        var byAlias: [ModelAlias: Int] = [a: 1]
        byAlias[try ModelAlias(validating: "a"), default: 0] += 1
        #expect(byAlias == [a: 2])
    }

    @Test func suggestions() {
        #expect(ModelAlias.suggested(forRepo: "meta-llama/Llama-3.2-1B").rawValue == "llama-3-2-1b")
        #expect(ModelAlias.suggested(forRepo: "acme/Tiny_Model").rawValue == "tiny_model")
        #expect(ModelAlias.suggested(forRepo: "acme/.hidden").rawValue == "hidden")
        #expect(ModelAlias.suggested(forRepo: "acme/").rawValue == "model")
        #expect(ModelAlias.suggested(forRepo: "acme/ÄÖ").rawValue == "model")
        #expect(ModelAlias.suggested(forRepo: "acme/" + String(repeating: "A", count: 100)).rawValue == String(repeating: "a", count: 64))
        for repo in ["x/y", "a/--b", "a/ünïcode", "a/b c"] {
            #expect(ModelAlias.validate(ModelAlias.suggested(forRepo: repo).rawValue) == nil)
        }
    }
}
