// Configuration files that make a loader run code, recognised by content (JSON or YAML text):
//
//   - `chat_template` in a JSON object (tokenizer_config.json, chat_template.json): a string, or a
//     list of `{name, template}` objects; each template goes through JinjaCheck. A `*.jinja` file
//     (transformers' chat_template.jinja) is a template as a whole.
//   - `auto_map` in a JSON object (config.json, tokenizer_config.json): transformers imports the
//     repo's own Python when `trust_remote_code=True`. Not a scan failure, but reported: kind
//     `remote-code`, `suspicious`, which refuses the file unless the policy allows remote code
//     (ScanPolicy.admits). A `*.py` file in the repo is the same finding.
//   - `_target_` in YAML (Hydra/NeMo configs, `model_config.yaml` in a `.nemo`): `instantiate`
//     imports and calls that dotted path. Each target is judged like a pickle callable
//     (PickleCallables: dangerous → `unsafe`), known NeMo/PyTorch classes are `safe`, anything else
//     `suspicious` (`--allow-global` accepts it). NeMo's top-level `target: module.Class` (which
//     `restore_from` imports) is judged the same way when it is a dotted name. PyYAML's
//     `!!python/` tags are `unsafe`.
//
// The YAML reader reads only what it needs and refuses what it cannot read with certainty: every
// `_target_` outside comments (quoted keys decoded, so `"\x5ftarget_"` counts) must be a key in
// block (`_target_: a.b.C`, after `- ` too) or flow style (`{_target_: a.b.C, …}`), with a plain
// or quoted scalar on the same line that is a dotted name; a value on a later line, an anchor, an
// alias, a tag, an interpolation, a complex `? ` key, or `_target_` inside some other scalar is
// `malformed`. A JSON object that does not parse but mentions `chat_template` or `auto_map` is
// `malformed` for the same reason.

import PinModel

#if canImport(Glibc)
import Glibc
#endif

enum ConfigScanner {
    /// Text larger than this is not read as a configuration (configs are kilobytes; tokenizer.json
    /// of tens of megabytes is searched only for the keys above).
    static let limit: Int64 = 64 << 20

    /// Module prefixes of classes a Hydra/NeMo config may instantiate: NeMo's own modules and
    /// PyTorch's layers, optimizers and schedulers. A dangerous path below them is still `unsafe`
    /// (that check comes first).
    static let knownTargets = [
        "nemo.collections.", "nemo.core.neural_types.", "nemo.core.optim.", "nemo.core.classes.",
        "torch.nn.", "torch.optim.", "torch.utils.data.", "omegaconf.DictConfig", "omegaconf.ListConfig",
        "megatron.core.transformer.", "lightning.pytorch.callbacks.", "pytorch_lightning.callbacks.",
    ]
    /// Dotted paths that resolve or call any other name: dangerous as a target whatever they name.
    static let resolvers = [
        "hydra.utils": "resolves and calls any dotted name", "hydra._internal": "resolves any dotted name",
        "nemo.utils.model_utils.import_class_by_path": "imports any class",
        "omegaconf.OmegaConf": "loads and merges files",
    ]

    /// Findings for text content: nil when it is none of the configurations above.
    static func scanText<S: ByteSource>(
        _ source: S, prefix: [UInt8], member: String?, policy: ScanPolicy
    ) -> (format: String, findings: [Finding])? {
        guard source.size <= limit else { return nil }
        let bytes: [UInt8]
        do {
            var cursor = FormatCursor(source)
            bytes = try cursor.bytes(Int(source.size), "text")
        } catch {
            return ("text", [Scanner.malformed("cannot read: \(error.detail)", offset: error.offset, member: member)])
        }
        if bytes.first(where: { !isSpace($0) }) == 0x7B, let json = scanJSON(bytes, member: member, policy: policy) {
            return json
        }
        return scanYAML(bytes, member: member, policy: policy)
    }

    /// The UTF-8 of a UTF-16 text with a byte-order mark (no NUL, no unpaired surrogate), or nil.
    static func utf16Text<S: ByteSource>(_ source: S, prefix: [UInt8]) -> [UInt8]? {
        guard prefix.count >= 2, source.size % 2 == 0, source.size <= limit,
            prefix[0] == 0xFF && prefix[1] == 0xFE || prefix[0] == 0xFE && prefix[1] == 0xFF
        else { return nil }
        let littleEndian = prefix[0] == 0xFF
        var cursor = FormatCursor(source)
        guard let bytes = try? cursor.bytes(Int(source.size)) else { return nil }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        for i in stride(from: 2, to: bytes.count, by: 2) {
            units.append(littleEndian ? UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 : UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
        }
        var out: [UInt8] = []
        var iterator = units.makeIterator()
        var decoder = UTF16()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                guard scalar.value != 0 else { return nil }
                out += Array(String(Character(scalar)).utf8)
            case .emptyInput: break decoding
            case .error: return nil
            }
        }
        return Scanner.looksLikeText(Array(out.prefix(Scanner.sniffLength)), complete: out.count <= Scanner.sniffLength) ? out : nil
    }

    // MARK: JSON: chat_template and auto_map

    static func scanJSON(_ bytes: [UInt8], member: String?, policy: ScanPolicy) -> (format: String, findings: [Finding])? {
        let templateAt = find(Array("\"chat_template\"".utf8), in: bytes)
        let autoMapAt = find(Array("\"auto_map\"".utf8), in: bytes)
        let targetAt = find(Array("_target_".utf8), in: bytes)
        // Python's json decodes `"\u0061uto_map"` to `auto_map`: a file that escapes a letter or
        // `_` (which no JSON writer does on its own) is parsed too. A tokenizer.json of megabytes
        // escapes only control characters, so it is not.
        let escaped = escapesALetter(bytes)
        guard templateAt != nil || autoMapAt != nil || targetAt != nil || escaped else { return nil }
        let value: ScanJSON
        do {
            value = try ScanJSONParser.parse(bytes, maxDepth: 256)
        } catch {
            // A key spelled with escapes is a key all the same to Python's json: only refuse what
            // could hide one of ours.
            guard templateAt != nil || autoMapAt != nil else { return nil }
            return ("json", [Scanner.malformed(
                "a JSON configuration with `chat_template` or `auto_map` that cannot be parsed: \(error.detail)",
                offset: error.offset ?? 0, member: member)])
        }
        guard case .object = value else { return nil }
        var findings: [Finding] = []
        var targets = 0
        jsonTargets(value, depth: 0, count: &targets, findings: &findings, at: Int64(targetAt ?? 0), member: member, policy: policy)
        if let templates = value["chat_template"] {
            findings += jsonChatTemplates(templates, at: Int64(templateAt ?? 0), member: member)
        }
        if let map = value["auto_map"] {
            findings.append(jsonAutoMap(map, at: autoMapAt.map(Int64.init), member: member, policy: policy))
        }
        // A clean configuration stays `text`, as before: only what was judged gets its own format.
        return findings.isEmpty && targets == 0 ? ("text", []) : ("json-config", findings)
    }

    /// `chat_template`: a string, or a list of `{name, template}` objects; anything else is
    /// unreadable. `at`: the key's offset in the file.
    static func jsonChatTemplates(_ templates: ScanJSON, at: Int64, member: String?) -> [Finding] {
        switch templates {
        case .string(let text):
            return chatTemplate(Array(text.utf8), name: "chat_template", at: at, member: member)
        case .array(let items):
            var findings: [Finding] = []
            for (index, item) in items.enumerated() {
                guard let text = item["template"]?.stringValue else {
                    findings.append(Scanner.malformed(
                        "`chat_template` item \(index) is not a `{name, template}` object with a string template", offset: at, member: member))
                    continue
                }
                let name = item["name"]?.stringValue ?? "#\(index)"
                findings += chatTemplate(Array(text.utf8), name: "chat_template `\(name)`", at: at, member: member)
            }
            return findings
        case .null:
            return []
        default:
            return [Scanner.malformed("`chat_template` is neither a string nor a list of templates", offset: at, member: member)]
        }
    }

    /// `auto_map`: the remote-code finding, naming the classes it maps (`AutoModel → modeling_x.X`).
    static func jsonAutoMap(_ map: ScanJSON, at: Int64?, member: String?, policy: ScanPolicy) -> Finding {
        var classes: [String] = []
        if case .object(let members) = map {
            for (key, item) in members {
                var refs = item.stringValue.map { [$0] } ?? []
                if case .array(let list) = item { refs = list.compactMap(\.stringValue) }
                classes += refs.map { "\(key) → \($0)" }
            }
        }
        return remoteCode(
            "`auto_map` makes transformers import this repository's own Python (trust_remote_code)"
                + (classes.isEmpty ? "" : ": " + classes.prefix(8).joined(separator: ", ")),
            offset: at, member: member, policy: policy)
    }

    /// Every `_target_` key of a JSON tree (Hydra reads JSON as YAML): a string is judged, any
    /// other value cannot name a class and is refused.
    static func jsonTargets(
        _ value: ScanJSON, depth: Int, count: inout Int, findings: inout [Finding], at: Int64, member: String?, policy: ScanPolicy
    ) {
        guard depth < 300 else { return }
        switch value {
        case .object(let members):
            for (key, item) in members {
                if key == "_target_" {
                    count += 1
                    if let path = item.stringValue, YAMLLines.isDottedName(path) {
                        findings.append(judge(path, offset: at, member: member, policy: policy))
                    } else {
                        findings.append(Scanner.malformed("`_target_` is not a dotted name; modelpin cannot tell what it instantiates", offset: at, member: member))
                    }
                }
                jsonTargets(item, depth: depth + 1, count: &count, findings: &findings, at: at, member: member, policy: policy)
            }
        case .array(let items):
            for item in items { jsonTargets(item, depth: depth + 1, count: &count, findings: &findings, at: at, member: member, policy: policy) }
        default:
            break
        }
    }

    /// JinjaCheck's issues as findings; `at` is where the template (or its key) is in the file.
    static func chatTemplate(_ template: [UInt8], name: String, at: Int64, member: String?, exactOffsets: Bool = false) -> [Finding] {
        JinjaCheck.check(template).map { issue in
            Finding(
                verdict: issue.verdict, kind: "chat-template",
                detail: "\(name) line \(issue.line), column \(issue.column): \(issue.detail)",
                offset: exactOffsets ? at + Int64(issue.offset) : at, member: member)
        }
    }

    /// A `remote-code` finding: always `suspicious`; `ScanPolicy.admits` lets it through when the
    /// user allowed remote code, so the verdict (and the lock) keep saying what the file is.
    static func remoteCode(_ detail: String, offset: Int64?, member: String?, policy: ScanPolicy) -> Finding {
        Finding(
            verdict: .suspicious, kind: Finding.remoteCodeKind,
            detail: detail + (policy.allowRemoteCode ? " (admitted: --allow-remote-code)" : ""),
            offset: offset, member: member)
    }

    // MARK: YAML: _target_

    static func scanYAML(_ bytes: [UInt8], member: String?, policy: ScanPolicy) -> (format: String, findings: [Finding])? {
        // Most text (READMEs, vocabularies, tokenizer.json) mentions none of it: one pass of
        // memmem/memchr, then nothing.
        guard find(Array("_target_".utf8), in: bytes) != nil || find(Array("python/".utf8), in: bytes) != nil
            || escapesALetter(bytes) || mentionsTopLevelTarget(bytes)
        else { return nil }
        var findings: [Finding] = []
        var targets = 0
        var reader = YAMLLines(bytes: bytes)
        while let line = reader.next() {
            if line.pythonTag {
                findings.append(Finding(
                    verdict: .unsafe, kind: "yaml-python-tag",
                    detail: "a `!!python/` tag makes PyYAML's unsafe loaders import and call Python",
                    offset: Int64(line.start), member: member))
            }
            for occurrence in line.targets {
                targets += 1
                switch occurrence {
                case .unreadable(let why, let at):
                    findings.append(Scanner.malformed("`_target_` \(why); modelpin cannot tell what it instantiates", offset: Int64(at), member: member))
                case .target(let path, let at, let key):
                    findings.append(judge(path, offset: Int64(at), member: member, policy: policy, key: key))
                }
            }
        }
        guard targets > 0 || !findings.isEmpty else { return nil }
        return ("yaml-config", findings)
    }

    /// A `_target_` value judged like a pickle callable, with NeMo's and PyTorch's classes known.
    static func judge(_ path: String, offset: Int64, member: String?, policy: ScanPolicy, key: String = "_target_") -> Finding {
        let dotted = path.contains(".") ? path : "builtins." + path
        var verdict = Verdict.suspicious
        var why = "a class modelpin does not know"
        if let resolver = resolvers.first(where: { dotted == $0.key || dotted.hasPrefix($0.key + ".") }) {
            verdict = .unsafe
            why = resolver.value
        } else if let danger = PickleCallables.danger(of: dotted) {
            verdict = .unsafe
            why = danger
        } else if knownTargets.contains(where: { dotted.hasPrefix($0) || dotted == $0 }) {
            verdict = .safe
            why = "a known NeMo/PyTorch class"
        } else if policy.allowedGlobals.contains(dotted) || policy.allowedGlobals.contains(path) {
            return Finding(verdict: .safe, kind: Finding.acceptedKind, detail: "`\(key): \(path)` accepted by --allow-global", callable: dotted, offset: offset, member: member)
        }
        return Finding(
            verdict: verdict, kind: "config-target",
            detail: "`\(key): \(path)` makes Hydra/NeMo import and call `\(dotted)`: \(why)",
            callable: dotted, offset: offset, member: member)
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// A line that starts with `target` (NeMo's class path key), quoted or not.
    static func mentionsTopLevelTarget(_ bytes: [UInt8]) -> Bool {
        for key in ["target", "\"target\"", "'target'"] {
            if YAMLLines.at(bytes, 0, key) || find(Array(("\n" + key).utf8), in: bytes) != nil { return true }
        }
        return false
    }

    /// Whether the backslash at `i` starts an escape of an ASCII letter, digit or `_`
    /// (`\x5f`, `\u005f`, `\U0000005f`: JSON and YAML double-quoted escapes).
    static func escapesLetter(_ bytes: [UInt8], at i: Int) -> Bool {
        guard i + 1 < bytes.count else { return false }
        let width: Int
        switch bytes[i + 1] {
        case 0x78: width = 2
        case 0x75: width = 4
        case 0x55: width = 8
        default: return false
        }
        guard i + 2 + width <= bytes.count,
            let value = UInt32(String(decoding: bytes[(i + 2)..<(i + 2 + width)], as: UTF8.self), radix: 16)
        else { return false }
        return (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) || value == 0x5F
    }

    /// The first offset of `needle` in `bytes`, found with memchr and memcmp: configs are read
    /// whole, and a tokenizer.json of tens of megabytes must cost a pass at memory speed, not a
    /// Swift loop per byte. (memmem is a GNU extension Glibc's module does not export.)
    static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard let first = needle.first, needle.count <= bytes.count else { return nil }
        return bytes.withUnsafeBytes { haystack -> Int? in
            guard let base = haystack.baseAddress else { return nil }
            return needle.withUnsafeBytes { n -> Int? in
                var offset = 0
                let last = haystack.count - needle.count
                while offset <= last, let hit = memchr(base + offset, Int32(first), last - offset + 1) {
                    let i = hit - UnsafeMutableRawPointer(mutating: base)
                    if memcmp(base + i, n.baseAddress!, needle.count) == 0 { return i }
                    offset = i + 1
                }
                return nil
            }
        }
    }

    /// Whether any backslash in `bytes` escapes a letter, digit or `_` (found with memchr).
    static func escapesALetter(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return false }
            var offset = 0
            while offset < raw.count, let hit = memchr(base + offset, 0x5C, raw.count - offset) {
                let i = hit - UnsafeMutableRawPointer(mutating: base)
                if escapesLetter(bytes, at: i) { return true }
                offset = i + 1
            }
            return false
        }
    }
}

/// The lines of a YAML text, each reduced to what decides a `_target_`: comments dropped, quoted
/// scalars decoded (and followed across lines), `_target_` occurrences read or refused.
struct YAMLLines {
    enum Target {
        case target(String, at: Int, key: String = "_target_")
        case unreadable(String, at: Int)
    }

    struct Line {
        var start: Int
        var targets: [Target] = []
        var pythonTag = false
    }

    /// A piece of a line outside comments: plain text, a quoted scalar (decoded) or an indicator.
    enum Piece: Equatable {
        case plain(String, at: Int)
        case quoted(String, at: Int)
    }

    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The next line that can matter: one mentioning `_target_` or `python/`, or escaping a letter
    /// or `_` (a quoted key may spell `_target_` with escapes). Quoted scalars are read within a line: one
    /// that continues on the next line leaves that line read as if it were outside quotes, which
    /// can only report more, never less.
    mutating func next() -> Line? {
        while index < bytes.count {
            let start = index
            var end = start
            var relevant = false
            while end < bytes.count, bytes[end] != 0x0A {
                let b = bytes[end]
                if (b == 0x5C && ConfigScanner.escapesLetter(bytes, at: end)) || (b == 0x5F && Self.at(bytes, end, "_target_"))
                    || (b == 0x70 && Self.at(bytes, end, "python/"))
                {
                    relevant = true
                }
                end += 1
            }
            index = end + 1
            // NeMo's `restore_from` imports the class its config's top-level `target` names.
            let topLevelTarget = Self.at(bytes, start, "target") || Self.at(bytes, start, "\"target\"") || Self.at(bytes, start, "'target'")
            guard relevant || topLevelTarget else { continue }
            var line = Line(start: start)
            let pieces = split(start, end)
            for case .plain(let text, _) in pieces where text.contains("!!python/") || text.contains("!python/") {
                line.pythonTag = true
            }
            line.targets = targets(in: pieces)
            if topLevelTarget { line.targets += nemoTarget(in: pieces) }
            return line
        }
        return nil
    }

    static func at(_ bytes: [UInt8], _ i: Int, _ literal: String) -> Bool {
        let utf8 = Array(literal.utf8)
        return i + utf8.count <= bytes.count && bytes[i..<i + utf8.count].elementsEqual(utf8)
    }

    /// Pieces of `[start, end)`: quoted scalars decoded, plain runs split at flow indicators and
    /// at `: `, a leading `- ` sequence marker and a comment (`#` at the start or after a space,
    /// outside quotes) dropped.
    func split(_ start: Int, _ end: Int) -> [Piece] {
        var pieces: [Piece] = []
        var i = start
        var plain: [UInt8] = []
        var plainAt = start
        func flush() {
            let text = String(decoding: plain, as: UTF8.self).trimmingSpaces
            if !text.isEmpty { pieces.append(.plain(text, at: plainAt)) }
            plain = []
        }
        while i < end {
            let b = bytes[i]
            if pieces.isEmpty, b == 0x2D, plain.allSatisfy({ $0 == 0x20 || $0 == 0x09 }),
                i + 1 == end || bytes[i + 1] == 0x20 || bytes[i + 1] == 0x09
            {
                plain = []
                i += 1
                continue
            }
            if b == 0x27 || b == 0x22, plain.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                plain = []
                let (text, next, closed) = quoted(b, from: i + 1, end: end)
                pieces.append(.quoted(text, at: i))
                i = next
                if !closed { return pieces }
                continue
            }
            if b == 0x23, i == start || bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09 { break }
            if [0x7B, 0x7D, 0x5B, 0x5D, 0x2C].contains(b) || (b == 0x3A && (i + 1 == end || bytes[i + 1] == 0x20 || bytes[i + 1] == 0x09 || bytes[i + 1] == 0x0D)) {
                flush()
                pieces.append(.plain(String(UnicodeScalar(b)), at: i))
                i += 1
                continue
            }
            if plain.isEmpty { plainAt = i }
            plain.append(b)
            i += 1
        }
        flush()
        return pieces
    }

    /// A quoted scalar from `i` (after the opening quote): its decoded text, where reading stopped,
    /// and whether the closing quote was found before `end`.
    func quoted(_ quote: UInt8, from start: Int, end: Int) -> (String, Int, Bool) {
        var out: [UInt8] = []
        var i = start
        while i < end {
            let b = bytes[i]
            if b == quote {
                if quote == 0x27, i + 1 < end, bytes[i + 1] == 0x27 { out.append(0x27); i += 2; continue }
                return (String(decoding: out, as: UTF8.self), i + 1, true)
            }
            if quote == 0x22, b == 0x5C, i + 1 < end {
                let e = bytes[i + 1]
                let width = e == 0x78 ? 2 : e == 0x75 ? 4 : e == 0x55 ? 8 : 0
                if width > 0, i + 2 + width <= end,
                    let value = UInt32(String(decoding: bytes[(i + 2)..<(i + 2 + width)], as: UTF8.self), radix: 16),
                    let scalar = Unicode.Scalar(value)
                {
                    out += Array(String(Character(scalar)).utf8)
                    i += 2 + width
                    continue
                }
                let simple: [UInt8: UInt8] = [0x6E: 0x0A, 0x74: 0x09, 0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x30: 0x00, 0x5F: 0xA0]
                out.append(simple[e] ?? e)
                i += 2
                continue
            }
            out.append(b)
            i += 1
        }
        return (String(decoding: out, as: UTF8.self), end, false)
    }

    /// Every `_target_` of a line's pieces, read as a key and value or refused.
    func targets(in pieces: [Piece]) -> [Target] {
        var found: [Target] = []
        for (k, piece) in pieces.enumerated() {
            let (text, at): (String, Int) = switch piece {
            case .plain(let t, let a), .quoted(let t, let a): (t, a)
            }
            guard Self.mentionsTarget(text) else { continue }
            let isKey = text == "_target_"
            let before = k > 0 ? pieces[k - 1] : nil
            let keyPosition = before == nil || before == .plain("{", at: Self.at(before!)) || before == .plain(",", at: Self.at(before!))
            guard isKey, keyPosition, k + 1 < pieces.count, pieces[k + 1] == .plain(":", at: Self.at(pieces[k + 1])) else {
                found.append(.unreadable("appears where it is not a plain key (`_target_: module.Class`)", at: at))
                continue
            }
            guard k + 2 < pieces.count else {
                found.append(.unreadable("has its value on a later line", at: at))
                continue
            }
            let after = k + 3 < pieces.count ? pieces[k + 3] : nil
            let ends = after == nil || [",", "}", "]"].contains { after == .plain($0, at: Self.at(after!)) }
            switch pieces[k + 2] {
            case .plain(let value, _), .quoted(let value, _):
                guard ends, Self.isDottedName(value) else {
                    found.append(.unreadable("has a value that is not a plain dotted name (`\(value.prefix(80))`)", at: at))
                    continue
                }
                found.append(.target(value, at: at))
            }
        }
        return found
    }

    /// NeMo's top-level `target: module.Class`. Unlike `_target_`, `target` is a common word, so a
    /// value that is no dotted name is simply not a class path (NeMo could not import it) — except
    /// a form that could still become one when loaded (a tag, anchor, alias, block scalar,
    /// interpolation, or nothing on this line), which is unreadable.
    func nemoTarget(in pieces: [Piece]) -> [Target] {
        guard pieces.count >= 2, case .plain(":", _) = pieces[1] else { return [] }
        switch pieces[0] {
        case .plain("target", let at), .quoted("target", let at):
            guard pieces.count >= 3 else { return [.unreadable("(NeMo's top-level `target`) has its value on a later line", at: at)] }
            switch pieces[2] {
            case .plain(let value, _), .quoted(let value, _):
                if pieces.count == 3, Self.isDottedName(value), value.contains(".") { return [.target(value, at: at, key: "target")] }
                if case .plain = pieces[2], let first = value.first, "!&*|>".contains(first) || value.hasPrefix("${") {
                    return [.unreadable("(NeMo's top-level `target`) has a value that is not a plain dotted name (`\(value.prefix(80))`)", at: at)]
                }
                return []
            }
        default:
            return []
        }
    }

    static func at(_ piece: Piece) -> Int {
        switch piece {
        case .plain(_, let a), .quoted(_, let a): a
        }
    }

    /// `_target_` as a word (not inside a longer name such as `my_target_x`).
    static func mentionsTarget(_ text: String) -> Bool {
        let bytes = Array(text.utf8), needle = Array("_target_".utf8)
        guard bytes.count >= needle.count else { return false }
        for i in 0...(bytes.count - needle.count) where bytes[i..<i + needle.count].elementsEqual(needle) {
            let left = i == 0 ? nil : bytes[i - 1], right = i + needle.count < bytes.count ? bytes[i + needle.count] : nil
            func word(_ b: UInt8?) -> Bool { b.map { JinjaCheck.isNameByte($0) } ?? false }
            if !word(left) && !word(right) { return true }
        }
        return false
    }

    static func isDottedName(_ value: String) -> Bool {
        !value.isEmpty && value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            guard let first = part.first, first == "_" || first.isASCII && first.isLetter else { return false }
            return part.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return String(s)
    }
}

extension Substring {
    var trimmingSpaces: String { String(self).trimmingSpaces }
}
