import PinModel
@testable import PinWorkspace
import Testing

/// The card front matter reader: the shapes real Hugging Face cards use, and hostile text.
@Suite struct ModelCardTests {
    private func card(_ text: String) throws -> ModelCardMetadata {
        try ModelCard.metadata(of: Array(text.utf8))
    }

    @Test func readsTheSpecFieldsInTheirShapes() throws {
        let metadata = try card("""
            ---
            # a comment
            license: apache-2.0
            language:
            - en
            - fr   # French
            tags: [text-generation, "llama-3", 'it''s']
            datasets:
              - acme/corpus
              - "acme/other"
            base_model: meta-llama/Llama-3.1-8B
            pipeline_tag: text-generation
            library_name: transformers
            model-index:
            - name: tiny
              results:
              - task: {type: text-generation, name: Text}
                metrics:
                  - {type: acc, value: 0.5}
            widget:
              - text: |
                  Hello,
                  world: a colon
            ---
            # Tiny model
            license: mit  (not front matter)
            """)
        #expect(metadata.licenses == ["apache-2.0"])
        #expect(metadata.languages == ["en", "fr"])
        #expect(metadata.tags == ["text-generation", "llama-3", "it's"])
        #expect(metadata.datasets == ["acme/corpus", "acme/other"])
        #expect(metadata.baseModels == ["meta-llama/Llama-3.1-8B"])
        #expect(metadata.pipelineTag == "text-generation")
        #expect(metadata.libraryName == "transformers")
    }

    @Test func readsANamedLicenceAndCRLFLines() throws {
        let metadata = try card("---\r\nlicense: other\r\nlicense_name: llama3.1\r\nlicense_link: \"https://llama.meta.com/llama3_1/license/\"\r\n---\r\n")
        #expect(metadata.licenses == ["other"])
        #expect(metadata.licenseName == "llama3.1")
        #expect(metadata.licenseLink == "https://llama.meta.com/llama3_1/license/")
    }

    @Test func aCardWithoutFrontMatterSaysNothing() throws {
        #expect(try card("# Tiny\n\nlicense: mit\n").isEmpty)
        #expect(try card("").isEmpty)
        #expect(try card("----\nlicense: mit\n----\n").isEmpty)
        #expect(try card("---\n---\n# empty").isEmpty)
    }

    /// A value of another shape than the spec's is left out, never guessed at; YAML's nulls
    /// are no value; anchors, aliases and tags are not read.
    @Test func valuesOfOtherShapesAreLeftOut() throws {
        let metadata = try card("""
            ---
            license: {name: mit}
            language: ~
            tags: [a, [b]]
            datasets: *corpus
            pipeline_tag: !!str text-generation
            base_model: null
            ---
            """)
        #expect(metadata.isEmpty)
    }

    @Test(arguments: [
        ("---\nlicense: mit\n", 2, "never closed"),
        ("---\nlicense: mit\nlicense: apache-2.0\n---\n", 3, "given twice"),
        ("---\nlicense: [mit\n---\n", 2, "never closed"),
        ("---\nlicense: \"mit\n---\n", 2, "never closed"),
        ("---\nlicense: mit\n  tags: x\n---\n", 3, "unexpected indentation"),
        ("---\n\tlicense: mit\n---\n", 2, "tab"),
        ("---\njust text\n---\n", 2, "not a mapping"),
        ("---\nlicense: \"\\q\"\n---\n", 2, "escape"),
        ("---\nlicense: \"a\" b\n---\n", 2, "after a quoted value"),
    ])
    func malformedFrontMatterNamesTheLine(text: String, line: Int, reason: String) {
        #expect {
            _ = try card(text)
        } throws: { error in
            guard let error = error as? ModelCardError else { return false }
            return error.line == line && error.reason.contains(reason)
        }
    }

    @Test func nestingAndSizeAreBounded() {
        let deepFlow = "---\nx: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n---\n"
        #expect(throws: ModelCardError.self) { try card(deepFlow) }
        var deepBlock = "---\n"
        for level in 0..<100 { deepBlock += String(repeating: " ", count: level) + "k\(level):\n" }
        deepBlock += "---\n"
        #expect(throws: ModelCardError.self) { try card(deepBlock) }
        let huge = "---\ntags:\n" + String(repeating: "- tag\n", count: ModelCard.maximumFrontMatter / 6 + 1) + "---\n"
        #expect(throws: ModelCardError.self) { try card(huge) }
        #expect(throws: ModelCardError.self) { try ModelCard.metadata(of: Array("---\nlicense: ".utf8) + [0xFF] + Array("\n---\n".utf8)) }
    }
}
