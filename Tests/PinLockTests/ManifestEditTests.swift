import PinLock
import Testing

@Suite struct ManifestEditTests {
    let commented = """
        # Our models. Keep this list short.
        version = 1
        endpoint = "https://hub.example.com"  # the mirror

        # The chat model.
        [models.llama]
        repo = "meta-llama/Llama-3.2-1B"   # pinned below
        revision = "v1"
        include = [
            "*.safetensors",  # weights
            "*.json",
        ]

        # Embeddings.
        [models.bert]
        repo = "google-bert/bert-base-uncased"

        """

    @Test func initialTextParses() throws {
        let text = ManifestFormat.initialText(endpoint: "https://hub.example.com", allowlist: "models.allow")
        #expect(text.hasPrefix("#"))
        #expect(text.contains("\nversion = 1\n"))
        #expect(text.hasSuffix("\n"))
        #expect(try ManifestFormat.parse(text, file: "modelpin.toml") == Manifest(endpoint: "https://hub.example.com", allowlist: "models.allow"))
        #expect(try ManifestFormat.parse(ManifestFormat.initialText(endpoint: nil, allowlist: nil), file: "m") == Manifest())
    }

    @Test func appendingKeepsEverythingAndParses() throws {
        let request = ModelRequest(
            alias: "tiny", repo: "acme/Tiny \"Model\"", revision: "main", include: ["*.json"], exclude: [], directory: "models/tiny")
        let text = ManifestFormat.appending(request, to: commented)
        #expect(text.hasPrefix(commented))
        #expect(text == commented + """

            [models.tiny]
            repo = "acme/Tiny \\"Model\\""
            revision = "main"
            include = ["*.json"]
            to = "models/tiny"

            """)
        let manifest = try ManifestFormat.parse(text, file: "modelpin.toml")
        #expect(manifest.model("tiny") == request)
        #expect(manifest.models.count == 3)
    }

    @Test func appendingAddsTheMissingNewlines() throws {
        let request = ModelRequest(alias: "a", repo: "x/y")
        #expect(ManifestFormat.appending(request, to: "version = 1") == "version = 1\n\n[models.a]\nrepo = \"x/y\"\nrevision = \"main\"\n")
        #expect(ManifestFormat.appending(request, to: "version = 1\n\n") == "version = 1\n\n[models.a]\nrepo = \"x/y\"\nrevision = \"main\"\n")
        #expect(ManifestFormat.appending(request, to: "") == "[models.a]\nrepo = \"x/y\"\nrevision = \"main\"\n")
    }

    @Test func removingTakesTheTableAndKeepsTheRest() throws {
        let text = try #require(ManifestFormat.removing(alias: "llama", from: commented))
        #expect(text == """
            # Our models. Keep this list short.
            version = 1
            endpoint = "https://hub.example.com"  # the mirror

            # Embeddings.
            [models.bert]
            repo = "google-bert/bert-base-uncased"

            """)
        let manifest = try ManifestFormat.parse(text, file: "modelpin.toml")
        #expect(manifest.models.map(\.alias) == ["bert"])
        #expect(manifest.endpoint == "https://hub.example.com")
    }

    @Test func removingTheLastTableLeavesNoTrailingBlankLines() throws {
        let text = try #require(ManifestFormat.removing(alias: "bert", from: commented))
        #expect(text.hasSuffix("    \"*.json\",\n]\n"))
        #expect(!text.contains("Embeddings"))
        #expect(try ManifestFormat.parse(text, file: "m").models.map(\.alias) == ["llama"])
    }

    @Test func removingTakesSubTablesAndDottedKeys() throws {
        let text = """
            models.tiny.repo = "acme/tiny"
            models.tiny.include = [
              "*.json",
            ]

            [models.keep]
            repo = "a/b"

            [models.llama]
            repo = "meta-llama/x"

            [models.llama.extra]
            note = "x"

            [models.other]
            repo = "c/d"
            """
        let withoutLlama = try #require(ManifestFormat.removing(alias: "llama", from: text))
        #expect(!withoutLlama.contains("llama"))
        #expect(withoutLlama.contains("\n\n[models.other]"))
        let withoutTiny = try #require(ManifestFormat.removing(alias: "tiny", from: withoutLlama))
        #expect(withoutTiny == "[models.keep]\nrepo = \"a/b\"\n\n[models.other]\nrepo = \"c/d\"")
        #expect(try ManifestFormat.parse(withoutTiny, file: "m").models.map(\.alias) == ["keep", "other"])
    }

    @Test func editsKeepCRLFLines() throws {
        let text = "version = 1\r\n\r\n[models.a]\r\nrepo = \"x/y\"\r\n\r\n[models.b]\r\nrepo = \"z/w\"\r\n"
        #expect(ManifestFormat.removing(alias: "a", from: text) == "version = 1\r\n\r\n[models.b]\r\nrepo = \"z/w\"\r\n")
        let added = ManifestFormat.appending(ModelRequest(alias: "c", repo: "c/d"), to: text)
        #expect(added.hasPrefix(text + "\n[models.c]\n"))
        #expect(try ManifestFormat.parse(added, file: "m").models.map(\.alias) == ["a", "b", "c"])
    }

    @Test func removingAnUnknownAliasIsNil() {
        #expect(ManifestFormat.removing(alias: "nope", from: commented) == nil)
        #expect(ManifestFormat.removing(alias: "llam", from: commented) == nil)
        #expect(ManifestFormat.removing(alias: "llama", from: "# [models.llama]\nversion = 1\n") == nil)
    }

    @Test func appendThenRemoveIsTheOriginal() throws {
        let added = ManifestFormat.appending(ModelRequest(alias: "tiny", repo: "acme/tiny", exclude: ["*.bin"]), to: commented)
        #expect(ManifestFormat.removing(alias: "tiny", from: added) == commented)
    }
}
