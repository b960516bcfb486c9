/// TOML at the level of text: how modelpin spells strings and keys when it writes, and how it
/// reads a document line by line when it needs what a TOML parser does not give (positions of
/// keys, the extent of a table for a text-level edit).
package enum TOMLText {
    /// `value` as a TOML basic string: `"`, `\` and control characters escaped (the short forms
    /// where TOML has them, `\uXXXX` otherwise, DEL included), everything else — non-ASCII
    /// included — kept as UTF-8, so a lockfile stays readable in a diff.
    package static func basicString(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\u{08}": result += "\\b"
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\u{0C}": result += "\\f"
            case "\r": result += "\\r"
            case "\u{00}"..."\u{1F}", "\u{7F}":
                let digits = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The lines of `text` without their `\n`, split on scalars so that a `\r\n` (one
    /// `Character`) still ends a line and its `\r` stays with the line; no empty last line for
    /// a final newline.
    static func lines(_ text: String) -> [Substring] {
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(Substring.init)
        if endsWithNewline(text) { lines.removeLast() }
        return lines
    }

    /// Whether the last scalar is `\n` (`hasSuffix("\n")` is false after `\r\n`).
    static func endsWithNewline(_ text: String) -> Bool { text.unicodeScalars.last == "\n" }

    /// Whether the last line is blank (or the text is empty), so a new table needs no blank line before it.
    static func endsWithBlankLine(_ text: String) -> Bool {
        guard endsWithNewline(text) else { return text.isEmpty }
        let lastLine = lines(text).last ?? ""
        return lastLine.unicodeScalars.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" }
    }

    /// `["a", "b"]`, or `[]`.
    package static func stringArray(_ values: [String]) -> String {
        "[" + values.map(basicString).joined(separator: ", ") + "]"
    }

    /// True when `key` can be written without quotes: ASCII letters, digits, `-` and `_`.
    static func isBareKey(_ key: String) -> Bool {
        !key.isEmpty && key.unicodeScalars.allSatisfy(isBareKeyScalar)
    }

    static func isBareKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_": true
        default: false
        }
    }

    /// A key as it must be written: bare when it can be, a basic string otherwise.
    static func key(_ key: String) -> String {
        isBareKey(key) ? key : basicString(key)
    }
}

/// What one line of a TOML document is, as far as a text-level reader needs to know.
enum TOMLLine: Equatable {
    case blank
    case comment
    /// `[a.b]` or `[[a.b]]`; `column` is that of the first key.
    case header(keys: [String], isArray: Bool, column: Int)
    /// `a.b = …`; `column` is that of the first key.
    case keyValue(keys: [String], column: Int)
    /// Inside a value that started on an earlier line (a multi-line array, inline table or string).
    case continuation
    /// Anything this reader does not understand (the TOML parser has the last word on syntax).
    case other

    var isHeader: Bool {
        if case .header = self { true } else { false }
    }
}

/// Classifies the lines of a TOML document. Hand-written because TOMLKit exposes no source
/// positions for parsed nodes (only for syntax errors), and the text-level edits of
/// modelpin.toml must keep every byte the person wrote that they do not touch.
struct TOMLLineScanner {
    /// The lines, without their `\n` (a `\r` before it is kept and treated as whitespace).
    let lines: [Substring]
    let kinds: [TOMLLine]

    init(_ text: String) {
        self.lines = TOMLText.lines(text)
        var state = ValueState()
        kinds = lines.map { line in
            let scalars = Array(line.unicodeScalars)
            if state.isOpen {
                state.scan(scalars, from: 0)
                return .continuation
            }
            return Self.classify(scalars, state: &state)
        }
    }

    private static func classify(_ line: [Unicode.Scalar], state: inout ValueState) -> TOMLLine {
        var index = skipSpace(line, from: 0)
        guard index < line.count else { return .blank }
        if line[index] == "#" { return .comment }
        if line[index] == "[" {
            let isArray = index + 1 < line.count && line[index + 1] == "["
            index += isArray ? 2 : 1
            let column = skipSpace(line, from: index) + 1
            guard let (keys, end) = parseKey(line, from: index), end < line.count, line[end] == "]" else { return .other }
            if isArray, end + 1 >= line.count || line[end + 1] != "]" { return .other }
            return .header(keys: keys, isArray: isArray, column: column)
        }
        guard let (keys, end) = parseKey(line, from: index), end < line.count, line[end] == "=" else { return .other }
        state.scan(line, from: end + 1)
        return .keyValue(keys: keys, column: index + 1)
    }

    private static func skipSpace(_ line: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        while index < line.count, line[index] == " " || line[index] == "\t" || line[index] == "\r" { index += 1 }
        return index
    }

    /// A dotted key (`a . "b c" . 'd'`) starting at `start`; returns its parts and the index of
    /// the first character after it and its trailing whitespace.
    static func parseKey(_ line: [Unicode.Scalar], from start: Int) -> ([String], Int)? {
        var keys: [String] = []
        var index = skipSpace(line, from: start)
        while true {
            guard index < line.count else { return nil }
            var key = ""
            switch line[index] {
            case "\"":
                index += 1
                while true {
                    guard index < line.count else { return nil }
                    let scalar = line[index]
                    if scalar == "\"" { break }
                    if scalar == "\\" {
                        guard let (unescaped, next) = unescape(line, at: index) else { return nil }
                        key.unicodeScalars.append(unescaped)
                        index = next
                    } else {
                        key.unicodeScalars.append(scalar)
                        index += 1
                    }
                }
                index += 1
            case "'":
                index += 1
                while true {
                    guard index < line.count else { return nil }
                    if line[index] == "'" { break }
                    key.unicodeScalars.append(line[index])
                    index += 1
                }
                index += 1
            default:
                while index < line.count, TOMLText.isBareKeyScalar(line[index]) {
                    key.unicodeScalars.append(line[index])
                    index += 1
                }
                if key.isEmpty { return nil }
            }
            keys.append(key)
            index = skipSpace(line, from: index)
            guard index < line.count, line[index] == "." else { return (keys, index) }
            index = skipSpace(line, from: index + 1)
        }
    }

    /// The escape sequence at `index` (which holds the backslash) and the index after it.
    private static func unescape(_ line: [Unicode.Scalar], at index: Int) -> (Unicode.Scalar, Int)? {
        guard index + 1 < line.count else { return nil }
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "b": "\u{08}", "t": "\t", "n": "\n", "f": "\u{0C}", "r": "\r", "\"": "\"", "\\": "\\",
        ]
        if let scalar = simple[line[index + 1]] { return (scalar, index + 2) }
        let width = line[index + 1] == "u" ? 4 : line[index + 1] == "U" ? 8 : 0
        guard width > 0, index + 2 + width <= line.count else { return nil }
        var digits = ""
        digits.unicodeScalars.append(contentsOf: line[(index + 2)..<(index + 2 + width)])
        guard let value = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, index + 2 + width)
    }
}

/// Tracks, across lines, whether a value is still open: brackets and braces not yet closed, or
/// a multi-line string not yet ended. Strings and comments are skipped so that a `[` inside
/// them does not count.
private struct ValueState {
    private var depth = 0
    private var multiLine: Unicode.Scalar?  // the quote of an open multi-line string

    var isOpen: Bool { depth > 0 || multiLine != nil }

    mutating func scan(_ line: [Unicode.Scalar], from start: Int) {
        var index = start
        func opens(_ quote: Unicode.Scalar, at position: Int) -> Bool {
            position + 2 < line.count && line[position] == quote && line[position + 1] == quote && line[position + 2] == quote
        }
        while index < line.count {
            if let quote = multiLine {
                if line[index] == "\\", quote == "\"" {
                    index += 2
                } else if opens(quote, at: index) {
                    multiLine = nil
                    index += 3
                } else {
                    index += 1
                }
                continue
            }
            let scalar = line[index]
            switch scalar {
            case "#": return
            case "[", "{": depth += 1
            case "]", "}": depth = max(0, depth - 1)
            case "\"", "'":
                if opens(scalar, at: index) {
                    multiLine = scalar
                    index += 3
                    continue
                }
                index += 1
                while index < line.count, line[index] != scalar {
                    index += scalar == "\"" && line[index] == "\\" ? 2 : 1
                }
            default: break
            }
            index += 1
        }
    }
}
