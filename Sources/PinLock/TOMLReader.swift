package import TOMLKit

/// Typed, located reading of a parsed TOML document: every accessor either returns the value
/// as the expected Swift type or throws a `ProjectFileError` that names the field, its line and
/// the expected type. Shared by the manifest and the lockfile so both speak alike; TOMLKit
/// stays behind this type and never reaches the public API.
package struct TOMLReader {
    package let file: String
    /// The source, for `SourceLocator` to place a field when there is an error to report: built
    /// only then, since scanning every line of a large lock costs more than parsing it.
    let text: String
    /// The hint for errors that bring none of their own.
    let defaultHint: String

    /// Parses `text`, refusing what toml++ would silently misread: its C interface stops at a
    /// NUL, so a NUL byte (never valid TOML) or a `\u0000` escape (valid, but truncates the
    /// string) would hide the rest of a file or a value.
    package static func parse(_ text: String, file: String, defaultHint: String) throws(ProjectFileError) -> (TOMLReader, TOMLTable) {
        let reader = TOMLReader(file: file, text: text, defaultHint: defaultHint)
        if let (line, column) = nulPosition(in: text) {
            throw ProjectFileError(
                file: file, line: line, column: column,
                message: "contains a NUL character (or a `\\u0000` escape), which modelpin does not accept",
                hint: defaultHint)
        }
        if let (line, column) = badHeaderPosition(in: text) {
            throw ProjectFileError(
                file: file, line: line, column: column,
                message: "not valid TOML: a table header must start with a key (a bare key or a quoted one)",
                hint: defaultHint)
        }
        do {
            return (reader, try TOMLTable(string: text))
        } catch let error as TOMLParseError {
            throw ProjectFileError(
                file: file, line: error.source.begin.line, column: error.source.begin.column,
                message: "not valid TOML: \(error.description)", hint: defaultHint)
        } catch {
            throw ProjectFileError(file: file, message: "not valid TOML: \(error)", hint: defaultHint)
        }
    }

    /// The 1-based line and column of a table header (`[`, `[[`, then blanks) whose first key
    /// does not start with a bare-key character or a quote. toml++ (inside TOMLKit) asserts on
    /// such a header instead of reporting it, aborting the process, and a pull request can put
    /// one in modelpin.toml or modelpin.lock; found by fuzzing (FuzzTrustText). A line inside a
    /// multi-line array that starts with a nested array of inline tables would be refused too;
    /// modelpin's formats have none.
    private static func badHeaderPosition(in text: String) -> (Int, Int)? {
        for (offset, line) in TOMLText.lines(text).enumerated() {
            let bytes = Array(line.utf8)
            var index = 0
            // toml++ skips a byte-order mark at the start of the document.
            if offset == 0, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { continue }
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "[") { index += 1 }
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            guard index < bytes.count else { return (offset + 1, index + 1) }
            let byte = bytes[index]
            let startsKey = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
            if !startsKey { return (offset + 1, index + 1) }
        }
        return nil
    }

    /// The 1-based line and column of the first NUL byte or `\u0000`/`\U00000000` escape (one
    /// preceded by an odd number of backslashes), if any.
    private static func nulPosition(in text: String) -> (Int, Int)? {
        // Both need a NUL byte or a backslash; most files hold neither, and then one pass over
        // the bytes answers.
        guard text.utf8.contains(where: { $0 == 0 || $0 == UInt8(ascii: "\\") }) else { return nil }
        for (offset, line) in TOMLText.lines(text).enumerated() {
            let scalars = Array(line.unicodeScalars)
            var backslashes = 0
            for (index, scalar) in scalars.enumerated() {
                if scalar == "\u{0}" { return (offset + 1, index + 1) }
                if scalar == "\\" {
                    backslashes += 1
                    continue
                }
                defer { backslashes = 0 }
                guard backslashes % 2 == 1, scalar == "u" || scalar == "U" else { continue }
                let width = scalar == "u" ? 4 : 8
                guard index + width < scalars.count else { continue }
                if scalars[(index + 1)...(index + width)].allSatisfy({ $0 == "0" }) { return (offset + 1, index) }
            }
        }
        return nil
    }

    // MARK: Errors

    package func error(_ path: FieldPath?, _ message: String, hint: String? = nil, causes: [String] = []) -> ProjectFileError {
        let locator = SourceLocator(text)
        let position = path.flatMap(locator.position(of:))
        return ProjectFileError(
            file: file, line: position?.line, column: position?.column, field: path?.description,
            message: message, causes: causes, hint: hint ?? defaultHint)
    }

    /// "a string", "an integer"…: the TOML type named as a person would say it.
    static func typeName(_ type: TOMLType) -> String {
        switch type {
        case .table: "a table"
        case .array: "an array"
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        }
    }

    private func typeError(_ value: any TOMLValueConvertible, _ path: FieldPath, expected: String, example: String?) -> ProjectFileError {
        error(path, "must be \(expected), not \(Self.typeName(value.type))", hint: example.map { "write it like `\($0)`" })
    }

    // MARK: Typed access

    package func string(_ value: any TOMLValueConvertible, _ path: FieldPath, example: String? = nil) throws(ProjectFileError) -> String {
        guard let string = value.string else { throw typeError(value, path, expected: "a string", example: example) }
        return string
    }

    /// A string that is not empty.
    package func text(_ value: any TOMLValueConvertible, _ path: FieldPath, example: String? = nil) throws(ProjectFileError) -> String {
        let string = try string(value, path, example: example)
        if string.isEmpty { throw error(path, "must not be empty", hint: example.map { "write it like `\($0)`" }) }
        return string
    }

    package func integer(_ value: any TOMLValueConvertible, _ path: FieldPath, example: String? = nil) throws(ProjectFileError) -> Int {
        guard let integer = value.int else { throw typeError(value, path, expected: "an integer", example: example) }
        return integer
    }

    package func boolean(_ value: any TOMLValueConvertible, _ path: FieldPath, example: String? = nil) throws(ProjectFileError) -> Bool {
        guard let boolean = value.bool else { throw typeError(value, path, expected: "a boolean (`true` or `false`)", example: example) }
        return boolean
    }

    package func table(_ value: any TOMLValueConvertible, _ path: FieldPath, expected: String = "a table", example: String? = nil) throws(ProjectFileError) -> TOMLTable {
        guard let table = value.table else { throw typeError(value, path, expected: expected, example: example) }
        return table
    }

    package func array(_ value: any TOMLValueConvertible, _ path: FieldPath, expected: String = "an array", example: String? = nil) throws(ProjectFileError) -> [any TOMLValueConvertible] {
        guard let array = value.array else { throw typeError(value, path, expected: expected, example: example) }
        return Array(array)
    }

    package func strings(_ value: any TOMLValueConvertible, _ path: FieldPath, nonEmpty: Bool, example: String? = nil) throws(ProjectFileError) -> [String] {
        let elements = try array(value, path, expected: "an array of strings", example: example)
        var strings: [String] = []
        for (offset, element) in elements.enumerated() {
            let elementPath = path.indexed(offset + 1)
            strings.append(nonEmpty ? try text(element, elementPath, example: example) : try string(element, elementPath, example: example))
        }
        return strings
    }

    // MARK: Keys

    /// Refuses any key of `table` outside `known`. A key in `reserved` gets its own message
    /// (a setting for a later version: refusing it fails closed, where ignoring it would let a
    /// person believe a security check happens). Others get a "did you mean" when one is close.
    package func checkKeys(_ table: TOMLTable, at path: FieldPath, known: [String], reserved: [String: String] = [:], what: String) throws(ProjectFileError) {
        for key in table.keys.sorted() where !known.contains(key) {
            let keyPath = path.appending(key)
            if let reason = reserved[key] {
                throw error(keyPath, reason, hint: "modelpin refuses a security setting it cannot honour rather than ignore it")
            }
            let suggestion = Self.closest(to: key, among: known).map { " (did you mean `\($0)`?)" } ?? ""
            throw error(
                keyPath, "unknown key `\(key)`\(suggestion)",
                hint: "the keys of \(what) are " + Self.list(known.map { "`\($0)`" }))
        }
    }

    /// The known key within edit distance 2 of `key` (and nearer than its own length, so that
    /// a short key is not "corrected" into an unrelated one), the nearest first.
    static func closest(to key: String, among known: [String]) -> String? {
        let scored = known.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= 2 && $0.1 < key.count }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// "a, b and c".
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items.last!
    }
}
