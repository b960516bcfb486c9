import PinModel
import Testing
@testable import PinScan

/// Chat templates, configs that instantiate code, remote code, TensorFlow graphs: what the corpus
/// (Tests/ScanCorpus) does not pin down — positions, the lexer's edges, the policy switches.
@Suite struct ConfigTests {
    // MARK: Jinja

    struct TemplateCase: Sendable, CustomStringConvertible {
        var template: String
        var verdict: Verdict?
        var description: String { template }
    }

    static let templates: [TemplateCase] = [
        // Benign constructs of real chat templates.
        .init(template: "{{ messages[0]['content'] }}", verdict: nil),
        .init(template: "{{ messages[messages|length - 1].role }}", verdict: nil),
        .init(template: "{{ content.split('</think>')[-1].lstrip('\\n') }}", verdict: nil),
        .init(template: "{%- set ns = namespace(found=false) -%}{%- set ns.found = true -%}", verdict: nil),
        .init(template: "{{ '{\"name\": \"' + tool.name + '\"}' }}", verdict: nil),
        .init(template: "{{ x | selectattr('role', 'equalto', 'user') | list }}", verdict: nil),
        .init(template: "{{ {'a': {'b': 1}}['a'] }}", verdict: nil),  // `}}` inside braces does not end the tag
        .init(template: "{# {{ ''.__class__ }} #}", verdict: nil),
        .init(template: "{% raw %}{{ ''.__class__ }}{% endraw %}", verdict: nil),
        .init(template: "{%+ if x +%}y{%- endif -%}", verdict: nil),
        .init(template: "{{ x|map(attribute='name')|join(', ') }}", verdict: nil),
        // Escapes and obfuscation.
        .init(template: "{{ x.__class__ }}", verdict: .unsafe),
        .init(template: "{{ x._private }}", verdict: .unsafe),
        .init(template: "{{ x.gi_frame }}", verdict: .unsafe),
        .init(template: "{{ 1.__class__ }}", verdict: .unsafe),
        .init(template: "{{ 1.5e3 + 2 }}{{ x[1_000] }}", verdict: nil),
        .init(template: "{{ x['\\u005f\\u005fclass\\u005f\\u005f'] }}", verdict: .unsafe),
        .init(template: "{{ x['\\137\\137class\\137\\137'] }}", verdict: .unsafe),
        .init(template: "{{ x['\\N{LOW LINE}\\N{LOW LINE}class\\N{LOW LINE}\\N{LOW LINE}'] }}", verdict: .unsafe),
        .init(template: "{{ x['\\N{SNOWMAN}'] }}", verdict: .unsafe),
        .init(template: "{{ x|attr(name) }}", verdict: .unsafe),
        .init(template: "{{ x|attr }}", verdict: .unsafe),
        .init(template: "{{ x|map(attribute=name) }}", verdict: .unsafe),
        .init(template: "{{ x|map(attribute='__class__') }}", verdict: .unsafe),
        .init(template: "{{ x['a'|replace('a', '_')] }}", verdict: .unsafe),
        .init(template: "{{ x['%c%cclass'|format(95, 95)] }}", verdict: .unsafe),
        .init(template: "{{ lipsum }}{{ lipsum.x }}", verdict: .unsafe),
        .init(template: "{{ self.blocks }}", verdict: .unsafe),
        .init(template: "{% set a = '__glo' ~ 'bals__' %}", verdict: .unsafe),
        .init(template: "{% set u = '_'*2 %}{{ x[u ~ 'class' ~ u] }}", verdict: .unsafe),
        .init(template: "{{ x[['_', '_', 'class', '_', '_']|join] }}", verdict: .unsafe),
        .init(template: "{% set t = 'class__' %}", verdict: .unsafe),
        .init(template: "{% set u = 'a_b'[1] %}", verdict: .unsafe),
        .init(template: "{% set u = '%c'|format(95) %}", verdict: .unsafe),
        .init(template: "{{ x|map('attr', n) }}", verdict: .unsafe),
        .init(template: "{{ name.split('_')[0] ~ name.replace('_', ' ') ~ name.strip('_') }}", verdict: nil),
        .init(template: "{{ x|map(attribute='content')|map('trim')|join('\\n') }}", verdict: nil),
        // What the lexer cannot read.
        .init(template: "{{ x ", verdict: .malformed),
        .init(template: "{% if x %", verdict: .malformed),
        .init(template: "{# never closed", verdict: .malformed),
        .init(template: "{% raw %}never closed", verdict: .malformed),
        .init(template: "{{ 'open }}", verdict: .malformed),
        .init(template: "{{ x) }}", verdict: .malformed),
        .init(template: "{{ x ? y }}", verdict: .malformed),
        .init(template: "{{ '\\xZZ' }}", verdict: .malformed),
    ]

    @Test(arguments: templates) func template(_ c: TemplateCase) {
        let issues = JinjaCheck.check(Array(c.template.utf8))
        #expect(issues.map(\.verdict).max() == c.verdict, "\(issues.map(\.detail))")
    }

    @Test func issuesSayLineColumnAndExpression() throws {
        let template = "{{ bos_token }}\n{% for m in messages %}\n  {{ m.__class__ }}{% endfor %}"
        let issue = try #require(JinjaCheck.check(Array(template.utf8)).first)
        #expect(issue.line == 3 && issue.column == 8)
        #expect(issue.offset == template.utf8.count - "__class__ }}{% endfor %}".utf8.count)
        #expect(issue.detail.contains("`__class__`") && issue.detail.contains("{{ m.__class__ }}"))
    }

    @Test func hostileTemplatesCostLittle() {
        let huge = String(repeating: "{{ x.__class__ }}", count: 200_000)
        #expect(JinjaCheck.check(Array(huge.utf8)).count == JinjaCheck.maxIssues)
    }

    // MARK: GGUF chat templates

    private func gguf(_ key: String, _ template: String) -> [UInt8] {
        func string(_ s: String) -> [UInt8] { Fixture.le(UInt64(s.utf8.count), 8) + Array(s.utf8) }
        return Array("GGUF".utf8) + Fixture.le(3, 4) + Fixture.le(0, 8) + Fixture.le(2, 8)
            + string("general.architecture") + Fixture.le(8, 4) + string("llama")
            + string(key) + Fixture.le(8, 4) + string(template)
    }

    @Test func ggufTemplateFindingsPointIntoTheFile() throws {
        let bytes = gguf("tokenizer.chat_template", "{{ messages }}{{ cycler.__init__ }}")
        let report = Fixture.scan(bytes, path: "model.gguf")
        #expect(report.format == "gguf" && report.verdict == .unsafe)
        let finding = try #require(report.findings.first)
        #expect(finding.kind == "chat-template")
        let offset = Int(try #require(finding.offset))
        #expect(Array(bytes[offset..<offset + 6]) == Array("cycler".utf8))
        #expect(Fixture.scan(gguf("tokenizer.chat_template.rag", "{{ x.__globals__ }}"), path: "m.gguf").verdict == .unsafe)
        #expect(Fixture.scan(gguf("tokenizer.chat_template", "{{ messages[0]['content'] }}"), path: "m.gguf").verdict == .safe)
        // Other string values are data, not templates.
        #expect(Fixture.scan(gguf("general.description", "{{ x.__class__ }}"), path: "m.gguf").verdict == .safe)
    }

    // MARK: YAML _target_

    struct TargetCase: Sendable, CustomStringConvertible {
        var yaml: String
        var verdict: Verdict
        var description: String { yaml }
    }

    static let targets: [TargetCase] = [
        .init(yaml: "a:\n  _target_: torch.nn.Linear\n", verdict: .safe),
        .init(yaml: "a: {_target_: 'torch.optim.AdamW', lr: 0.1}\n", verdict: .safe),
        .init(yaml: "a:\n  _target_: os.system  # a comment\n", verdict: .unsafe),
        .init(yaml: "a:\n- _target_: runpy.run_path\n", verdict: .unsafe),
        .init(yaml: "a:\n  \"_t\\x61rget_\": os.system\n", verdict: .unsafe),
        .init(yaml: "a:\n  '_target_': eval\n", verdict: .unsafe),
        .init(yaml: "a:\n  _target_: hydra.utils.instantiate\n", verdict: .unsafe),
        .init(yaml: "a:\n  _target_: acme.Net\n", verdict: .suspicious),
        .init(yaml: "# _target_: os.system in a comment only\nname: x\n", verdict: .safe),
        .init(yaml: "name: my_target_name\n", verdict: .safe),
        .init(yaml: "a:\n  _target_: os.system extra\n", verdict: .malformed),
        .init(yaml: "a:\n  _target_: !!str os.system\n", verdict: .malformed),
        .init(yaml: "note: \"see _target_ below\"\n", verdict: .malformed),
        .init(yaml: "a:\n  _target_: 'os.system' trailing\n", verdict: .malformed),
        .init(yaml: "a: !!python/name:os.system\n", verdict: .unsafe),
        // NeMo's top-level `target` (restore_from imports it); elsewhere `target` is just a word.
        .init(yaml: "target: os.system\nx: 1\n", verdict: .unsafe),
        .init(yaml: "target: nemo.collections.asr.models.EncDecCTCModelBPE\n", verdict: .safe),
        .init(yaml: "target: acme.models.Net\n", verdict: .suspicious),
        .init(yaml: "target: 0.5\nloss:\n  target: os.system\n", verdict: .safe),
        .init(yaml: "target: &t os.system\n", verdict: .malformed),
    ]

    @Test(arguments: targets) func target(_ c: TargetCase) {
        let report = Fixture.scan(Array(c.yaml.utf8), path: "model_config.yaml")
        #expect(report.verdict == c.verdict, "\(report.format): \(report.findings.map(\.detail))")
    }

    @Test func targetsAreAcceptedOnlyByExactName() {
        let yaml = Array("m:\n  _target_: acme.Net\n".utf8)
        let accepted = Scanner.scan(MemorySource(yaml), path: "c.yaml", policy: ScanPolicy(allowedGlobals: ["acme.Net"]))
        #expect(accepted.verdict == .safe && accepted.findings.first?.kind == Finding.acceptedKind)
        let other = Scanner.scan(MemorySource(yaml), path: "c.yaml", policy: ScanPolicy(allowedGlobals: ["acme.Other"]))
        #expect(other.verdict == .suspicious)
    }

    // MARK: Remote code

    @Test func remoteCodeIsSuspiciousUnlessAllowedAndAlwaysReported() {
        let config = Array(#"{"model_type": "acme", "auto_map": {"AutoModel": "modeling_acme.AcmeModel"}}"#.utf8)
        let python = Array("import os\n".utf8)
        var allow = ScanPolicy()
        allow.allowRemoteCode = true
        for (bytes, path) in [(config, "config.json"), (python, "modeling_acme.py"), ([], "__init__.py")] {
            let refused = Fixture.scan(bytes, path: path)
            #expect(refused.verdict == .suspicious, "\(path)")
            #expect(!ScanPolicy().admits(refused), "\(path)")
            let allowed = Scanner.scan(MemorySource(bytes), path: path, policy: allow)
            #expect(allowed.verdict == .suspicious && allow.admits(allowed), "\(path): admitted, and still says what it is")
            #expect(allowed.findings.contains { $0.kind == Finding.remoteCodeKind }, "\(path): the finding must still show")
        }
        #expect(Fixture.scan(config, path: "config.json").findings.first?.detail.contains("modeling_acme.AcmeModel") == true)
        #expect(Fixture.scan(Array(#"{"model_type": "llama"}"#.utf8), path: "config.json").verdict == .safe)
        // Only remote code is lifted: an unknown callable beside it still refuses.
        let both = Scanner.scan(MemorySource(Array("m:\n  _target_: acme.Net\n".utf8)), path: "x.py", policy: allow)
        #expect(both.verdict == .suspicious && !allow.admits(both))
        var strict = allow
        strict.strict = true
        #expect(!strict.admits(ScanReport(path: "x", format: "unknown", findings: [
            Finding(verdict: .suspicious, kind: Finding.remoteCodeKind, detail: "d"), Finding(verdict: .unsupported, kind: "unsupported", detail: "u"),
        ])))
    }

    @Test func aConfigThatCannotBeParsedButNamesOurKeysIsMalformed() {
        let report = Fixture.scan(Array(#"{"auto_map": {"AutoModel": "m.M"}, "x": NaN}"#.utf8), path: "config.json")
        #expect(report.verdict == .malformed)
        #expect(Fixture.scan(Array(#"{"x": NaN}"#.utf8), path: "config.json").verdict == .safe)
    }

    // MARK: TensorFlow and sentencepiece

    private func field(_ number: UInt64, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for var value in [number << 3 | 2, UInt64(payload.count)] {
            while value >= 0x80 { out.append(UInt8(value & 0x7F) | 0x80); value >>= 7 }
            out.append(UInt8(value))
        }
        return out + payload
    }

    private func node(_ name: String, _ op: String) -> [UInt8] {
        field(1, field(1, Array(name.utf8)) + field(2, Array(op.utf8)))
    }

    @Test func everyDangerousOpIsFoundInGraphsAndFunctions() throws {
        for op in ["PyFunc", "PyFuncStateless", "EagerPyFunc", "ReadFile", "WriteFile"] {
            let graph = node("a", "Const") + node("b", op)
            let frozen = Fixture.scan(graph, path: "frozen.pb")
            #expect(frozen.format == "tf-graphdef" && frozen.verdict == .unsafe, "\(op)")
            let function = field(1, field(1, field(1, Array("f".utf8))) + field(3, field(1, Array("n".utf8)) + field(2, Array(op.utf8))))
            let saved = [0x08, 0x01] + field(2, field(2, node("a", "Const") + field(2, function)))
            let report = Fixture.scan(saved, path: "saved_model.pb")
            #expect(report.format == "tf-savedmodel" && report.verdict == .unsafe, "\(op)")
            #expect(report.findings.first?.detail.contains("in function `f`") == true)
        }
        #expect(Fixture.scan(node("a", "Const") + node("b", "MatMul"), path: "g.pb").verdict == .safe)
    }

    @Test func sentencepieceIsRecognisedAndNodesWithoutOpsAreNotGraphs() {
        let score: [UInt8] = [0x15, 0, 0, 0x80, 0xBF]  // score (2, fixed32) = -1.0
        let model = field(1, field(1, Array("▁the".utf8)) + score) + field(2, field(1, Array("corpus".utf8)))
        let report = Fixture.scan(model, path: "tokenizer.model")
        #expect(report.format == "sentencepiece" && report.verdict == .safe)
        #expect(TensorFlowScanner.recognise(MemorySource(field(1, field(1, Array("x".utf8)))), prefix: [0x0A]) == nil)
    }
}
