import PinModel

/// The YAML subset `ModelCard` reads (see there for what it is and why by hand). Block
/// structure by indentation, one line at a time; flow collections and quoted scalars by a
/// character reader. Every descent counts against `ModelCard.maximumDepth` and every value
/// against `maximumNodes`, so no input can exhaust the stack or the memory.
struct CardParser {
    static let maximumNodes = 100_000

    private struct Line {
        let number: Int
        let indent: Int
        /// After the indentation, trailing spaces removed; comments still in.
        let content: Substring
    }

    private var lines: [Line] = []
    private var position = 0
    private var nodes = 0
    private var firstError: ModelCardError?

    init(lines cardLines: [CardLine]) {
        for line in cardLines {
            let text = line.text.trimmingTrailingSpaces
            let content = text.drop { $0 == " " }
            let indent = text.count - content.count
            if content.first == "\t", firstError == nil, !Self.isBlank(content.drop { $0 == "\t" }) {
                firstError = ModelCardError(line: line.number, reason: "a tab in the indentation (YAML indents with spaces)")
            }
            lines.append(Line(number: line.number, indent: indent, content: content))
        }
    }

    mutating func parseDocument() throws(ModelCardError) -> CardNode {
        if let firstError { throw firstError }
        guard let first = nextContentLine() else { return .null }
        let node = try parseBlock(at: first, indent: lines[first].indent, depth: 0)
        if let stray = nextContentLine() { throw error(stray, "unexpected indentation") }
        return node
    }

    // MARK: Block structure

    private mutating func parseBlock(at index: Int, indent: Int, depth: Int) throws(ModelCardError) -> CardNode {
        position = index
        try count(depth: depth, at: index)
        let content = lines[index].content
        if Self.isSequenceItem(content) { return try parseSequence(indent: indent, depth: depth) }
        if try splitKey(content, at: index) != nil { return try parseMap(indent: indent, depth: depth) }
        return try parseInline(content, at: index, parentIndent: indent - 1, depth: depth)
    }

    private mutating func parseSequence(indent: Int, depth: Int) throws(ModelCardError) -> CardNode {
        var items: [CardNode] = []
        while let index = nextContentLine(), lines[index].indent >= indent {
            let line = lines[index]
            guard line.indent == indent else { throw error(index, "unexpected indentation") }
            guard Self.isSequenceItem(line.content) else { break }
            let rest = line.content.dropFirst().drop { $0 == " " }
            let offset = line.content.count - rest.count
            position = index
            let startsMap = try splitKey(rest, at: index) != nil
            if Self.isBlank(rest) {
                items.append(try parseNested(after: index, parentIndent: indent, depth: depth))
            } else if Self.isSequenceItem(rest) || startsMap {
                // `- key: value` (or `- - x`): the item is a block that starts at the key's column.
                lines[index] = Line(number: line.number, indent: indent + offset, content: rest)
                items.append(try parseBlock(at: index, indent: indent + offset, depth: depth + 1))
            } else {
                items.append(try parseInline(rest, at: index, parentIndent: indent, depth: depth + 1))
            }
        }
        return .list(items)
    }

    private mutating func parseMap(indent: Int, depth: Int) throws(ModelCardError) -> CardNode {
        var entries: [CardNode.Entry] = []
        var seen = Set<String>()
        while let index = nextContentLine(), lines[index].indent >= indent {
            guard lines[index].indent == indent else { throw error(index, "unexpected indentation") }
            position = index
            guard let (key, rest) = try splitKey(lines[index].content, at: index) else {
                if Self.isSequenceItem(lines[index].content) { break }  // the sequence after `key:` ends the map
                throw error(index, "expected `key: value`")
            }
            guard seen.insert(key).inserted else { throw error(index, "`\(key.escapedForDisplay)` is given twice") }
            let value: CardNode
            if Self.isBlank(rest) {
                value = try parseNested(after: index, parentIndent: indent, depth: depth, sequenceAtSameIndent: true)
            } else if rest.first == "|" || rest.first == ">" {
                value = try parseBlockScalar(folded: rest.first == ">", at: index, parentIndent: indent)
            } else {
                value = try parseInline(rest, at: index, parentIndent: indent, depth: depth + 1)
            }
            entries.append(CardNode.Entry(key: key, value: value))
        }
        return .map(entries)
    }

    /// The value on the lines after `key:` or `-` with nothing after it: a block indented
    /// deeper (or, after a key, a sequence at the key's own indentation), else null.
    private mutating func parseNested(after index: Int, parentIndent: Int, depth: Int, sequenceAtSameIndent: Bool = false) throws(ModelCardError) -> CardNode {
        position = index + 1
        guard let next = nextContentLine() else { return .null }
        let line = lines[next]
        if line.indent > parentIndent || (sequenceAtSameIndent && line.indent == parentIndent && Self.isSequenceItem(line.content)) {
            return try parseBlock(at: next, indent: line.indent, depth: depth + 1)
        }
        return .null
    }

    /// `|` (literal) or `>` (folded) and the lines indented deeper than `parentIndent` after it.
    private mutating func parseBlockScalar(folded: Bool, at index: Int, parentIndent: Int) throws(ModelCardError) -> CardNode {
        try count(depth: 0, at: index)
        var body: [Substring] = []
        var contentIndent: Int?
        position = index + 1
        while position < lines.count {
            let line = lines[position]
            if Self.isWhitespace(line.content) {
                body.append("")
            } else {
                guard line.indent > parentIndent else { break }
                let indent = contentIndent ?? line.indent
                contentIndent = indent
                guard line.indent >= indent else { throw error(position, "a block scalar's line is indented less than its first") }
                body.append(Substring(String(repeating: " ", count: line.indent - indent)) + line.content)
            }
            position += 1
        }
        while body.last?.isEmpty == true { body.removeLast() }
        return .scalar(body.joined(separator: folded ? " " : "\n"))
    }

    // MARK: Values on one line

    /// A value that starts on line `index` after a key or a `- `: a quoted scalar, a flow
    /// collection (which may run on over the next lines), or a plain scalar (which may run on
    /// over lines indented deeper than `parentIndent`).
    private mutating func parseInline(_ text: Substring, at index: Int, parentIndent: Int, depth: Int) throws(ModelCardError) -> CardNode {
        try count(depth: depth, at: index)
        position = index + 1
        switch text.first {
        case "[", "{":
            var flow = String(try Self.stripComment(text, line: lines[index].number))
            var reader = FlowReader(text: flow, line: lines[index].number, depth: depth)
            while !reader.isBalanced {
                guard let next = nextContentLine() else { throw error(index, "a `\(text.first!)` that is never closed") }
                flow += " " + (try Self.stripComment(lines[next].content, line: lines[next].number))
                position = next + 1
                reader = FlowReader(text: flow, line: lines[index].number, depth: depth)
            }
            let (node, count) = try reader.read()
            nodes += count
            return node
        case "\"", "'":
            var reader = FlowReader(text: String(text), line: lines[index].number, depth: depth)
            let node = try reader.readQuoted()
            guard Self.isBlank(Substring(reader.remainder)) else {
                throw error(index, "text after a quoted value")
            }
            return node
        case "&", "*", "!":
            // An anchor, an alias or a tag: not card metadata. Its block, if any, is skipped.
            skipLines(deeperThan: parentIndent)
            return .unsupported
        default:
            var words = [try Self.stripComment(text, line: lines[index].number)]
            while let next = nextContentLine(), lines[next].indent > parentIndent {
                // A plain value runs on over deeper lines, but a `key:` there is a mapping
                // nested under a value: YAML refuses it, and so does this reader.
                if try splitKey(lines[next].content, at: next) != nil { throw error(next, "unexpected indentation") }
                words.append(try Self.stripComment(lines[next].content, line: lines[next].number))
                position = next + 1
            }
            return Self.plain(words.filter { !$0.isEmpty }.joined(separator: " "))
        }
    }

    // MARK: Parts

    /// A plain scalar's value: YAML's null spellings are no value.
    static func plain(_ text: String) -> CardNode {
        ["", "~", "null", "Null", "NULL"].contains(text) ? .null : .scalar(text)
    }

    /// `key: rest` split at the first `:` followed by a space or the end (a quoted key may hold
    /// anything), or nil when the line is not a mapping entry.
    private func splitKey(_ content: Substring, at index: Int) throws(ModelCardError) -> (String, Substring)? {
        guard let first = content.first, !"[{#|>&*!%@`-".contains(first) || (first == "-" && content.dropFirst().first.map { $0 != " " } ?? false) else {
            return nil
        }
        if first == "\"" || first == "'" {
            var reader = FlowReader(text: String(content), line: lines[index].number, depth: 0)
            guard case .scalar(let key) = try reader.readQuoted() else { return nil }
            let rest = Substring(reader.remainder).drop { $0 == " " }
            guard rest.first == ":", rest.dropFirst().first.map({ $0 == " " }) ?? true else { return nil }
            return (key, rest.dropFirst().drop { $0 == " " })
        }
        var previous: Character = " "
        for position in content.indices {
            let character = content[position]
            if character == "#", previous == " " { return nil }
            if character == ":" {
                let after = content.index(after: position)
                if after == content.endIndex || content[after] == " " {
                    let key = String(content[..<position].trimmingSuffix(" "))
                    return key.isEmpty ? nil : (key, content[after...].drop { $0 == " " })
                }
            }
            previous = character
        }
        return nil
    }

    /// The text before a comment (`#` at the start or after a space, outside quotes).
    static func stripComment(_ text: Substring, line: Int) throws(ModelCardError) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for position in text.indices {
            let character = text[position]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                if previous == " " || previous == "[" || previous == "{" || previous == "," || previous == ":" { quote = character }
            } else if character == "#", previous == " " || previous == "\t" {
                return text[..<position].trimmingSuffix(" ")
            }
            previous = character
        }
        return text.trimmingSuffix(" ")
    }

    private mutating func skipLines(deeperThan indent: Int) {
        while let next = nextContentLine(), lines[next].indent > indent { position = next + 1 }
    }

    /// The next line from `position` with content (not blank, not only a comment).
    private mutating func nextContentLine() -> Int? {
        while position < lines.count {
            if !Self.isBlank(lines[position].content) { return position }
            position += 1
        }
        return nil
    }

    private mutating func count(depth: Int, at index: Int) throws(ModelCardError) {
        nodes += 1
        guard depth <= ModelCard.maximumDepth else { throw error(index, "nested deeper than \(ModelCard.maximumDepth) levels") }
        guard nodes <= Self.maximumNodes else { throw error(index, "more than \(Self.maximumNodes) values") }
    }

    private func error(_ index: Int, _ reason: String) -> ModelCardError {
        ModelCardError(line: lines[index].number, reason: reason)
    }

    static func isSequenceItem(_ content: Substring) -> Bool {
        content == "-" || content.hasPrefix("- ")
    }

    static func isBlank(_ content: Substring) -> Bool {
        let text = content.drop { $0 == " " || $0 == "\t" }
        return text.isEmpty || text.first == "#"
    }

    static func isWhitespace(_ content: Substring) -> Bool {
        content.allSatisfy { $0 == " " || $0 == "\t" }
    }
}

/// Flow collections and quoted scalars, read character by character with the same limits.
struct FlowReader {
    private let characters: [Character]
    private var index = 0
    private let line: Int
    private let depth: Int
    private var nodes = 0

    init(text: String, line: Int, depth: Int) {
        characters = Array(text)
        self.line = line
        self.depth = depth
    }

    /// What is left after the value read.
    var remainder: String { String(characters[index...]) }

    /// Whether every `[` and `{` outside quotes is closed (a flow collection may span lines).
    var isBalanced: Bool {
        var open = 0
        var quote: Character?
        var escaped = false
        for character in characters {
            if let current = quote {
                if escaped { escaped = false } else if character == "\\" && current == "\"" { escaped = true } else if character == current { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "[" || character == "{" {
                open += 1
            } else if character == "]" || character == "}" {
                open -= 1
            }
        }
        return open <= 0 && quote == nil
    }

    /// The flow collection and the number of values in it; nothing but spaces may follow it.
    mutating func read() throws(ModelCardError) -> (CardNode, Int) {
        let node = try readValue(depth: depth)
        skipSpaces()
        guard index == characters.count else { throw failure("text after the closing bracket") }
        return (node, nodes)
    }

    private mutating func readValue(depth: Int) throws(ModelCardError) -> CardNode {
        nodes += 1
        guard depth <= ModelCard.maximumDepth else { throw failure("nested deeper than \(ModelCard.maximumDepth) levels") }
        guard nodes <= CardParser.maximumNodes else { throw failure("more than \(CardParser.maximumNodes) values") }
        skipSpaces()
        guard index < characters.count else { throw failure("a value is missing") }
        switch characters[index] {
        case "[": return try readSequence(depth: depth)
        case "{": return try readMapping(depth: depth)
        case "\"", "'": return try readQuoted()
        case "&", "*", "!":
            _ = readPlain(stoppingAtColon: false)
            return .unsupported
        default: return CardParser.plain(readPlain(stoppingAtColon: false))
        }
    }

    private mutating func readSequence(depth: Int) throws(ModelCardError) -> CardNode {
        index += 1
        var items: [CardNode] = []
        while true {
            skipSpaces()
            guard index < characters.count else { throw failure("a `[` that is never closed") }
            if characters[index] == "]" { index += 1; return .list(items) }
            items.append(try readValue(depth: depth + 1))
            try separator(closing: "]")
        }
    }

    private mutating func readMapping(depth: Int) throws(ModelCardError) -> CardNode {
        index += 1
        var entries: [CardNode.Entry] = []
        while true {
            skipSpaces()
            guard index < characters.count else { throw failure("a `{` that is never closed") }
            if characters[index] == "}" { index += 1; return .map(entries) }
            let key: String
            if characters[index] == "\"" || characters[index] == "'" {
                guard case .scalar(let quoted) = try readQuoted() else { throw failure("a key is missing") }
                key = quoted
            } else {
                key = readPlain(stoppingAtColon: true)
            }
            skipSpaces()
            guard index < characters.count, characters[index] == ":" else { throw failure("expected `:` after `\(key.escapedForDisplay)`") }
            index += 1
            guard !entries.contains(where: { $0.key == key }) else { throw failure("`\(key.escapedForDisplay)` is given twice") }
            entries.append(CardNode.Entry(key: key, value: try readValue(depth: depth + 1)))
            try separator(closing: "}")
        }
    }

    /// After an item: `,` or the closing bracket (left for the caller).
    private mutating func separator(closing: Character) throws(ModelCardError) {
        skipSpaces()
        guard index < characters.count else { throw failure("a `\(closing == "]" ? "[" : "{")` that is never closed") }
        if characters[index] == "," { index += 1; return }
        guard characters[index] == closing else { throw failure("expected `,` or `\(closing)`") }
    }

    /// A single- (`''` is a quote) or double-quoted scalar (with YAML's common escapes).
    mutating func readQuoted() throws(ModelCardError) -> CardNode {
        let quote = characters[index]
        index += 1
        var text = ""
        while index < characters.count {
            let character = characters[index]
            index += 1
            if character == quote {
                if quote == "'", index < characters.count, characters[index] == "'" {
                    text.append("'")
                    index += 1
                    continue
                }
                return .scalar(text)
            }
            if quote == "\"", character == "\\" {
                text.append(try readEscape())
            } else {
                text.append(character)
            }
        }
        throw failure("a quoted value that is never closed")
    }

    private mutating func readEscape() throws(ModelCardError) -> Character {
        guard index < characters.count else { throw failure("a `\\` at the end of a quoted value") }
        let character = characters[index]
        index += 1
        switch character {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "0": return "\0"
        case "\"", "\\", "/", " ": return character
        case "x": return try readHex(2)
        case "u": return try readHex(4)
        case "U": return try readHex(8)
        default: throw failure("an unknown escape `\\\(character)`")
        }
    }

    private mutating func readHex(_ count: Int) throws(ModelCardError) -> Character {
        guard index + count <= characters.count,
              let value = UInt32(String(characters[index..<(index + count)]), radix: 16), let scalar = Unicode.Scalar(value)
        else { throw failure("an escape that is not \(count) hex digits of a character") }
        index += count
        return Character(scalar)
    }

    /// A plain scalar inside a flow collection: up to `,`, a closing bracket or (for a key) `:`.
    private mutating func readPlain(stoppingAtColon: Bool) -> String {
        let start = index
        while index < characters.count {
            let character = characters[index]
            if character == "," || character == "]" || character == "}" { break }
            if character == ":", stoppingAtColon || index + 1 == characters.count || " ,]}".contains(characters[index + 1]) { break }
            index += 1
        }
        return String(String(characters[start..<index]).drop { $0 == " " }.trimmingSuffix(" "))
    }

    private mutating func skipSpaces() {
        while index < characters.count, characters[index] == " " || characters[index] == "\t" { index += 1 }
    }

    private func failure(_ reason: String) -> ModelCardError {
        ModelCardError(line: line, reason: reason)
    }
}

extension StringProtocol {
    func trimmingSuffix(_ character: Character) -> SubSequence {
        var text = self[...]
        while text.last == character { text.removeLast() }
        return text
    }
}
