import PinModel
import PinNames
import Testing

/// Owners that impersonate an allowed owner (issue 15, "Names"), and the real neighbouring
/// organisations that must not be mistaken for them. A catalogue of its own, so that the rows of
/// NameCheckTests keep the catalogue they were written against.
let brands: NameChecker = {
    let text = """
        nvidia/*
        mistralai/*
        intfloat/e5-large-v2
        stabilityai/stable-diffusion-xl-base-1.0
        microsoft/phi-2
        EleutherAI/gpt-j-6b
        huggingface/CodeBERTa-small-v1
        HuggingFaceH4/zephyr-7b-beta
        google/gemma-2-9b-it
        openai/whisper-large-v3
        facebook/*
        Cohere/*
        deepseek-ai/DeepSeek-Coder-V2-Instruct
        acme-ai/Model-Coder-7B
        """
    do {
        return NameChecker(allowlist: try Allowlist.parse(text, source: "brands.txt"))
    } catch {
        fatalError("the brands catalogue does not parse: \(error)")
    }
}()

struct Impostor: Sendable, CustomTestStringConvertible {
    let name: String
    let imitates: String
    let technique: Technique
    let suggestion: String?
    let evidence: String

    init(_ name: String, _ imitates: String, _ technique: Technique, suggest suggestion: String?, _ evidence: String) {
        self.name = name
        self.imitates = imitates
        self.technique = technique
        self.suggestion = suggestion
        self.evidence = evidence
    }

    var testDescription: String { "`\(name)`" }
}

@Suite("Owners that impersonate an allowed owner")
struct ImpersonationTests {
    static let impostors: [Impostor] = [
        // An affix glued to the owner, with no separator.
        Impostor("nvidiaai/Nemotron-4-340B", "nvidia/*", .affix, suggest: "nvidia/Nemotron-4-340B",
                 "suffix `ai` added to `nvidia`"),
        Impostor("NvidiaAI/Nemotron-4-340B", "nvidia/*", .affix, suggest: "nvidia/Nemotron-4-340B",
                 "suffix `ai` added to `nvidia`"),
        Impostor("MistralLM/Mistral-7B-v0.1", "mistralai/*", .affix, suggest: "mistralai/Mistral-7B-v0.1",
                 "suffix `lm` in place of the suffix `ai` of `mistralai`"),
        Impostor("intfloatai/e5-large-v2", "intfloat/e5-large-v2", .affix, suggest: "intfloat/e5-large-v2",
                 "suffix `ai` added to `intfloat`"),
        Impostor("microsoftresearch/phi-2", "microsoft/phi-2", .affix, suggest: "microsoft/phi-2",
                 "suffix `research` added to `microsoft`"),
        // Affix words beyond the first list, and combinations.
        Impostor("nvidia-labs/x", "nvidia/*", .affix, suggest: "nvidia/x", "suffix `-labs` added to `nvidia`"),
        Impostor("nvidia-research/x", "nvidia/*", .affix, suggest: "nvidia/x", "suffix `-research` added to `nvidia`"),
        Impostor("nvidia-gguf/x", "nvidia/*", .affix, suggest: "nvidia/x", "suffix `-gguf` added to `nvidia`"),
        Impostor("nvidia-hf/x", "nvidia/*", .affix, suggest: "nvidia/x", "suffix `-hf` added to `nvidia`"),
        Impostor("nvidia-official/x", "nvidia/*", .affix, suggest: "nvidia/x", "suffix `-official` added to `nvidia`"),
        Impostor("nvidia-org/x", "nvidia/*", .affix, suggest: "nvidia/x", "suffix `-org` added to `nvidia`"),
        Impostor("nvidia-inc/x", "nvidia/*", .affix, suggest: "nvidia/x", "suffix `-inc` added to `nvidia`"),
        Impostor("nvidia-team/x", "nvidia/*", .affix, suggest: "nvidia/x", "suffix `-team` added to `nvidia`"),
        Impostor("nvidia-research-labs/x", "nvidia/*", .affix, suggest: "nvidia/x",
                 "suffix `-research` and suffix `-labs` added to `nvidia`"),
        Impostor("official-nvidia-hf/x", "nvidia/*", .affix, suggest: "nvidia/x",
                 "prefix `official-` and suffix `-hf` added to `nvidia`"),
        Impostor("nvidiaai-official/x", "nvidia/*", .affix, suggest: "nvidia/x",
                 "suffix `ai` and suffix `-official` added to `nvidia`"),
        Impostor("intfloat-research-hf/e5-large-v2", "intfloat/e5-large-v2", .affix, suggest: "intfloat/e5-large-v2",
                 "suffix `-research` and suffix `-hf` added to `intfloat`"),
        Impostor("EleutherAI-labs/gpt-j-6b", "EleutherAI/gpt-j-6b", .affix, suggest: "EleutherAI/gpt-j-6b",
                 "suffix `-labs` added to `EleutherAI`"),
        // A dropped trailing affix.
        Impostor("stability/stable-diffusion-xl-base-1.0", "stabilityai/stable-diffusion-xl-base-1.0", .affix,
                 suggest: "stabilityai/stable-diffusion-xl-base-1.0", "suffix `ai` of `stabilityai` left out"),
        Impostor("Eleuther/gpt-j-6b", "EleutherAI/gpt-j-6b", .affix, suggest: "EleutherAI/gpt-j-6b",
                 "suffix `ai` of `EleutherAI` left out"),
        Impostor("acme/Model-Coder-7B", "acme-ai/Model-Coder-7B", .affix, suggest: "acme-ai/Model-Coder-7B",
                 "suffix `-ai` of `acme-ai` left out"),
        // Digits standing in for letters.
        Impostor("m1crosoft/phi-2", "microsoft/phi-2", .digitForLetter, suggest: "microsoft/phi-2",
                 "digit `1` in place of `i` at position 2 of the owner"),
        Impostor("h0ggingface/CodeBERTa-small-v1", "huggingface/CodeBERTa-small-v1", .digitForLetter,
                 suggest: "huggingface/CodeBERTa-small-v1", "digit `0` in place of `u` at position 2 of the owner"),
        Impostor("nv1dia/x", "nvidia/*", .digitForLetter, suggest: "nvidia/x",
                 "digit `1` in place of `i` at position 3 of the owner"),
        Impostor("e1eutherai/gpt-j-6b", "EleutherAI/gpt-j-6b", .digitForLetter, suggest: "EleutherAI/gpt-j-6b",
                 "digit `1` in place of `l` at position 2 of the owner"),
        // A dropped owner and a typo in the name.
        Impostor("gemma-2-9b-itt", "google/gemma-2-9b-it", .droppedOwner, suggest: "google/gemma-2-9b-it",
                 "no owner given, and `t` doubled at position 14 of the name of the allowed `google/gemma-2-9b-it`"),
        Impostor("gema-2-9b-it", "google/gemma-2-9b-it", .droppedOwner, suggest: "google/gemma-2-9b-it",
                 "no owner given, and `m` left out after position 3 of the name of the allowed `google/gemma-2-9b-it`"),
        Impostor("zephyr-7b-btea", "HuggingFaceH4/zephyr-7b-beta", .droppedOwner, suggest: "HuggingFaceH4/zephyr-7b-beta",
                 "no owner given, and `e` and `t` swapped at positions 12–13 of the name of the allowed `HuggingFaceH4/zephyr-7b-beta`"),
    ]

    @Test(arguments: impostors)
    func isATyposquatWithTheRightSuggestion(_ item: Impostor) throws {
        let verdict = try brands.check(item.name)
        #expect(verdict.verdict == .typosquat, "\(verdict.reason)")
        #expect(verdict.imitates == item.imitates)
        #expect(verdict.technique == item.technique)
        #expect(verdict.suggestion == item.suggestion)
        #expect(verdict.evidence == [item.evidence])
    }

    /// Real organisations next to an allowed one, and re-uploaders: other publishers, never
    /// impostors. A near miss that names nothing allowed stays unlisted too.
    static let neighbours: [Case] = [
        Case("HuggingFaceM4/idefics2-8b", "", nil, "next to HuggingFaceH4"),
        Case("HuggingFaceTB/SmolLM-135M", "", nil, "next to HuggingFaceH4"),
        Case("openai-community/gpt2", "", nil, "next to openai"),
        Case("google-t5/t5-small", "", nil, "next to google"),
        Case("google-bert/bert-base-uncased", "", nil, "next to google"),
        Case("FacebookAI/roberta-base", "", nil, "next to facebook: a real organisation with a glued AI"),
        Case("CohereLabs/aya-expanse-8b", "", nil, "next to Cohere: a real organisation with Labs"),
        Case("CohereForAI/aya-101", "", nil, "next to Cohere"),
        Case("mistral-community/Mixtral-8x22B-v0.1", "", nil, "next to mistralai"),
        Case("openlm-research/open_llama_7b", "", nil, "shares only `open` with openai"),
        Case("NousResearch/Hermes-3-Llama-3.1-8B", "", nil, "a real research organisation"),
        Case("lmstudio-community/gemma-2-9b-it-GGUF", "", nil, "a re-uploader"),
        Case("bartowski/gemma-2-9b-it-GGUF", "", nil, "a re-uploader"),
        Case("BAAI/bge-large-en-v1.5", "", nil, "too short to lose a glued ai"),
        Case("allenai/OLMo-7B", "", nil, "glued ai on a brand nobody allowed"),
        Case("google/gemma-2-9b-itt", "", nil, "a typo under the real owner stays unlisted"),
        Case("deepseek-ai/Coder-DeepSeek-V2-Instruct", "", nil, "reordered words under the real owner"),
        Case("gemma-2-27b-it", "", nil, "a bare name another size away"),
        Case("gpt2", "", nil, "a bare name near nothing allowed"),
    ]

    @Test(arguments: neighbours)
    func isNotATyposquat(_ item: Case) throws {
        let verdict = try brands.check(item.name)
        #expect(verdict.verdict == .unlisted, "\(verdict.technique?.rawValue ?? "") \(verdict.evidence)")
        #expect(verdict.imitates == nil)
    }

    @Test(arguments: [
        ("google/gemma-2-9b-itt", "google/gemma-2-9b-it"),
        ("deepseek-ai/Coder-DeepSeek-V2-Instruct", "deepseek-ai/DeepSeek-Coder-V2-Instruct"),
        ("acme-ai/Coder-Model-7B", "acme-ai/Model-Coder-7B"),
    ])
    func aMisspeltNameUnderItsRealOwnerIsUnlistedWithTheRightSuggestion(_ name: String, _ suggestion: String) throws {
        let verdict = try brands.check(name)
        #expect(verdict.verdict == .unlisted)
        #expect(verdict.suggestion == suggestion)
    }

    @Test func anAllowedNeighbourStaysAllowed() throws {
        let list = try Allowlist.parse("HuggingFaceH4/*\nHuggingFaceM4/*\nopenai/*\nopenai-community/*\n", source: "n.txt")
        let checker = NameChecker(allowlist: list)
        for name in ["HuggingFaceM4/idefics2-8b", "HuggingFaceH4/zephyr-7b-beta", "openai-community/gpt2", "openai/x"] {
            #expect(try checker.check(name).verdict == .allowed, "\(name)")
        }
    }
}
