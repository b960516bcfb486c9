import PinModel
import PinNames
import Testing

/// One allowlist for every table below: a small but realistic catalogue.
let catalogue = """
    # Models this project may load
    meta-llama/Llama-3.1-8B
    meta-llama/Llama-3.1-8B-Instruct
    meta-llama/Llama-3.1-70B-Instruct
    mistralai/*                      # everything Mistral AI publishes
    EleutherAI/gpt-j-6b
    google-bert/bert-base-uncased
    google/gemma-2-9b-it
    Qwen/Qwen2-7B
    HuggingFaceH4/zephyr-7b-beta
    facebook/*
    deepseek-ai/DeepSeek-V3
    openai/whisper-large-v3
    stabilityai/stable-diffusion-xl-base-1.0
    TinyLlama/TinyLlama-1.1B-Chat-v1.0
    """

let checker: NameChecker = {
    do {
        return NameChecker(allowlist: try Allowlist.parse(catalogue, source: "catalogue.txt"))
    } catch {
        fatalError("the test catalogue does not parse: \(error)")
    }
}()

struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: String
    let technique: Technique?
    let note: String

    init(_ name: String, _ expected: String, _ technique: Technique? = nil, _ note: String = "") {
        self.name = name
        self.expected = expected
        self.technique = technique
        self.note = note
    }

    var testDescription: String { "`\(name.escapedForDisplay)`" + (note.isEmpty ? "" : " (\(note))") }
}

@Suite("Allowed names")
struct AllowedNameTests {
    static let cases: [Case] = [
        Case("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B"),
        Case("Meta-Llama/llama-3.1-8b", "meta-llama/Llama-3.1-8B", nil, "ASCII case variant"),
        Case("META-LLAMA/LLAMA-3.1-8B-INSTRUCT", "meta-llama/Llama-3.1-8B-Instruct", nil, "shouting"),
        Case("mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-v0.1", nil, "owner/*"),
        Case("MistralAI/Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-v0.1", nil, "owner/* with owner case rewritten"),
        Case("facebook/opt-125m", "facebook/opt-125m"),
    ]

    @Test(arguments: cases)
    func isAllowedAndRewrittenToTheCanonicalSpelling(_ item: Case) throws {
        let verdict = try checker.check(item.name)
        #expect(verdict.verdict == .allowed, "\(verdict.reason)")
        #expect(verdict.canonical == item.expected)
    }
}

@Suite("Typosquats, one table row per technique")
struct TyposquatTests {
    static let cases: [Case] = [
        Case("EleuterAI/gpt-j-6b", "EleutherAI/gpt-j-6b", .omission, "PoisonGPT"),
        Case("meta-lllama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .repetition),
        Case("mtea-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .transposition),
        Case("meta-llana/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .keyboardNeighbour, "n beside m"),
        Case("metaa-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .repetition),
        Case("mistrakai/Mistral-7B-v0.1", "mistralai/*", .keyboardNeighbour, "k beside l"),
        Case("meta-llaia/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .bitFlip, "m ^ 0x04 = i"),
        Case("meta-IIama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .homoglyph, "capital I for l"),
        Case("rneta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .homoglyph, "rn for m"),
        Case("mistra1ai/Mistral-7B-v0.1", "mistralai/*", .homoglyph, "1 for l"),
        Case("g00gle/gemma-2-9b-it", "google/gemma-2-9b-it", .homoglyph, "zeros for o"),
        Case("Qvven/Qwen2-7B", "Qwen/Qwen2-7B", .homoglyph, "vv for w"),
        Case("met\u{0430}-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .confusableCharacter, "Cyrillic a"),
        Case("g\u{03BF}ogle/gemma-2-9b-it", "google/gemma-2-9b-it", .confusableCharacter, "Greek omicron"),
        Case("\u{FF4D}\u{FF45}\u{FF54}\u{FF41}-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .confusableCharacter, "fullwidth"),
        Case("meta-llama\u{FF0F}Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .confusableCharacter, "fullwidth slash"),
        Case("meta\u{200B}-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .invisibleCharacter, "zero-width space"),
        Case("meta-llama/Llama-3.1\u{00AD}-8B", "meta-llama/Llama-3.1-8B", .invisibleCharacter, "soft hyphen in the name"),
        Case("meta-llama/Llama\u{200D}-3.1-8B", "meta-llama/Llama-3.1-8B", .invisibleCharacter, "zero-width joiner"),
        Case("meta_llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .separator),
        Case("metallama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .separator),
        Case("meta.llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .separator),
        Case("llama-meta/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .reorderedWords),
        Case("meta-llama-official/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .affix),
        Case("official-meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .affix),
        Case("meta-llama-hf/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .affix),
        Case("metallamaofficial/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .affix, "glued"),
        Case("Qwen-AI/Qwen2-7B", "Qwen/Qwen2-7B", .affix),
        Case("deepseek/DeepSeek-V3", "deepseek-ai/DeepSeek-V3", .affix, "affix left out"),
        Case("meta-llama2/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .addedDigit),
        Case("meta-llama-3/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", .addedDigit),
        Case("Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", .droppedOwner),
        Case("EleuterAI/gpt-neox-20b", "EleutherAI", .omission, "lookalike owner, name not listed"),
    ].filter { !$0.expected.isEmpty }

    @Test(arguments: cases)
    func isRefusedNamingWhatItImitatesAndHow(_ item: Case) throws {
        let verdict = try checker.check(item.name)
        #expect(verdict.verdict == .typosquat, "\(verdict.reason)")
        #expect(verdict.imitates == item.expected)
        #expect(verdict.technique == item.technique)
        #expect(!verdict.evidence.isEmpty)
        #expect(verdict.canonical == nil)
    }

    @Test func explainsACyrillicLetterByCodePointAndPosition() throws {
        let verdict = try checker.check("met\u{0430}-llama/Llama-3.1-8B")
        #expect(verdict.evidence == ["'\u{0430}' (U+0430 CYRILLIC SMALL LETTER A) at position 4 of the owner, imitating `a`"])
        #expect(verdict.suggestion == "meta-llama/Llama-3.1-8B")
    }

    @Test func explainsInvisibleCharactersWithoutPrintingThem() throws {
        let verdict = try checker.check("meta\u{200B}-llama/Llama-3.1-8B")
        #expect(verdict.evidence == ["invisible U+200B ZERO WIDTH SPACE at position 5 of the owner"])
    }

    @Test func explainsASCIIHomoglyphsAndSlips() throws {
        #expect(try checker.check("meta-IIama/Llama-3.1-8B").evidence == ["`II` in place of `ll` at positions 6–7 of the owner"])
        #expect(try checker.check("EleuterAI/gpt-j-6b").evidence == ["`h` left out after position 5 of the owner"])
        #expect(try checker.check("mtea-llama/Llama-3.1-8B").evidence == ["`e` and `t` swapped at positions 2–3 of the owner"])
        #expect(try checker.check("meta-llama-official/Llama-3.1-8B").evidence == ["suffix `-official` added to `meta-llama`"])
    }

    @Test func suggestsAnOwnerWildcardTargetUnderTheRealOwner() throws {
        let verdict = try checker.check("mistra1ai/Mistral-7B-v0.1")
        #expect(verdict.suggestion == "mistralai/Mistral-7B-v0.1")
    }
}

@Suite("Real, distinct names are not typosquats")
struct PrecisionTests {
    static let unlisted: [Case] = [
        Case("meta-llama/Llama-3.1-70B", "", nil, "another size"),
        Case("meta-llama/Llama-3.1-405B-Instruct", "", nil, "another size"),
        Case("Qwen/Qwen2.5-7B", "", nil, "another version"),
        Case("Qwen/Qwen2-7B-Instruct", "", nil, "-Instruct added"),
        Case("google-bert/bert-base-cased", "", nil, "cased vs uncased"),
        Case("google/gemma-2-9b-pt", "", nil, "-pt vs -it"),
        Case("TinyLlama/TinyLlama-1.1B-Chat-v0.6", "", nil, "another version"),
        Case("deepseek-ai/DeepSeek-V2", "", nil, "another version"),
        Case("meta-llama/LIama-3.1-8B", "", nil, "homoglyph under the real owner: only Meta can publish it"),
        Case("TheBloke/Llama-2-7B-GGUF", "", nil, "quantised re-upload"),
        Case("unsloth/Llama-3.1-8B", "", nil, "re-upload by another publisher"),
        Case("bartowski/Llama-3.1-8B-Instruct-GGUF", "", nil, "re-upload"),
        Case("HuggingFaceM4/idefics2-8b", "", nil, "neighbouring real organisation"),
        Case("HuggingFaceTB/SmolLM-135M", "", nil, "neighbouring real organisation"),
        Case("HuggingFaceH5/zephyr-7b-beta", "", nil, "digit token differs"),
        Case("FacebookAI/roberta-base", "", nil, "real org ending in AI"),
        Case("mistral-community/Mixtral-8x22B-v0.1", "", nil, "real community org"),
        Case("openai-community/gpt2", "", nil, "real community org"),
        Case("google-t5/t5-small", "", nil, "real brand-adjacent org"),
        Case("CohereLabs/aya-expanse-8b", "", nil, "unrelated"),
        Case("stabilityai/sdxl-turbo", "", nil, "same owner, unlisted model"),
        Case("gpt2", "", nil, "bare legacy name that names nothing allowed"),
        Case("nvidia/Llama-3.1-Nemotron-70B-Instruct-HF", "", nil, "unrelated"),
    ]

    @Test(arguments: unlisted)
    func isUnlistedNotATyposquat(_ item: Case) throws {
        let verdict = try checker.check(item.name)
        #expect(verdict.verdict == .unlisted, "\(verdict.technique?.rawValue ?? "") \(verdict.evidence)")
        #expect(verdict.imitates == nil)
    }

    @Test func offersTheNearestSiblingUnderATrustedOwner() throws {
        let verdict = try checker.check("meta-llama/Llama-3.1-8B-Instrcut")
        #expect(verdict.verdict == .unlisted)
        #expect(verdict.suggestion == "meta-llama/Llama-3.1-8B-Instruct")
        let homoglyph = try checker.check("meta-llama/LIama-3.1-8B")
        #expect(homoglyph.suggestion == "meta-llama/Llama-3.1-8B")
    }

    @Test func doesNotCallAnotherSizeAMisspelling() throws {
        let verdict = try checker.check("meta-llama/Llama-3.1-70B")
        #expect(verdict.suggestion == nil)
        #expect(verdict.related.contains("meta-llama/Llama-3.1-8B"))
    }

    @Test func namesTheAllowedCopyOfAReuploadedName() throws {
        let verdict = try checker.check("unsloth/Llama-3.1-8B")
        #expect(verdict.related == ["meta-llama/Llama-3.1-8B"])
        #expect(verdict.suggestion == nil)
    }
}

@Suite("Names that are not ids")
struct InvalidNameTests {
    static let cases: [(String, String)] = [
        ("", "empty"),
        ("meta-llama/", "the name is empty"),
        ("/Llama-3.1-8B", "the owner is empty"),
        ("meta-llama/Llama 3", "a space at position 6 of the name"),
        ("meta-llama/Llama/3", "exactly one `/`"),
        ("meta-llama/Llama\u{7}-3", "control character"),
        ("meta-llama/-Llama", "starts with `-`"),
        ("meta--llama/Llama", "contains `--`"),
        ("meta-llama/" + String(repeating: "x", count: 97), "97 characters long"),
        ("m\u{00E9}ta-llama/Llama-3.1-8B", "U+00E9 LATIN SMALL LETTER E WITH ACUTE"),
        ("\u{0436}\u{0436}/model", "U+0436 CYRILLIC SMALL LETTER ZHE"),
    ]

    @Test(arguments: cases)
    func isAUsageErrorThatSaysWhy(_ name: String, _ reason: String) {
        #expect {
            try checker.check(name)
        } throws: { error in
            guard let error = error as? NameSyntaxError else { return false }
            return error.kind == .usage && error.causes.joined().contains(reason)
        }
    }

    @Test func confusablesThatImitateNothingAreInvalidNotTyposquats() {
        #expect(throws: NameSyntaxError.self) { try checker.check("s\u{043E}mebody/model") }
    }
}

@Suite("Allowlist files")
struct AllowlistTests {
    @Test func namesTheFileLineAndReasonOfABadEntry() {
        let text = "meta-llama/Llama-3.1-8B\n\n# fine\nmeta llama/Llama\n"
        #expect {
            try Allowlist.parse(text, source: "models.allow")
        } throws: { error in
            guard let error = error as? AllowlistError else { return false }
            return error.line == 4 && error.source == "models.allow" && error.causes == ["a space at position 5 of the owner; Hub ids use only ASCII letters, digits, `-`, `_` and `.`"]
                && error.description == "`models.allow`, line 4: `meta llama/Llama` is not a valid allowlist entry"
        }
    }

    @Test(arguments: ["just-a-name", "a/b/c", "owner/*x", "met\u{0430}/x", "*/*", "owner/", "owner/na--me"])
    func refusesEntriesThatAreNotIds(_ line: String) {
        #expect(throws: AllowlistError.self) { try Allowlist.parse(line, source: "a") }
    }

    @Test func warnsAboutDuplicatesButKeepsWorking() throws {
        let list = try Allowlist.parse("a-org/Model\nmistralai/*\nA-ORG/model  # again\nmistralai/*\n", source: "dup.txt")
        let checker = NameChecker(allowlist: list)
        #expect(checker.index.warnings == [
            "`dup.txt`, line 3: `A-ORG/model` repeats line 1",
            "`dup.txt`, line 4: `mistralai/*` repeats line 2",
        ])
        #expect(try checker.check("a-org/model").canonical == "a-org/Model")
    }

    @Test func acceptsCommentsBlankLinesAndWindowsLineEnds() throws {
        let list = try Allowlist.parse("# header\r\n\r\n  owner/model-1  # trailing\r\nowner2/*\r\n", source: "crlf.txt")
        #expect(list.count == 2)
        #expect(try NameChecker(allowlist: list).check("owner2/anything").canonical == "owner2/anything")
    }
}
