// The chat-template lexer and the configuration reader on arbitrary text: JinjaCheck, and
// ConfigScanner's JSON and YAML paths (`chat_template`, `auto_map`, `_target_`). Besides crashes,
// hangs and memory: the check is deterministic, reports no more than its cap, gives every issue a
// position inside the template, and a template with a dunder attribute appended is never safe.
@testable import PinScan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJinja(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let issues = JinjaCheck.check(bytes)
    precondition(issues == JinjaCheck.check(bytes), "the template check is not deterministic")
    precondition(issues.count <= JinjaCheck.maxIssues + 1, "more issues than the cap")
    for issue in issues {
        precondition(issue.offset >= 0 && issue.offset <= bytes.count, "issue outside the template")
        precondition(issue.line >= 1 && issue.column >= 1, "issue without a position")
    }
    // Whatever came before, a closed template followed by an escape is refused (unless what came
    // before already could not be read, which is refused too).
    let hostile = JinjaCheck.check(bytes + Array("{# #}{{ x.__class__ }}".utf8))
    precondition(hostile.contains { $0.verdict == .unsafe || $0.verdict == .malformed }, "an appended escape went unnoticed")

    let source = MemorySource(bytes)
    for path in ["tokenizer_config.json", "model_config.yaml", "chat_template.jinja"] {
        let report = Scanner.scan(source, path: path, policy: ScanPolicy())
        precondition(report == Scanner.scan(source, path: path, policy: ScanPolicy()), "the scan is not deterministic")
    }
    return 0
}
