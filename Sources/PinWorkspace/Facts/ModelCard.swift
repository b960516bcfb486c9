public import PinModel

/// The metadata of a model card: the YAML front matter of a repository's `README.md`
/// (`---` lines around it, at the very top), read into `ModelCardMetadata`.
///
/// The card is the repository owner's free text, so this is a parser of hostile input. It is
/// written by hand rather than with Yams (on this machine, and a fine YAML library) because what
/// it must read is a small, flat subset and what it must not do is the rest of YAML: Yams's
/// composer descends recursively per nesting level (a deeply nested flow collection exhausts the
/// stack), builds the whole document (a `model-index` of megabytes) to hand back ten keys, and
/// follows anchors and aliases (the "billion laughs"). Here the text is bounded
/// (`maximumFrontMatter`), nesting is bounded (`maximumDepth`), anchors, aliases and tags are
/// refused as values, and a key whose value is not of the spec's shape is left out, never
/// guessed at.
///
/// The subset: block mappings and sequences by indentation (spaces), `- key: value` items,
/// flow sequences and mappings (`[a, "b"]`, `{k: v}`), plain, single- and double-quoted
/// scalars, `|` and `>` block scalars, comments. What else YAML allows (anchors, aliases,
/// tags, directives, complex keys, several documents) is not card metadata.
public enum ModelCard {
    /// Front matter longer than this is refused (real cards' are a few KiB; a long
    /// `model-index` tens of KiB).
    public static let maximumFrontMatter = 1 << 20
    /// Nesting deeper than this is refused (the spec's deepest, `model-index`, is 6 levels).
    public static let maximumDepth = 32

    /// The card metadata of a `README.md`'s bytes: empty when it has no front matter; an error
    /// naming the line (1-based, in the README) and what is wrong when it has malformed front matter.
    public static func metadata(of bytes: some Collection<UInt8>) throws(ModelCardError) -> ModelCardMetadata {
        guard let lines = try frontMatter(bytes) else { return ModelCardMetadata() }
        var parser = CardParser(lines: lines)
        let root = try parser.parseDocument()
        guard case .map(let entries) = root else {
            if case .null = root { return ModelCardMetadata() }
            throw ModelCardError(line: 2, reason: "the front matter is not a mapping of keys to values")
        }
        return metadata(from: entries)
    }

    /// The front matter's lines (with their line numbers), or nil when the text has none.
    static func frontMatter(_ bytes: some Collection<UInt8>) throws(ModelCardError) -> [CardLine]? {
        var bytes = Array(bytes.prefix(maximumFrontMatter + 8))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }  // a UTF-8 byte order mark
        guard bytes.starts(with: Array("---".utf8)) else { return nil }
        var lines: [CardLine] = []
        var start = 0
        var number = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            number += 1
            var line = bytes[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw ModelCardError(line: number, reason: "not UTF-8 text")
            }
            if number == 1 {
                // `---` alone opens front matter; `----` or `--- x` is Markdown, not front matter.
                guard text.trimmingTrailingSpaces == "---" else { return nil }
            } else if text.trimmingTrailingSpaces == "---" || text.trimmingTrailingSpaces == "..." {
                return lines
            } else {
                lines.append(CardLine(number: number, text: text))
            }
            start = end + 1
            if start > maximumFrontMatter {
                throw ModelCardError(line: number, reason: "the front matter is longer than \(maximumFrontMatter) bytes")
            }
        }
        throw ModelCardError(line: number, reason: "the front matter opened on line 1 is never closed by a `---` line")
    }

    /// The spec's fields from the document's top-level keys.
    static func metadata(from entries: [CardNode.Entry]) -> ModelCardMetadata {
        let values = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        func text(_ field: ModelCardMetadata.Field) -> String? {
            guard case .scalar(let value) = values[field.rawValue] ?? .null, !value.isEmpty else { return nil }
            return value
        }
        func list(_ field: ModelCardMetadata.Field) -> [String] {
            switch values[field.rawValue] ?? .null {
            case .scalar(let value): return value.isEmpty ? [] : [value]
            case .list(let items):
                // A list with anything but strings in it is not of the spec's shape.
                let strings = items.compactMap { item -> String? in if case .scalar(let value) = item { value } else { nil } }
                return strings.count == items.count ? strings.filter { !$0.isEmpty } : []
            default: return []
            }
        }
        return ModelCardMetadata(
            licenses: list(.licenses), licenseName: text(.licenseName), licenseLink: text(.licenseLink),
            pipelineTag: text(.pipelineTag), datasets: list(.datasets), baseModels: list(.baseModels), tags: list(.tags),
            languages: list(.languages), libraryName: text(.libraryName))
    }
}

/// Malformed front matter: where (the README's line) and what.
public struct ModelCardError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let reason: String

    public var description: String { "README.md, line \(line): \(reason)" }
}

/// One line of front matter.
struct CardLine {
    let number: Int
    let text: String
}

/// A value of the subset. `unsupported` stands for what the subset does not read (an alias, a
/// tagged value): a key holding one is left out.
indirect enum CardNode: Equatable {
    case null
    case scalar(String)
    case list([CardNode])
    case map([Entry])
    case unsupported

    struct Entry: Equatable {
        let key: String
        let value: CardNode
    }
}

extension String {
    var trimmingTrailingSpaces: Substring {
        var text = self[...]
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
