/// A place in a TOML document's data, spelt as `ProjectFileError.field` documents:
/// `models.llama.revision`, `model[2].file[5].sha256` (indexes 1-based).
package struct FieldPath: Hashable, CustomStringConvertible {
    struct Segment: Hashable {
        var key: String
        /// 1-based index into an array (of tables or of values); nil for a plain key.
        var index: Int?
    }

    var segments: [Segment] = []

    package static let root = FieldPath()

    init(segments: [Segment] = []) { self.segments = segments }

    package init(_ keys: String...) { segments = keys.map { Segment(key: $0) } }

    package func appending(_ key: String) -> FieldPath {
        FieldPath(segments: segments + [Segment(key: key)])
    }

    /// The path with its last segment indexed (1-based): `model` → `model[2]`.
    package func indexed(_ index: Int) -> FieldPath {
        var copy = self
        if !copy.segments.isEmpty { copy.segments[copy.segments.count - 1].index = index }
        return copy
    }

    package var description: String {
        segments.map { TOMLText.key($0.key) + ($0.index.map { "[\($0)]" } ?? "") }.joined(separator: ".")
    }
}

/// Finds where a field is written in the source text: the 1-based line, and the column of its
/// key (or of the table header's first key).
///
/// Hand-written because TOMLKit (toml++) reports source positions only for syntax errors, not
/// for the nodes it parses, and an error in a person's file that says only "field
/// `models.llama.revision`" makes them search. It understands `[a.b]` and `[[a.b]]` headers
/// (whitespace and quoted keys included), dotted keys (`models.llama.repo = …` at top level),
/// and counts arrays of tables per parent (`model[2].file[5]`). It is best effort: a field it
/// cannot find is reported at its nearest enclosing field that it can, or with no line at all.
struct SourceLocator {
    struct Position: Equatable {
        var line: Int
        var column: Int
    }

    private var positions: [FieldPath: Position] = [:]

    init(_ text: String) {
        let scanner = TOMLLineScanner(text)
        var table = FieldPath.root
        var arrayCounts: [FieldPath: Int] = [:]  // array-of-tables path (last segment unindexed) → count so far
        for (offset, kind) in scanner.kinds.enumerated() {
            switch kind {
            case .header(let keys, let isArray, let column):
                var resolved = FieldPath.root
                for (position, key) in keys.enumerated() {
                    let candidate = resolved.appending(key)
                    if isArray, position == keys.count - 1 {
                        let count = (arrayCounts[candidate] ?? 0) + 1
                        arrayCounts[candidate] = count
                        resolved = candidate.indexed(count)
                    } else if let count = arrayCounts[candidate] {
                        resolved = candidate.indexed(count)  // a sub-table of the latest element
                    } else {
                        resolved = candidate
                    }
                }
                table = resolved
                record(table, Position(line: offset + 1, column: column))
            case .keyValue(let keys, let column):
                var path = table
                for key in keys {
                    path = path.appending(key)
                    record(path, Position(line: offset + 1, column: column))
                }
            case .blank, .comment, .continuation, .other:
                continue
            }
        }
    }

    private mutating func record(_ path: FieldPath, _ position: Position) {
        if positions[path] == nil { positions[path] = position }
    }

    /// Where `path` is written; failing that, where its nearest enclosing field is (a missing
    /// key is reported at its table's header); nil when nothing along the path is found.
    func position(of path: FieldPath) -> Position? {
        var path = path
        while let last = path.segments.last {
            if let position = positions[path] { return position }
            if last.index != nil {
                // An array element (`include[3]`) is written at its array's key (`include`).
                var unindexed = path
                unindexed.segments[unindexed.segments.count - 1].index = nil
                if let position = positions[unindexed] { return position }
            }
            path.segments.removeLast()
        }
        return nil
    }
}
