import PinModel
import PinNames
import Testing

/// Datasets are listed apart from models (`datasets/owner/name`, `datasets/owner/*`): neither
/// kind's entries allow the other, and typosquatted owners are caught for both, against the
/// owners of both (owners are one namespace on the Hub).
@Suite("Dataset names")
struct DatasetNameTests {
    static let list = """
        meta-llama/*
        mistralai/Mistral-7B-v0.1
        datasets/HuggingFaceFW/fineweb
        datasets/allenai/*
        datasets/*            # the owner `datasets`: models only
        """

    static let checker: NameChecker = {
        do {
            return NameChecker(allowlist: try Allowlist.parse(list, source: "models.allow"))
        } catch {
            fatalError("the dataset allowlist does not parse: \(error)")
        }
    }()

    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let verdict: NameVerdict.Kind
        /// `canonical` when allowed, `imitates` for a typosquat.
        let target: String?
        /// Part of the reason, when it matters.
        let says: String?
        var testDescription: String { "`\(name)` → \(verdict)" }

        init(_ name: String, _ verdict: NameVerdict.Kind, _ target: String? = nil, says: String? = nil) {
            self.name = name
            self.verdict = verdict
            self.target = target
            self.says = says
        }
    }

    @Test(arguments: [
        Row("datasets/HuggingFaceFW/fineweb", .allowed, "datasets/HuggingFaceFW/fineweb"),
        Row("datasets/huggingfacefw/FINEWEB", .allowed, "datasets/HuggingFaceFW/fineweb"),
        Row("datasets/AllenAI/c4", .allowed, "datasets/allenai/c4", says: "covered by `datasets/allenai/*`"),
        // A model's entry never allows a dataset, nor a dataset's a model.
        Row("datasets/meta-llama/x", .unlisted, nil, says: "`meta-llama` is allowed only for models, and this is a dataset"),
        Row("datasets/mistralai/Mistral-7B-v0.1", .unlisted, nil, says: "allowed only for models"),
        Row("HuggingFaceFW/fineweb", .unlisted, nil, says: "allowed only for datasets, and this is a model"),
        Row("allenai/OLMo-7B", .unlisted, nil, says: "listed as `allenai/NAME` or `allenai/*`"),
        Row("datasets/HuggingFaceFW/fineweb-edu", .unlisted, nil, says: "allowed only for the datasets listed"),
        // Typosquatted dataset owners: against dataset owners, and against model owners.
        Row("datasets/HuggingFaceFVV/fineweb", .typosquat, "datasets/HuggingFaceFW/fineweb"),
        Row("datasets/allenai-official/c4", .typosquat, "datasets/allenai/*"),
        Row("datasets/meta-IIama/x", .typosquat, "meta-llama/*", says: "an owner allowed for models"),
        Row("datasets/a11enai/c4", .typosquat, "datasets/allenai/*"),
        // And a model owner imitating a dataset owner.
        Row("a11enai/OLMo-7B", .typosquat, "datasets/allenai/*", says: "an owner allowed for datasets"),
        // `datasets/x` alone is the owner `datasets`, a model.
        Row("datasets/anything", .allowed, "datasets/anything"),
        Row("datasets/nobody/x", .unlisted, nil),
    ])
    func kindsAreListedApart(_ row: Row) throws {
        let verdict = try Self.checker.check(row.name)
        #expect(verdict.verdict == row.verdict, "\(verdict.reason)")
        switch row.verdict {
        case .allowed: #expect(verdict.canonical == row.target)
        case .typosquat: #expect(verdict.imitates == row.target, "\(verdict)")
        case .unlisted: #expect(verdict.imitates == nil)
        }
        if let says = row.says { #expect(verdict.reason.contains(says), "\(verdict.reason)") }
        // What a refusal suggests is of the kind asked for.
        if let suggestion = verdict.suggestion {
            #expect(try RepoID(parsing: suggestion).kind == RepoID(parsing: row.name).kind, "\(suggestion)")
        }
    }

    /// A homoglyph in a dataset owner is reported at its place in the owner (the kind's `/`
    /// does not start the name).
    @Test func aHomoglyphInADatasetOwnerIsPlacedInTheOwner() throws {
        let verdict = try Self.checker.check("datasets/\u{0430}llenai/c4")  // Cyrillic а
        #expect(verdict.verdict == .typosquat)
        #expect(verdict.imitates == "datasets/allenai/c4" || verdict.imitates == "datasets/allenai/*", "\(verdict)")
        #expect(verdict.evidence.first?.contains("at position 1 of the owner") == true, "\(verdict.evidence)")
    }

    @Test(arguments: ["datasets/a/b/c", "datasets/owner/*x", "datasets/met\u{0430}/x", "datasets//x", "datasets/owner/"])
    func refusesDatasetEntriesThatAreNotIds(_ line: String) {
        #expect(throws: AllowlistError.self) { try Allowlist.parse(line, source: "a") }
    }

    @Test func countsAndWarnsForBothKinds() throws {
        let list = try Allowlist.parse("acme/*\ndatasets/acme/*\ndatasets/ACME/*\nacme/x\n", source: "dup.txt")
        #expect(list.count == 4)
        #expect(NameChecker(allowlist: list).warnings == ["`dup.txt`, line 3: `datasets/ACME/*` repeats line 2"])
    }
}
