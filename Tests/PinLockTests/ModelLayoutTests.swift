import PinLock
import PinModel
import Testing

/// `layout` in a model table: where `pull` puts the model.
@Suite struct ModelLayoutTests {
    @Test(arguments: [(nil as String?, ModelLayout.directory), ("directory", .directory), ("hf-cache", .hfCache)])
    func parses(value: String?, expected: ModelLayout) throws {
        let line = value.map { "layout = \"\($0)\"\n" } ?? ""
        let manifest = try ManifestFormat.parse("version = 1\n[models.bert]\nrepo = \"acme/bert\"\n" + line, file: "modelpin.toml")
        #expect(manifest.model("bert")?.layout == expected)
    }

    @Test(arguments: [
        ("layout = \"hf_cache\"", "is not a layout"),
        ("layout = 1", "layout"),
        ("layout = \"hf-cache\"\nto = \"models/bert\"", "`to` has no directory"),
    ])
    func refuses(lines: String, message: String) throws {
        let error = try #require(manifestError("version = 1\n[models.bert]\nrepo = \"acme/bert\"\n\(lines)\n"))
        #expect("\(error)".contains(message), "\(error)")
        #expect("\(error)".contains("layout"))
    }

    /// `add` writes it back the way it reads.
    @Test func roundTrips() throws {
        var model = ModelRequest(alias: "bert", repo: "acme/bert")
        model.layout = .hfCache
        let text = ManifestFormat.appending(model, to: "version = 1\n")
        #expect(text.contains("layout = \"hf-cache\"\n"))
        #expect(try ManifestFormat.parse(text, file: "modelpin.toml").model("bert") == model)
    }
}
