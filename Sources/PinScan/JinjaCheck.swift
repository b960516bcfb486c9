import PinModel

// Chat templates: Jinja source that llama.cpp bindings, vLLM, SGLang and transformers render with
// the conversation. Rendered without a sandbox (llama-cpp-python before 0.2.72, CVE-2024-34359)
// or through a sandbox gap, a template reaches Python: `cycler.__init__.__globals__.os`,
// `''.__class__.__mro__[1].__subclasses__()`, `self._TemplateReference__context`, names built
// with `~` or escapes and read through `|attr(...)` or `[...]`. Chat templates never need any of
// that, so this check refuses it without rendering anything.
//
// A small Jinja lexer, written here because no Swift Jinja library is available (and rendering is
// exactly what must not happen): text outside tags is skipped; `{# #}` comments and
// `{% raw %}…{% endraw %}` are skipped; inside `{{ }}` and `{% %}` (whitespace control `-`/`+`
// included) it reads names, numbers, strings (with Python escapes decoded, as Jinja does:
// `"\x5f\x5fclass\x5f\x5f"` is `__class__`) and operators, and keeps brackets balanced the way
// Jinja's lexer does (a `}}` inside `{...}` does not end the tag). Anything it cannot lex — an
// unterminated tag, string or comment, a stray character — is `malformed`: what the scanner
// cannot read, a renderer might read differently.
//
// `unsafe`, with the expression and its line and column:
//   - an attribute (`.x`) starting with `_`, or one of the frame/function internals
//     (`func_globals`, `gi_frame`, `f_globals`…); a dunder name anywhere (`__builtins__`);
//   - `cycler`, `joiner`, `lipsum`, `namespace` or `self` followed by an
//     attribute, a subscript or `|attr`: the globals SSTI payloads start from;
//   - a string (or a `~`/`+` chain of strings) whose value holds a dunder (`"__class__"`,
//     `"{0.__class__}"`), names a frame internal, or mangles `_TemplateReference__context`;
//   - a subscript key, `|attr(...)` or `|map('attr', ...)` name that starts with `_`, or that is
//     computed (built with `~`, `*`, `%`, a filter or a call) and so cannot be judged here;
//   - the makings of a name built at render time: an underscores-only string (outside `split`,
//     `replace`, `strip`…), a string ending like a dunder (`"class__"`), `%c` formatting,
//     characters taken out of a string literal (`"a_b"[1]`);
//   - a filter's `attribute=` argument that is not a plain string.

struct JinjaIssue: Equatable {
    var verdict: Verdict
    var detail: String
    /// Byte offset in the template.
    var offset: Int
    var line: Int
    var column: Int
}

enum JinjaCheck {
    static let dangerousGlobals: Set<String> = ["cycler", "joiner", "lipsum", "namespace", "self"]
    /// Reports past this many stop the check: one is enough to refuse, and a hostile template of
    /// millions of dunders must not cost millions of reports.
    static let maxIssues = 64
    static let internals: Set<String> = [
        "func_globals", "func_code", "gi_frame", "gi_code", "f_globals", "f_locals", "f_back", "f_builtins",
        "tb_frame", "tb_next", "cr_frame", "ag_frame", "mro",
    ]
    /// Filters whose result is a number: harmless inside a subscript (`messages[messages|length - 1]`).
    static let numericFilters: Set<String> = ["length", "count", "int", "abs", "round", "float"]
    static let keywords: Set<String> = ["in", "and", "or", "not", "if", "else", "is", "elif", "for", "set", "recursive"]

    enum Token: Equatable {
        case name(String)
        case string(String, opaque: Bool)
        case number
        case op(String)
    }

    struct Lexed {
        var token: Token
        var offset: Int
    }

    /// Every issue in `template`, in order of position.
    static func check(_ template: [UInt8]) -> [JinjaIssue] {
        var lexer = Lexer(bytes: template)
        var issues: [JinjaIssue] = []
        do {
            while issues.count < maxIssues, let tag = try lexer.nextTag() {
                issues += analyse(tag.tokens, template: template, tagStart: tag.start, tagEnd: tag.end)
            }
        } catch {
            issues.append(issue(.malformed, "the template cannot be read: \(error.detail)", at: error.offset.map(Int.init) ?? 0, in: template))
        }
        return issues
    }

    static func issue(_ verdict: Verdict, _ detail: String, at offset: Int, in template: [UInt8]) -> JinjaIssue {
        var line = 1, column = 1
        for b in template[..<min(offset, template.count)] {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return JinjaIssue(verdict: verdict, detail: detail, offset: offset, line: line, column: column)
    }

    // MARK: Analysis of one tag's tokens

    static func analyse(_ tokens: [Lexed], template: [UInt8], tagStart: Int, tagEnd: Int) -> [JinjaIssue] {
        var issues: [JinjaIssue] = []
        var i = 0
        while i < tokens.count, issues.count < maxIssues {
            var problems: [String] = []
            var next = i + 1
            switch tokens[i].token {
            case .name(let name):
                problems = nameProblems(tokens, at: i, name: name)
            case .string:
                // A `~`/`+` chain of plain strings is one constant: judge its value once.
                let (value, opaque, end) = constant(tokens, from: i)
                problems = stringProblem(tokens, at: i, value: value, opaque: opaque, end: end).map { [$0] } ?? []
                next = end
            case .op("["):
                if isSubscript(tokens, at: i), let problem = judgeSubscript(tokens, openAt: i) { problems = ["subscript \(problem)"] }
            default:
                break
            }
            for what in problems.prefix(maxIssues - issues.count) {
                issues.append(issue(.unsafe, "\(what) in `\(printable(template[tagStart..<tagEnd]))`", at: tokens[i].offset, in: template))
            }
            i = next
        }
        return issues
    }

    /// What is wrong with the name at `i`: a private or internal attribute, a dunder, a global an
    /// escape starts from, or the attribute name an `|attr`, `|map('attr', …)` or `attribute=`
    /// argument reads.
    static func nameProblems(_ tokens: [Lexed], at i: Int, name: String) -> [String] {
        let previous = i > 0 ? tokens[i - 1].token : nil
        let next = i + 1 < tokens.count ? tokens[i + 1].token : nil
        var problems: [String] = []
        if previous == .op(".") {
            if name.hasPrefix("_") || internals.contains(name) { problems.append("attribute `\(name)` reaches interpreter internals") }
        } else if name.hasPrefix("__") {
            problems.append("name `\(name)` reaches interpreter internals")
        } else if dangerousGlobals.contains(name), previous != .op("|"),
            next == .op(".") || next == .op("[") || (next == .op("|") && i + 2 < tokens.count && tokens[i + 2].token == .name("attr"))
        {
            problems.append("global `\(name)` is the start of a sandbox escape (its attributes lead to Python's globals)")
        }
        if name == "attr", previous == .op("|"), let problem = judgeArgument(tokens, openAt: i + 1) {
            problems.append("`|attr` \(problem)")
        }
        // `|map('attr', name)` applies the attr filter to every item.
        if name == "map", previous == .op("|"), i + 3 < tokens.count, tokens[i + 1].token == .op("("),
            case .string("attr", _) = tokens[i + 2].token
        {
            if tokens[i + 3].token != .op(",") {
                problems.append("`|map('attr')` has no literal attribute name")
            } else if let problem = judgeValue(tokens, from: i + 4) {
                problems.append("`|map('attr', …)` \(problem)")
            }
        }
        if name == "attribute", next == .op("="), previous == .op("(") || previous == .op(","),
            let problem = judgeValue(tokens, from: i + 2)
        {
            problems.append("`attribute=` \(problem)")
        }
        return problems
    }

    /// What is wrong with the string constant at `i` (ending before `end`), or nil.
    static func stringProblem(_ tokens: [Lexed], at i: Int, value: String, opaque: Bool, end: Int) -> String? {
        if let why = dangerousString(value) { return "string \(quoted(value)) \(why)" }
        if opaque { return "string with an escape that cannot be resolved (`\\N{…}`)" }
        if !value.isEmpty, value.utf8.allSatisfy({ $0 == 0x5F }),
            !["split", "rsplit", "replace", "strip", "lstrip", "rstrip", "startswith", "endswith"].contains(enclosingCall(tokens, i))
        {
            // `"_"*2 ~ "class"`, `["_", "_"]|join`: underscores are the raw material of dunders.
            return "string \(quoted(value)) is underscores, the makings of a dunder name"
        }
        if value.contains("%c") { return "string \(quoted(value)) formats characters by code (`%c`), which can spell any name" }
        if end < tokens.count, tokens[end].token == .op("[") { return "characters taken out of the string \(quoted(value)) can spell any name" }
        return nil
    }

    /// Whether the `[` at `i` subscripts a value (rather than opening a list literal).
    static func isSubscript(_ tokens: [Lexed], at i: Int) -> Bool {
        switch i > 0 ? tokens[i - 1].token : nil {
        case .name(let name)?: !keywords.contains(name)
        case .op(")")?, .op("]")?, .string?: true
        default: false
        }
    }

    /// Why the value of a string constant is dangerous, or nil.
    static func dangerousString(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == 0x5F, bytes[i + 1] == 0x5F, isNameByte(bytes[i + 2]), bytes[i + 2] != 0x5F {
                return "names a dunder attribute"
            }
            i += 1
        }
        // `"class__"`: the tail of a dunder, to be joined to its head.
        if bytes.count >= 3, bytes[bytes.count - 1] == 0x5F, bytes[bytes.count - 2] == 0x5F, isNameByte(bytes[bytes.count - 3]),
            bytes[bytes.count - 3] != 0x5F
        {
            return "ends like a dunder attribute"
        }
        if value.contains("_TemplateReference") || value.contains("__context") { return "reaches the template context" }
        if internals.contains(value) { return "names a frame or function internal" }
        return nil
    }

    /// The name of the call whose parentheses enclose token `index` (`split` in `x.split('_')`).
    static func enclosingCall(_ tokens: [Lexed], _ index: Int) -> String? {
        var depth = 0
        var j = index - 1
        while j >= 0 {
            if case .op(let op) = tokens[j].token {
                if [")", "]", "}"].contains(op) { depth += 1 }
                if ["(", "[", "{"].contains(op) {
                    if depth == 0 {
                        guard op == "(", j > 0, case .name(let name) = tokens[j - 1].token else { return nil }
                        return name
                    }
                    depth -= 1
                }
            }
            j -= 1
        }
        return nil
    }

    /// The value of the `~`/`+` chain of plain strings starting at `index`, whether an escape was
    /// unresolved, and the index after the chain.
    static func constant(_ tokens: [Lexed], from index: Int) -> (String, Bool, Int) {
        var value = "", opaque = false
        var i = index
        while i < tokens.count, case .string(let s, let o) = tokens[i].token {
            value += s
            opaque = opaque || o
            guard i + 2 < tokens.count, tokens[i + 1].token == .op("~") || tokens[i + 1].token == .op("+"),
                case .string = tokens[i + 2].token
            else { return (value, opaque, i + 1) }
            i += 2
        }
        return (value, opaque, i)
    }

    /// The tokens between the bracket at `open` and its match (exclusive), and the match's index.
    static func enclosed(_ tokens: [Lexed], openAt open: Int) -> (ArraySlice<Lexed>, Int)? {
        guard open < tokens.count, case .op(let o) = tokens[open].token, ["(", "[", "{"].contains(o) else { return nil }
        var depth = 0
        for j in open..<tokens.count {
            if case .op(let op) = tokens[j].token {
                if ["(", "[", "{"].contains(op) { depth += 1 }
                if [")", "]", "}"].contains(op) {
                    depth -= 1
                    if depth == 0 { return (tokens[(open + 1)..<j], j) }
                }
            }
        }
        return nil
    }

    /// A subscript key: a plain string must not start with `_`; one built from strings (`~`,
    /// `*`, `%`, filters other than numeric ones, calls) cannot be judged.
    static func judgeSubscript(_ tokens: [Lexed], openAt open: Int) -> String? {
        guard let (inner, _) = enclosed(tokens, openAt: open) else { return nil }
        let items = Array(inner)
        if items.count >= 1, case .string = items[0].token {
            let (value, _, end) = constant(items, from: 0)
            if end == items.count {
                return value.hasPrefix("_") ? "key \(quoted(value)) starts with `_` (private and internal attributes)" : nil
            }
        }
        return computed(items) ? "key is computed from strings and cannot be judged" : nil
    }

    /// The argument of `|attr(...)` (or of a filter called without parentheses): one plain string
    /// that does not start with `_`.
    static func judgeArgument(_ tokens: [Lexed], openAt open: Int) -> String? {
        guard open < tokens.count, tokens[open].token == .op("("), let (inner, _) = enclosed(tokens, openAt: open) else {
            return "has no literal attribute name"
        }
        return judgeValue(Array(inner), from: 0, whole: true)
    }

    /// A value that must be one plain string (the rest of `tokens` up to `,` or `)` unless `whole`).
    static func judgeValue(_ tokens: [Lexed], from start: Int, whole: Bool = false) -> String? {
        guard start < tokens.count, case .string = tokens[start].token else { return "names an attribute that is not a plain string" }
        let (value, _, end) = constant(tokens, from: start)
        let rest = end < tokens.count ? tokens[end].token : nil
        if whole ? end != tokens.count : !(rest == nil || rest == .op(",") || rest == .op(")")) {
            return "names an attribute computed from strings"
        }
        return value.hasPrefix("_") ? "names \(quoted(value)), which starts with `_`" : nil
    }

    /// Whether a subscript expression builds a string: `~`, a string with `*` or `%`, a filter
    /// that is not numeric, or a call.
    static func computed(_ items: [Lexed]) -> Bool {
        for (j, item) in items.enumerated() {
            let previous = j > 0 ? items[j - 1].token : nil
            let next = j + 1 < items.count ? items[j + 1].token : nil
            switch item.token {
            case .op("~"): return true
            case .op("*"), .op("%"):
                if case .string? = previous { return true }
                if case .string? = next { return true }
            case .op("("):
                if case .name? = previous { return true }
                if previous == .op(")") || previous == .op("]") { return true }
            case .name(let name):
                if previous == .op("|"), !numericFilters.contains(name) { return true }
            default: break
            }
        }
        return false
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80
    }

    static func quoted(_ s: String) -> String { "`" + printable(ArraySlice(s.utf8)) + "`" }

    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        var out = ""
        for scalar in text.unicodeScalars {
            if out.unicodeScalars.count >= 160 { out += "…"; break }
            out.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar)
        }
        return out
    }

    // MARK: Lexer

    struct Tag {
        var tokens: [Lexed]
        /// The tag's bytes, delimiters included.
        var start: Int
        var end: Int
    }

    struct Lexer {
        let bytes: [UInt8]
        var index = 0

        func at(_ i: Int, _ literal: String) -> Bool {
            let utf8 = Array(literal.utf8)
            return i + utf8.count <= bytes.count && bytes[i..<i + utf8.count].elementsEqual(utf8)
        }

        func find(_ literal: String, from start: Int) -> Int? {
            var i = start
            while i < bytes.count {
                if at(i, literal) { return i }
                i += 1
            }
            return nil
        }

        /// The next `{{ }}` or `{% %}` tag, past text, comments and raw blocks; nil at the end.
        mutating func nextTag() throws(FormatError) -> Tag? {
            while true {
                guard let open = find("{", from: index) else { index = bytes.count; return nil }
                index = open + 1
                if at(open, "{#") {
                    guard let close = find("#}", from: open + 2) else { throw FormatError("unterminated comment `{#`", offset: Int64(open)) }
                    index = close + 2
                    continue
                }
                guard at(open, "{{") || at(open, "{%") else { continue }
                let block = at(open, "{%")
                index = open + 2
                if index < bytes.count, bytes[index] == 0x2D || bytes[index] == 0x2B { index += 1 }
                let tokens = try tagTokens(block: block, open: open)
                if block, tokens.first?.token == .name("raw") {
                    guard tokens.count == 1 || (tokens.count == 2 && tokens[1].token == .op("-")) else {
                        throw FormatError("`raw` takes no arguments", offset: Int64(open))
                    }
                    try skipRaw(from: open)
                    continue
                }
                return Tag(tokens: tokens, start: open, end: index)
            }
        }

        /// Past `{% endraw %}` (with optional whitespace control).
        mutating func skipRaw(from open: Int) throws(FormatError) {
            var i = index
            while let candidate = find("{%", from: i) {
                var j = candidate + 2
                if j < bytes.count, bytes[j] == 0x2D || bytes[j] == 0x2B { j += 1 }
                while j < bytes.count, isSpace(bytes[j]) { j += 1 }
                if at(j, "endraw") {
                    j += 6
                    while j < bytes.count, isSpace(bytes[j]) { j += 1 }
                    if j < bytes.count, bytes[j] == 0x2D || bytes[j] == 0x2B { j += 1 }
                    if at(j, "%}") { index = j + 2; return }
                }
                i = candidate + 2
            }
            throw FormatError("`{% raw %}` without `{% endraw %}`", offset: Int64(open))
        }

        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C || b == 0x0B }

        /// Tokens up to the tag's end (`%}` or `}}` with no bracket open), which is consumed.
        mutating func tagTokens(block: Bool, open: Int) throws(FormatError) -> [Lexed] {
            var tokens: [Lexed] = []
            var stack: [UInt8] = []
            while true {
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                guard index < bytes.count else {
                    throw FormatError("unterminated `\(block ? "{%" : "{{")`", offset: Int64(open))
                }
                if stack.isEmpty, at(index, block ? "%}" : "}}") {
                    index += 2
                    return tokens
                }
                let start = index
                let b = bytes[index]
                if b == 0x27 || b == 0x22 {
                    let (value, opaque) = try string(quote: b)
                    tokens.append(Lexed(token: .string(value, opaque: opaque), offset: start))
                } else if b >= 0x30 && b <= 0x39 {
                    // As Jinja's number rules: digits (and `_`), a fraction only when a digit
                    // follows the dot, an exponent. `1.__class__` is 1, `.`, `__class__`.
                    func digits() { while index < bytes.count, isDigit(bytes[index]) || bytes[index] == 0x5F { index += 1 } }
                    digits()
                    if index + 1 < bytes.count, bytes[index] == 0x2E, isDigit(bytes[index + 1]) { index += 1; digits() }
                    if index + 1 < bytes.count, bytes[index] | 0x20 == 0x65 {
                        let sign = bytes[index + 1] == 0x2B || bytes[index + 1] == 0x2D ? 1 : 0
                        if index + 1 + sign < bytes.count, isDigit(bytes[index + 1 + sign]) { index += 1 + sign; digits() }
                    }
                    tokens.append(Lexed(token: .number, offset: start))
                } else if isNameByte(b) {
                    while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
                    tokens.append(Lexed(token: .name(String(decoding: bytes[start..<index], as: UTF8.self)), offset: start))
                } else {
                    var op = String(UnicodeScalar(b))
                    for two in ["**", "//", "==", "!=", ">=", "<="] where at(index, two) { op = two }
                    guard "+-/*%~[](){}><=.:|,;!".contains(op.first!) else {
                        throw FormatError("unexpected character in a tag", offset: Int64(index))
                    }
                    if op == "!" { throw FormatError("unexpected `!` in a tag", offset: Int64(index)) }
                    index += op.utf8.count
                    switch b {
                    case 0x28, 0x5B, 0x7B: stack.append(b)
                    case 0x29, 0x5D, 0x7D:
                        let expected: UInt8 = b == 0x29 ? 0x28 : b == 0x5D ? 0x5B : 0x7B
                        guard stack.last == expected else { throw FormatError("unbalanced `\(op)`", offset: Int64(start)) }
                        stack.removeLast()
                    default: break
                    }
                    tokens.append(Lexed(token: .op(op), offset: start))
                }
            }
        }

        /// A quoted string with Python's escapes decoded (Jinja decodes them with
        /// `unicode-escape`). `opaque`: a `\N{…}` escape this reader does not resolve.
        mutating func string(quote: UInt8) throws(FormatError) -> (String, Bool) {
            let start = index
            index += 1
            var out: [UInt8] = []
            var opaque = false
            while true {
                guard index < bytes.count else { throw FormatError("unterminated string", offset: Int64(start)) }
                let b = bytes[index]
                index += 1
                if b == quote { break }
                guard b == 0x5C else { out.append(b); continue }
                guard index < bytes.count else { throw FormatError("unterminated string", offset: Int64(start)) }
                let e = bytes[index]
                index += 1
                switch e {
                case 0x6E: out.append(0x0A)
                case 0x74: out.append(0x09)
                case 0x72: out.append(0x0D)
                case 0x61: out.append(0x07)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x76: out.append(0x0B)
                case 0x0A: break
                case 0x78, 0x75, 0x55:
                    let count = e == 0x78 ? 2 : e == 0x75 ? 4 : 8
                    guard let scalar = hex(count).flatMap(Unicode.Scalar.init) else {
                        throw FormatError("invalid `\\\(UnicodeScalar(e))` escape", offset: Int64(index - 2))
                    }
                    out += Array(String(Character(scalar)).utf8)
                case 0x30...0x37:
                    var value = UInt32(e - 0x30)
                    for _ in 0..<2 where index < bytes.count && (0x30...0x37).contains(bytes[index]) {
                        value = value * 8 + UInt32(bytes[index] - 0x30)
                        index += 1
                    }
                    out += Array(String(Character(Unicode.Scalar(value)!)).utf8)
                case 0x4E:
                    guard index < bytes.count, bytes[index] == 0x7B, let close = find("}", from: index) else {
                        throw FormatError("invalid `\\N` escape", offset: Int64(index - 2))
                    }
                    let name = String(decoding: bytes[(index + 1)..<close], as: UTF8.self).uppercased()
                    index = close + 1
                    if name == "LOW LINE" { out.append(0x5F) } else { opaque = true; out += Array("\u{FFFD}".utf8) }
                default:
                    out += [0x5C, e]  // unknown escapes stay as written, as in Python
                }
            }
            return (String(decoding: out, as: UTF8.self), opaque)
        }

        mutating func hex(_ count: Int) -> UInt32? {
            guard index + count <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<count {
                let c = bytes[index]
                let digit: UInt32
                switch c {
                case 0x30...0x39: digit = UInt32(c - 0x30)
                case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
                default: return nil
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }
    }
}
