import Foundation
import PinLock
import PinModel
import PinPolicy
import Testing

let today = PolicyDay(year: 2026, month: 12, day: 2)!
let signer = try! Fingerprint(parsing: "0123456789ABCDEF0123456789ABCDEF01234567")
let otherSigner = try! Fingerprint(parsing: "89ABCDEF0123456789ABCDEF0123456789ABCDEF")
/// 2026-11-30: two days before `today`.
let twoDaysAgo: Int64 = Int64(PolicyDay(year: 2026, month: 11, day: 30)!.daysSinceEpoch) * 86_400 + 3600

/// A clean model every condition can be flipped on.
let clean = PolicySubject(
    repo: "acme/tiny", licenses: ["apache-2.0"],
    files: [
        .init(path: "config.json", size: 100, format: "json-config", verdict: .safe),
        .init(path: "model.safetensors", size: 1000, format: "safetensors", verdict: .safe),
    ],
    commitDate: twoDaysAgo - 30 * 86_400)

func subject(_ change: (inout PolicySubject) -> Void) -> PolicySubject {
    var copy = clean
    change(&copy)
    return copy
}

let pickled = subject { $0.files.append(.init(path: "pytorch_model.bin", size: 500, format: "pytorch-zip", verdict: .safe)) }

func policy(_ text: String, file: String = "modelpin.toml") throws -> Policy {
    Policy(ruleSets: [try #require(try PolicyFormat.parse(text, file: file, shared: false))])
}

func policyError(_ text: String, shared: Bool = false) -> ProjectFileError? {
    do {
        _ = try PolicyFormat.parse(text, file: "org/policy.toml", shared: shared)
        return nil
    } catch {
        return error
    }
}

/// One rule with `action` and `condition`, the subject that must match it, and one that must not.
struct ConditionCase: Sendable, CustomTestStringConvertible {
    let condition: String
    let matching: PolicySubject
    let notMatching: PolicySubject
    let reason: String
    var testDescription: String { condition }
}

@Suite struct PolicyConditionTableTests {
    static let cases: [ConditionCase] = [
        .init(condition: #"repos = ["acme/t*"]"#, matching: clean, notMatching: subject { $0.repo = "other/tiny" }, reason: "repo `acme/tiny` matches `acme/t*`"),
        .init(condition: #"repos = ["ACME/TINY"]"#, matching: clean, notMatching: subject { $0.repo = "acme/tiny2" }, reason: "matches `ACME/TINY`"),
        .init(condition: #"owners = ["ac*"]"#, matching: clean, notMatching: subject { $0.repo = "datasets/bob/acme" }, reason: "owner `acme` matches `ac*`"),
        .init(condition: #"owners = ["bob"]"#, matching: subject { $0.repo = "datasets/bob/x" }, notMatching: clean, reason: "owner `bob`"),
        .init(condition: #"license-in = ["MIT", "apache-2.0"]"#, matching: clean, notMatching: subject { $0.licenses = [] }, reason: "licence `apache-2.0` is listed"),
        .init(condition: #"license-in = ["mit"]"#, matching: subject { $0.licenses = ["MIT"] }, notMatching: subject { $0.licenses = ["mit", "gpl-3.0"] }, reason: "`mit` is listed"),
        .init(condition: #"license-not-in = ["apache-2.0", "mit", "llama3.1"]"#, matching: subject { $0.licenses = ["gpl-3.0"] }, notMatching: clean, reason: "licence `gpl-3.0` is not one of"),
        .init(condition: #"license-not-in = ["mit"]"#, matching: clean, notMatching: subject { $0.licenses = [] }, reason: "`apache-2.0` is not one of `mit`"),
        .init(condition: "license-unknown = true", matching: subject { $0.licenses = [] }, notMatching: clean, reason: "no licence is declared"),
        .init(condition: "license-unknown = false", matching: clean, notMatching: subject { $0.licenses = [] }, reason: "licence `apache-2.0` is declared"),
        .init(condition: #"formats = ["pickle", "pytorch-zip", "joblib"]"#, matching: pickled, notMatching: clean, reason: "`pytorch_model.bin` is pytorch-zip"),
        .init(condition: #"verdicts = ["unsupported", "suspicious"]"#, matching: subject { $0.files[0].verdict = .unsupported }, notMatching: clean, reason: "`config.json` is unsupported"),
        .init(condition: #"verdicts = ["suspicious"]"#, matching: subject { $0.files.append(.init(path: "modeling.py", size: 9, format: "python", verdict: .suspicious)) }, notMatching: subject { $0.files[0].verdict = .unsupported }, reason: "`modeling.py` is suspicious"),
        .init(condition: "remote-code = true", matching: subject { $0.remoteCode = true }, notMatching: clean, reason: "it carries its own code"),
        .init(condition: "remote-code = false", matching: clean, notMatching: subject { $0.remoteCode = true }, reason: "no code of its own"),
        .init(condition: "signed = false", matching: clean, notMatching: subject { $0.signedBy = signer }, reason: "not signed by a pinned key"),
        .init(condition: "signed = true", matching: subject { $0.signedBy = signer }, notMatching: clean, reason: "signed by \(signer.hex)"),
        .init(condition: #"signer-not-in = ["\#(signer.hex)"]"#, matching: subject { $0.signedBy = otherSigner }, notMatching: subject { $0.signedBy = signer }, reason: "not by one of the listed keys"),
        .init(condition: #"signer-not-in = ["0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567"]"#, matching: clean, notMatching: subject { $0.signedBy = signer }, reason: "not signed by one of the listed keys"),
        .init(condition: "size-above = 1_000", matching: clean, notMatching: subject { $0.files.removeLast() }, reason: "add up to 1100 bytes, more than 1000"),
        .init(condition: "size-above = 1100", matching: pickled, notMatching: clean, reason: "1600 bytes"),
        .init(condition: "files-above = 2", matching: pickled, notMatching: clean, reason: "it has 3 files, more than 2"),
        .init(condition: "younger-than-days = 7", matching: subject { $0.commitDate = twoDaysAgo }, notMatching: clean, reason: "the commit is 2 days old, younger than 7"),
        .init(condition: "younger-than-days = 3", matching: subject { $0.commitDate = nil }, notMatching: subject { $0.commitDate = twoDaysAgo - 86_400 }, reason: "the commit's date is unknown"),
        .init(condition: "younger-than-days = 2", matching: subject { $0.commitDate = twoDaysAgo + 86_400 }, notMatching: subject { $0.commitDate = twoDaysAgo }, reason: "1 days old"),
    ]

    @Test(arguments: cases, PolicyAction.allCases)
    func everyConditionUnderEveryAction(_ test: ConditionCase, _ action: PolicyAction) throws {
        let rules = try policy("""
            [[policy.rule]]
            name = "r"
            action = "\(action.rawValue)"
            \(test.condition)
            """)
        let hit = rules.evaluate(test.matching, today: today)
        #expect(hit.action == action)
        #expect(hit.reasons.count == 1)
        #expect(hit.reasons.first?.hasPrefix(action == .allow ? "r: allowed: " : "r: ") == true)
        #expect(hit.reasons.first?.contains(test.reason) == true, "\(hit.reasons)")
        #expect(hit.blocking == (action == .block ? hit.reasons : []))
        #expect(rules.evaluate(test.notMatching, today: today) == .allowed)
    }

    @Test func conditionsOfOneRuleMustAllHold() throws {
        let rules = try policy("""
            [[policy.rule]]
            name = "fresh-pickles"
            action = "block"
            formats = ["pytorch-zip"]
            younger-than-days = 7
            """)
        #expect(rules.evaluate(pickled, today: today) == .allowed)  // old enough
        var fresh = pickled
        fresh.commitDate = twoDaysAgo
        let decision = rules.evaluate(fresh, today: today)
        #expect(decision.action == .block)
        #expect(decision.reasons == ["fresh-pickles: `pytorch_model.bin` is pytorch-zip; the commit is 2 days old, younger than 7"])
        #expect(rules.evaluate(subject { $0.commitDate = twoDaysAgo }, today: today) == .allowed)  // no pickle
    }

    @Test func aRuleWithoutConditionsMatchesEveryModel() throws {
        let rules = try policy("[[policy.rule]]\nname = \"default-deny\"\naction = \"block\"\n")
        #expect(rules.evaluate(clean, today: today).reasons == ["default-deny: every model"])
    }
}

@Suite struct PolicyDecisionTests {
    static let org = """
        [[policy.rule]]
        name = "trusted"
        action = "allow"
        owners = ["acme"]

        [[policy.rule]]
        name = "no-pickle-weights"
        action = "block"
        formats = ["pickle", "pytorch-zip", "joblib"]

        [[policy.rule]]
        name = "licences"
        action = "log"
        license-unknown = true
        """

    @Test func anAllowEndsItsSetButNotAnEarlierBlock() throws {
        let rules = try policy(Self.org)
        // acme is trusted: its pickle is not looked at.
        #expect(rules.evaluate(pickled, today: today) == PolicyDecision(action: .allow, reasons: ["trusted: allowed: owner `acme` matches `acme`"]))
        let other = subject { $0.repo = "bob/tiny"; $0.licenses = []; $0.files.append(.init(path: "w.pkl", size: 1, format: "pickle", verdict: .safe)) }
        let decision = rules.evaluate(other, today: today)
        #expect(decision.action == .block)
        #expect(decision.reasons == ["licences: no licence is declared", "no-pickle-weights: `w.pkl` is pickle"])
        #expect(decision.blocking == ["no-pickle-weights: `w.pkl` is pickle"])
        // A block before the allow still blocks.
        let blockFirst = try policy("[[policy.rule]]\nname = \"b\"\naction = \"block\"\nformats = [\"pytorch-zip\"]\n" + Self.org)
        #expect(blockFirst.evaluate(pickled, today: today).action == .block)
    }

    @Test func logIsTheWorstOfLogs() throws {
        let rules = try policy(Self.org)
        let unlicensed = subject { $0.repo = "bob/tiny"; $0.licenses = [] }
        #expect(rules.evaluate(unlicensed, today: today) == PolicyDecision(action: .log, reasons: ["licences: no licence is declared"]))
    }

    @Test func dryRunTurnsEveryBlockIntoALog() throws {
        let rules = try policy("[policy]\nmode = \"dry-run\"\n" + Self.org)
        let other = subject { $0.repo = "bob/tiny"; $0.files.append(.init(path: "w.pkl", size: 1, format: "pickle", verdict: .safe)) }
        let decision = rules.evaluate(other, today: today)
        #expect(decision.action == .log)
        #expect(decision.reasons == ["no-pickle-weights: would block (dry-run): `w.pkl` is pickle"])
        #expect(decision.blocking.isEmpty)
    }

    @Test func twoSetsAreEvaluatedApartAndTheWorseWins() throws {
        let shared = try #require(try PolicyFormat.parse("[[policy.rule]]\nname = \"no-pickle\"\naction = \"block\"\nformats = [\"pytorch-zip\"]\n", file: "org.toml", shared: true))
        let project = try #require(try PolicyFormat.parse(Self.org, file: "modelpin.toml", shared: false))
        let both = Policy(ruleSets: [shared, project])
        // The project's `trusted` allow does not end the organisation's set.
        let decision = both.evaluate(pickled, today: today)
        #expect(decision.action == .block)
        #expect(decision.reasons == ["no-pickle: `pytorch_model.bin` is pytorch-zip", "trusted: allowed: owner `acme` matches `acme`"])
        // A dry-run project cannot soften an enforcing organisation.
        let dry = try #require(try PolicyFormat.parse("[policy]\nmode = \"dry-run\"\n", file: "modelpin.toml", shared: false))
        #expect(Policy(ruleSets: [shared, dry]).evaluate(pickled, today: today).action == .block)
    }
}

@Suite struct PolicyWaiverTests {
    static func rules(expires: String, repos: String = #"["acme/legacy-*"]"#) -> String {
        """
        [policy]
        [[policy.rule]]
        name = "licences"
        action = "block"
        license-not-in = ["apache-2.0", "mit", "llama3.1"]
        [[policy.waiver]]
        rule = "licences"
        repos = \(repos)
        reason = "approved by legal, ticket 123"
        expires = \(expires)
        """
    }

    static let gpl = subject { $0.repo = "acme/legacy-bert"; $0.licenses = ["gpl-3.0"] }

    @Test func aWaiverLiftsItsRuleForItsReposOnly() throws {
        let rules = try policy(Self.rules(expires: "2027-03-31"))
        try rules.validate(today: today)
        let waived = rules.evaluate(Self.gpl, today: today)
        #expect(waived.action == .allow)
        #expect(waived.reasons == ["licences: waived until 2027-03-31 (approved by legal, ticket 123): licence `gpl-3.0` is not one of `apache-2.0`, `mit`, `llama3.1`"])
        var other = Self.gpl
        other.repo = "acme/new-bert"
        #expect(rules.evaluate(other, today: today).action == .block)
    }

    @Test func aWaiverByOwner() throws {
        let text = Self.rules(expires: "2027-03-31").replacingOccurrences(of: #"repos = ["acme/legacy-*"]"#, with: #"owners = ["acme"]"#)
        #expect(try policy(text).evaluate(Self.gpl, today: today).action == .allow)
    }

    @Test func aWaiverIsValidThroughItsLastDay() throws {
        let rules = try policy(Self.rules(expires: "2026-12-02"))
        try rules.validate(today: today)
        #expect(rules.evaluate(Self.gpl, today: today).action == .allow)
    }

    @Test func anExpiredWaiverIsAnErrorNamingIt() throws {
        let rules = try policy(Self.rules(expires: "2026-12-01"), file: "project/modelpin.toml")
        #expect(throws: PolicyError.expiredWaiver(file: "project/modelpin.toml", rule: "licences", expires: PolicyDay(year: 2026, month: 12, day: 1)!, reason: "approved by legal, ticket 123")) {
            try rules.validate(today: today)
        }
        let error = PolicyError.expiredWaiver(file: "f", rule: "licences", expires: PolicyDay(year: 2026, month: 12, day: 1)!, reason: "r")
        #expect(error.description == "`f`: the waiver of rule `licences` expired on 2026-12-01")
        #expect(error.kind == .operational)
        // Even unvalidated, an expired waiver is never honoured.
        #expect(rules.evaluate(Self.gpl, today: today).action == .block)
    }

    @Test func aWaiverForAnUnknownRuleIsAnError() throws {
        let text = Self.rules(expires: "2027-03-31").replacingOccurrences(of: "rule = \"licences\"", with: "rule = \"licenses\"")
        let error = try #require(policyError(text))
        #expect(error.field == "policy.waiver[1].rule")
        #expect(error.line == 7)
        #expect(error.message.contains("`licenses`, which this policy does not define"))
    }

    @Test(arguments: [
        ("reason = \"approved by legal, ticket 123\"\n", "", "policy.waiver[1].reason", "`reason` is missing"),
        ("expires = 2027-03-31", "expires = \"2027-03-31\"", "policy.waiver[1].expires", "must be a TOML date"),
        ("expires = 2027-03-31", "expires = 2027-03-31T10:00:00Z", "policy.waiver[1].expires", "must be a TOML date"),
        ("expires = 2027-03-31", "", "policy.waiver[1].expires", "`expires` is missing"),
        ("repos = [\"acme/legacy-*\"]\n", "", "policy.waiver[1]", "names the `repos` or `owners`"),
        ("reason = \"approved by legal, ticket 123\"", "reason = \"\"", "policy.waiver[1].reason", "must not be empty"),
    ])
    func aWaiverNeedsAReasonAnExpiryAndAScope(_ replace: String, _ with: String, _ field: String, _ message: String) throws {
        let text = Self.rules(expires: "2027-03-31").replacingOccurrences(of: replace, with: with)
        let error = try #require(policyError(text))
        #expect(error.field == field)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.line != nil)
        #expect(error.file == "org/policy.toml")
    }
}

@Suite struct MalformedPolicyTests {
    static let good = """
        [policy]
        mode = "enforce"

        [[policy.rule]]
        name = "no-pickle"
        action = "block"
        formats = ["pickle"]

        [[policy.rule]]
        name = "big"
        action = "log"
        size-above = 10
        """

    @Test(arguments: [
        ("mode = \"enforce\"", "mode = \"audit\"", "policy.mode", 2, "must be `enforce` or `dry-run`"),
        ("mode = \"enforce\"", "mood = \"enforce\"", "policy.mood", 2, "unknown key `mood` (did you mean `mode`?)"),
        ("action = \"log\"", "action = \"warn\"", "policy.rule[2].action", 11, "must be `allow`, `log` or `block`"),
        ("action = \"log\"", "", "policy.rule[2].action", 9, "`action` is missing"),
        ("size-above = 10", "size-above = \"10GB\"", "policy.rule[2].size-above", 12, "must be an integer"),
        ("size-above = 10", "size-above = -1", "policy.rule[2].size-above", 12, "must not be negative"),
        ("size-above = 10", "sise-above = 10", "policy.rule[2].sise-above", 12, "did you mean `size-above`"),
        ("formats = [\"pickle\"]", "formats = []", "policy.rule[1].formats", 7, "at least one value"),
        ("formats = [\"pickle\"]", "formats = \"pickle\"", "policy.rule[1].formats", 7, "must be an array of strings"),
        ("formats = [\"pickle\"]", "verdicts = [\"safe\", \"bad\"]", "policy.rule[1].verdicts[2]", 7, "`bad` is not a verdict"),
        ("formats = [\"pickle\"]", "signer-not-in = [\"ABCD1234\"]", "policy.rule[1].signer-not-in[1]", 7, "not a full OpenPGP fingerprint"),
        ("formats = [\"pickle\"]", "remote-code = \"yes\"", "policy.rule[1].remote-code", 7, "must be a boolean"),
        ("name = \"big\"", "name = \"no-pickle\"", "policy.rule[2].name", 10, "defined twice"),
        ("name = \"big\"", "name = \"big rule\"", "policy.rule[2].name", 10, "is not a rule name"),
        ("name = \"big\"", "", "policy.rule[2].name", 9, "`name` is missing"),
    ])
    func aMalformedPolicyNamesFileLineAndField(_ replace: String, _ with: String, _ field: String, _ line: Int, _ message: String) throws {
        let text = Self.good.replacingOccurrences(of: replace, with: with)
        let error = try #require(policyError(text))
        #expect(error.file == "org/policy.toml")
        #expect(error.field == field)
        #expect(error.line == line)
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func theGoodPolicyParses() throws {
        #expect(policyError(Self.good) == nil)
        #expect(policyError(Self.good, shared: true) == nil)
    }

    @Test func aSharedFileHoldsOnlyAPolicy() throws {
        let extra = try #require(policyError("endpoint = \"https://x\"\n" + Self.good, shared: true))
        #expect(extra.field == "endpoint")
        #expect(extra.line == 1)
        let none = try #require(policyError("# nothing\n", shared: true))
        #expect(none.message.contains("no [policy] table"))
        // In modelpin.toml other keys are the manifest's, and no [policy] is no policy.
        #expect(try PolicyFormat.parse("endpoint = \"https://x\"\n", file: "modelpin.toml", shared: false) == nil)
    }

    @Test func notTOMLAtAll() throws {
        let error = try #require(policyError("[policy\n"))
        #expect(error.line == 1)
        #expect(error.message.contains("not valid TOML"))
    }
}

@Suite struct PolicyDigestTests {
    @Test func theCanonicalFormIgnoresLayoutButNotRules() throws {
        let a = try policy("""
            # the org's rules
            [policy]
            [[policy.rule]]
            name = "licences"
            action = "block"
            license-not-in = ["mit", "Apache-2.0"]
            owners = ["bob"]
            """)
        let b = try policy("""
            policy.rule = [ { owners = ['bob'], name = "licences", license-not-in = ["apache-2.0", "mit"], action = 'block' } ]
            """)
        #expect(a.canonicalText == b.canonicalText)
        #expect(a.canonicalText.hasPrefix("modelpin-policy/1\n"))
        let changed = try policy("[[policy.rule]]\nname = \"licences\"\naction = \"log\"\nlicense-not-in = [\"mit\", \"apache-2.0\"]\nowners = [\"bob\"]\n")
        #expect(changed.canonicalText != a.canonicalText)
        let dry = try policy("[policy]\nmode = \"dry-run\"\n[[policy.rule]]\nname = \"licences\"\naction = \"block\"\nlicense-not-in = [\"mit\", \"apache-2.0\"]\nowners = [\"bob\"]\n")
        #expect(dry.canonicalText != a.canonicalText)
    }

    @Test func aWaiverChangesIt() throws {
        let base = PolicyWaiverTests.rules(expires: "2027-03-31")
        let later = PolicyWaiverTests.rules(expires: "2027-04-01")
        #expect(try policy(base).canonicalText != policy(later).canonicalText)
        #expect(try policy(base).canonicalText == policy("\n\n" + base + "\n# end\n").canonicalText)
    }

    @Test func ruleOrderMatters() throws {
        let one = try policy("[[policy.rule]]\nname = \"a\"\naction = \"allow\"\n[[policy.rule]]\nname = \"b\"\naction = \"block\"\n")
        let two = try policy("[[policy.rule]]\nname = \"b\"\naction = \"block\"\n[[policy.rule]]\nname = \"a\"\naction = \"allow\"\n")
        #expect(one.canonicalText != two.canonicalText)
    }

    @Test func noRulesNoText() throws {
        #expect(try policy("[policy]\n").canonicalText == "")
    }
}

@Suite struct PolicyDayTests {
    @Test(arguments: [(1970, 1, 1, 0), (2000, 3, 1, 11_017), (2026, 12, 2, 20_789), (1969, 12, 31, -1)])
    func daysSinceEpoch(_ y: Int, _ m: Int, _ d: Int, _ days: Int) throws {
        let day = try #require(PolicyDay(year: y, month: m, day: d))
        #expect(day.daysSinceEpoch == days)
        #expect(PolicyDay(secondsSinceEpoch: Int64(days) * 86_400 + 86_399) == day)
    }

    @Test func impossibleDays() {
        #expect(PolicyDay(year: 2027, month: 2, day: 29) == nil)
        #expect(PolicyDay(year: 2028, month: 2, day: 29) != nil)
        #expect(PolicyDay(year: 2027, month: 13, day: 1) == nil)
    }
}
