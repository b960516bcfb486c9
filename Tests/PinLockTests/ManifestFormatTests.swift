import PinLock
import PinModel
import Testing

/// The error `ManifestFormat.parse` throws for `text`, or nil when it parses.
func manifestError(_ text: String) -> ProjectFileError? {
    do {
        _ = try ManifestFormat.parse(text, file: "modelpin.toml")
        return nil
    } catch {
        return error
    }
}

@Suite struct ManifestParsingTests {
    @Test func readsEveryFieldAndDefaults() throws {
        let text = """
            # the project's models
            version = 1
            endpoint = "https://hub.example.com"   # a mirror
            allowlist = "models.allow"

            [models.llama]
            repo = "meta-llama/Llama-3.2-1B"
            revision = "v1.0"
            include = ["*.safetensors", "*.json"]
            exclude = ["*.bin"]
            to = "models/llama"

            # defaults only
            [models.bert]
            repo = "google-bert/bert-base-uncased"
            """
        let manifest = try ManifestFormat.parse(text, file: "modelpin.toml")
        #expect(manifest.endpoint == "https://hub.example.com")
        #expect(manifest.allowlist == "models.allow")
        #expect(manifest.models.map(\.alias) == ["bert", "llama"])
        #expect(manifest.model("llama") == ModelRequest(
            alias: "llama", repo: "meta-llama/Llama-3.2-1B", revision: "v1.0",
            include: ["*.safetensors", "*.json"], exclude: ["*.bin"], directory: "models/llama"))
        #expect(manifest.model("bert") == ModelRequest(alias: "bert", repo: "google-bert/bert-base-uncased"))
    }

    @Test func emptyFileAndNoVersionAreAnEmptyManifest() throws {
        #expect(try ManifestFormat.parse("", file: "modelpin.toml") == Manifest())
        #expect(try ManifestFormat.parse("# nothing yet\n", file: "modelpin.toml") == Manifest())
    }

    @Test func dottedKeysAndQuotedHeadersAreTheSameTables() throws {
        let text = """
            models.tiny.repo = "acme/tiny"
            [ models . "llama" ]
            repo = "meta-llama/Llama-3.2-1B"
            """
        let manifest = try ManifestFormat.parse(text, file: "modelpin.toml")
        #expect(manifest.models.map(\.repo) == ["meta-llama/Llama-3.2-1B", "acme/tiny"])
    }

    @Test func locatesDottedKeysAndCRLFLines() throws {
        let dotted = try #require(manifestError("version = 1\nmodels.tiny.repo = 5\n"))
        #expect(dotted.field == "models.tiny.repo")
        #expect(dotted.line == 2)
        let crlf = try #require(manifestError("version = 1\r\n[ models . 'tiny' ]\r\nrepo = \"a/b\"\r\nto = 1\r\n"))
        #expect(crlf.field == "models.tiny.to")
        #expect(crlf.line == 4)
        // A header-like line inside a multi-line string is not a header.
        let text = "[models.a]\nrepo = \"a/b\"\nrevision = \"\"\"\n[models.a]\nrepo = 1\n\"\"\"\n"
        let inString = try #require(manifestError(text))
        #expect(inString.field == "models.a.revision")
        #expect(inString.line == 3)
    }

    @Test func syntaxErrorHasLineAndColumn() throws {
        let error = try #require(manifestError("version = 1\n\n[models.llama]\nrepo = meta-llama/x\n"))
        #expect(error.line == 4)
        #expect(error.column != nil)
        #expect(error.field == nil)
        #expect(error.description.hasPrefix("`modelpin.toml`:4:"))
        #expect(error.kind == .operational)
        #expect(error.hint != nil)
    }

    /// A table header whose key starts with neither a bare-key character nor a quote made
    /// toml++ assert and abort the process (found by fuzzing); now it is an error at its place.
    @Test(arguments: [
        ("version = 1\n[\\\\er\\\n", 2, 2),
        ("[é]\n", 1, 2),
        ("  [ \\x]\n", 1, 5),
        ("[[\\x]]\n", 1, 3),
        ("[\u{FFFD}\u{FFFD}\\]\n", 1, 2),
        ("\u{FEFF}[[[[\n", 1, 6),
    ])
    func aHeaderThatStartsWithNoKeyIsAnErrorNotACrash(_ text: String, _ line: Int, _ column: Int) throws {
        let error = try #require(manifestError(text))
        #expect(error.line == line && error.column == column, "\(error)")
        #expect(error.message.contains("table header must start with a key"))
        #expect(manifestError("[models.a]\nrepo = \"acme/a\"\n[ \"quoted\" ]\nrepo = \"acme/b\"\n")?.message.contains("table header") != true)
    }

    @Test func wrongTypeNamesFieldTypeAndLine() throws {
        let text = """
            version = 1

            [models.llama]
            repo = "meta-llama/Llama-3.2-1B"
              revision = 3
            """
        let error = try #require(manifestError(text))
        #expect(error.field == "models.llama.revision")
        #expect(error.line == 5)
        #expect(error.column == 3)
        #expect(error.message == "must be a string, not an integer")
        #expect(error.description == "`modelpin.toml`:5:3: field `models.llama.revision`: must be a string, not an integer")
        #expect(error.hint == #"write it like `revision = "main"`"#)
    }

    @Test func wrongTypeInAnArrayNamesTheElement() throws {
        let error = try #require(manifestError("[models.a]\nrepo = \"x/y\"\ninclude = [\"*.json\", 7]\n"))
        #expect(error.field == "models.a.include[2]")
        #expect(error.line == 3)
    }

    @Test func modelsMustBeTables() throws {
        let error = try #require(manifestError("models = 3\n"))
        #expect(error.field == "models")
        #expect(error.line == 1)
        #expect(error.message.contains("must be a table"))
        let inner = try #require(manifestError("[models]\nllama = \"meta-llama/x\"\n"))
        #expect(inner.field == "models.llama")
        #expect(inner.line == 2)
    }

    @Test func unknownKeysAreRefusedWithSuggestion() throws {
        let model = try #require(manifestError("[models.llama]\nrepo = \"a/b\"\nrevison = \"v1\"\n"))
        #expect(model.field == "models.llama.revison")
        #expect(model.line == 3)
        #expect(model.message == "unknown key `revison` (did you mean `revision`?)")

        let top = try #require(manifestError("endpont = \"https://x\"\n"))
        #expect(top.field == "endpont")
        #expect(top.message.contains("did you mean `endpoint`?"))

        let unrelated = try #require(manifestError("colour = \"blue\"\n"))
        #expect(unrelated.message == "unknown key `colour`")
    }

    @Test func reservedSecurityKeysAreRefusedNotIgnored() throws {
        let top = try #require(manifestError("signers = [\"ABCD\"]\n"))
        #expect(top.field == "signers")
        #expect(top.line == 1)
        #expect(top.message.contains("is set per model"))

        // The top-level [policy] is the admission policy: PinPolicy reads it from the same text.
        #expect(manifestError("version = 1\n[policy]\nmode = \"dry-run\"\n") == nil)

        let inModel = try #require(manifestError("[models.a]\nrepo = \"a/b\"\n[models.a.policy]\nscan = true\n"))
        #expect(inModel.field == "models.a.policy")
        #expect(inModel.line == 3)

        let scan = try #require(manifestError("[models.a]\nrepo = \"a/b\"\nscan = true\n"))
        #expect(scan.field == "models.a.scan")
        #expect(scan.message.contains("reserved"))
    }

    @Test func signersArePinnedFullFingerprints() throws {
        let text = "[models.a]\nrepo = \"a/b\"\nsigners = [\"0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567\", \"0x1111111111111111111111111111111111111111\"]\n"
        let manifest = try ManifestFormat.parse(text, file: "modelpin.toml")
        #expect(manifest.model("a")?.signers.map(\.hex) == ["0123456789ABCDEF0123456789ABCDEF01234567", "1111111111111111111111111111111111111111"])

        let keyID = try #require(manifestError("[models.a]\nrepo = \"a/b\"\nsigners = [\"89ABCDEF01234567\"]\n"))
        #expect(keyID.field == "models.a.signers")
        #expect(keyID.line == 3)
        #expect(keyID.message.contains("is a key id, not a fingerprint"))
        // The manifest reads fingerprints by the one parser's rules (PinModel's Fingerprint).
        let tabbed = "[models.a]\nrepo = \"a/b\"\nsigners = [\"0123\\t4567\\t89AB\\tCDEF\\t0123\\t4567\\t89AB\\tCDEF\\t0123\\t4567\\n\"]\n"
        #expect(try ManifestFormat.parse(tabbed, file: "modelpin.toml").model("a")?.signers.map(\.hex) == ["0123456789ABCDEF0123456789ABCDEF01234567"])
        let prefixedKeyID = try #require(manifestError("[models.a]\nrepo = \"a/b\"\nsigners = [\"0x89abcdef01234567\"]\n"))
        #expect(prefixedKeyID.message.contains("is a key id, not a fingerprint"))
        let v5 = try #require(manifestError("[models.a]\nrepo = \"a/b\"\nsigners = [\"\(String(repeating: "AB", count: 32))\"]\n"))
        #expect(v5.field == "models.a.signers")
        #expect(v5.message.contains("64-hex (v5 or v6) OpenPGP fingerprint"))
        #expect(try #require(manifestError("[models.a]\nrepo = \"a/b\"\nsigners = []\n")).message.contains("is empty"))
    }

    @Test func invalidAliasIsRefused() throws {
        let error = try #require(manifestError("[models.\"my model\"]\nrepo = \"a/b\"\n"))
        #expect(error.field == #"models."my model""#)
        #expect(error.line == 1)
        #expect(error.message.contains("not a valid model alias"))
        #expect(try #require(manifestError("[models._x]\nrepo = \"a/b\"\n")).message.contains("start with a letter or a digit"))
    }

    @Test func missingRepoIsReportedAtTheTable() throws {
        let error = try #require(manifestError("version = 1\n\n[models.llama]\nrevision = \"main\"\n"))
        #expect(error.field == "models.llama.repo")
        #expect(error.line == 3)
        #expect(error.message.contains("missing"))
        #expect(try #require(manifestError("[models.a]\nrepo = \"\"\n")).message == "must not be empty")
    }

    @Test func newerVersionIsRefusedClearly() throws {
        let error = try #require(manifestError("version = 2\n[models.a]\nfuture = 1\n"))
        #expect(error.field == "version")
        #expect(error.line == 1)
        #expect(error.message.contains("written for a newer modelpin"))
        #expect(error.hint == "upgrade modelpin")
        #expect(try #require(manifestError("version = 0\n")).message == "must be 1, not 0")
        #expect(try #require(manifestError("version = \"1\"\n")).message == "must be an integer, not a string")
    }

    @Test func endpointMustBeHTTP() throws {
        #expect(try #require(manifestError("endpoint = \"ftp://x\"\n")).field == "endpoint")
        #expect(try #require(manifestError("endpoint = \"https://\"\n")).field == "endpoint")
        #expect(try ManifestFormat.parse("endpoint = \"http://localhost:8080\"\n", file: "m").endpoint == "http://localhost:8080")
    }

    @Test(arguments: ["/srv/models", "../models", "models/../../x", "", ".", "./", ".git", "models/.hg", ".GIT.", "./.git/x", "CVS", ".modelpin"])
    func directoryMustStayInsideTheProject(to: String) throws {
        let error = try #require(manifestError("[models.a]\nrepo = \"a/b\"\nto = \(quoted(to))\n"))
        #expect(error.field == "models.a.to")
        #expect(error.line == 3)
    }

    @Test func revisionMustNotHaveWhitespace() throws {
        #expect(try #require(manifestError("[models.a]\nrepo = \"a/b\"\nrevision = \"v 1\"\n")).field == "models.a.revision")
        #expect(try #require(manifestError("[models.a]\nrepo = \"a/b\"\nrevision = \"\"\n")).field == "models.a.revision")
    }

    @Test func nulCannotTruncateAValue() throws {
        let error = try #require(manifestError("[models.a]\nrepo = \"a/b\\u0000c\"\n"))
        #expect(error.line == 2)
        #expect(manifestError("[models.a]\nrepo = \"a/b\\\\u0000\"\n") == nil)  // an escaped backslash, then text
    }
}

func quoted(_ text: String) -> String { "\"" + text + "\"" }

@Suite struct OMSSignersManifestTests {
    @Test func omsPinsSitBesideFingerprintsInOneList() throws {
        let id = String(repeating: "ab12", count: 16)
        let text = "[models.a]\nrepo = \"a/b\"\nsigners = [\"oms-key:\(id.uppercased())\", \"0123456789ABCDEF0123456789ABCDEF01234567\", \"oms-cert:release@acme.test\"]\n"
        let request = try #require(try ManifestFormat.parse(text, file: "modelpin.toml").model("a"))
        #expect(request.signers.map(\.hex) == ["0123456789ABCDEF0123456789ABCDEF01234567"])
        #expect(request.omsSigners == [.certificate(identity: "release@acme.test"), .key(id: id)])
        #expect(ManifestFormat.appending(request, to: "").contains(
            "signers = [\"0123456789ABCDEF0123456789ABCDEF01234567\", \"oms-cert:release@acme.test\", \"oms-key:\(id)\"]"))

        let short = try #require(manifestError("[models.a]\nrepo = \"a/b\"\nsigners = [\"oms-key:abcd\"]\n"))
        #expect(short.field == "models.a.signers")
        #expect(short.line == 3)
        #expect(short.message.contains("64-hex id"))
        #expect(short.hint?.contains("keys import") == true)
    }
}
