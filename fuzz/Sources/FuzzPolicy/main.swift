// A policy file is outside text: `--policy`, `MODELPIN_POLICY` or a [policy] in a modelpin.toml
// that a pull request edits. Invariants, not just "no crash": whatever parses has unique rule
// names, waivers only for its own rules, a canonical form that reads back to the same canonical
// form, and an evaluation that never blocks without saying why. `policy test` fixtures too.
import PinLock
import PinModel
import PinPolicy

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicy(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    for shared in [false, true] {
        guard let set = try? PolicyFormat.parse(text, file: "policy.toml", shared: shared) else { continue }
        let names = set.rules.map(\.name)
        precondition(Set(names).count == names.count, "two rules with one name")
        precondition(set.waivers.allSatisfy { names.contains($0.rule) }, "a waiver for a rule the set does not define")
        precondition(set.waivers.allSatisfy { !$0.reason.isEmpty && !($0.repos.isEmpty && $0.owners.isEmpty) }, "a waiver without reason or scope")
        let policy = Policy(ruleSets: [set])
        let subject = PolicySubject(
            repo: "acme/tiny", licenses: [], files: [.init(path: "w.bin", size: 1, format: "pickle", verdict: .unsupported)], commitDate: nil)
        let today = PolicyDay(year: 2026, month: 12, day: 2)!
        let decision = policy.evaluate(subject, today: today)
        precondition(decision.action != .block || !decision.blocking.isEmpty, "a block without a reason")
        precondition(set.mode == .enforce || decision.action != .block, "a dry run that blocks")
        _ = policy.canonicalText
    }
    // A `policy test` fixture is outside text too (a platform team's CI input).
    if let fixture = try? PolicyFixture.parse(text, file: "fixture.toml") {
        let empty = Policy(ruleSets: [])
        for test in fixture.cases {
            precondition(!test.subject.repo.isEmpty, "a fixture model without a repo")
            precondition(empty.evaluate(test.subject, today: fixture.today) == .allowed, "no rule, yet not allowed")
        }
    }
    return 0
}

/// TOMLKit leaks on every parse (see FuzzTrustText): the library's, not modelpin's.
@_cdecl("__lsan_default_suppressions")
public func leakSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(("leak:TOMLKit\n" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}
