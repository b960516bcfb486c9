/// How an impostor can have made a name from an allowed one, and the rules that keep real,
/// distinct names from being called impostors.
public enum Technique: String, Sendable, Codable, CaseIterable {
    case omission
    case repetition
    case transposition
    case keyboardNeighbour = "keyboard-neighbour"
    case bitFlip = "bit-flip"
    /// ASCII lookalikes: `I`/`l`/`1`, `0`/`o`, `rn`/`m`, `vv`/`w`, `cl`/`d`.
    case homoglyph
    /// A non-ASCII character that looks like an ASCII one (Cyrillic, Greek, fullwidth…).
    case confusableCharacter = "confusable-character"
    /// A character that renders as nothing (zero-width space, soft hyphen, joiners…).
    case invisibleCharacter = "invisible-character"
    /// `-`, `_` and `.` swapped, added or removed.
    case separator
    case reorderedWords = "reordered-words"
    /// `-official`, `-hf`, `-ai`, `-labs`… added to, removed from or swapped on an owner, with or
    /// without a separator (`nvidiaai`, `MistralLM`).
    case affix
    case addedDigit = "added-digit"
    /// A digit written for the letter it resembles (`m1crosoft`, `h0ggingface`).
    case digitForLetter = "digit-for-letter"
    /// A bare name that is the name of an allowed `owner/name`.
    case droppedOwner = "dropped-owner"
}

/// The single-edit rules, applied to owners only.
///
/// Precision first: real organisations differ from each other by one or two characters
/// (`HuggingFaceH4`, `HuggingFaceM4`, `HuggingFaceTB`), so an edit counts as an impostor's only if
///  - the allowed owner is at least `minimumEditLength` characters long (short names collide by chance);
///  - the edit is one of the typing slips an impostor mimics: a dropped character, a doubled one,
///    two neighbours swapped, a key next to the intended one, or a single flipped bit (a random
///    substitution is not);
///  - it does not touch a digit, nor a short token that carries one (`H4`, `T5`, `3B`): those
///    name versions and variants, not typos.
/// Names are never compared this way: only an owner can publish under `owner/`, so a near name
/// under an allowed owner is that owner's other model (`Llama-3.1-70B` beside `Llama-3.1-8B`).
enum LookalikeRules {
    static let minimumEditLength = 4

    struct Edit {
        let technique: Technique
        /// Human description with a 1-based position in the requested owner.
        let evidence: String
    }

    /// The typing slip that turns `allowed` into `requested` (both folded), if it is one.
    /// `canonical` is the allowed owner's own spelling (its case shows token boundaries).
    static func slip(requested: [UInt8], allowed: [UInt8], canonical: [UInt8]) -> Edit? {
        guard allowed.count >= minimumEditLength, requested != allowed else { return nil }
        var prefix = 0
        while prefix < min(requested.count, allowed.count), requested[prefix] == allowed[prefix] { prefix += 1 }
        func char(_ byte: UInt8) -> String { "`\(String(decoding: [byte], as: UTF8.self))`" }

        switch requested.count - allowed.count {
        case -1:
            guard requested[prefix...].elementsEqual(allowed[(prefix + 1)...]) else { return nil }
            let missing = allowed[prefix]
            guard !RepoCharacters.isDigit(missing), !inCodeToken(prefix, of: canonical) else { return nil }
            return Edit(technique: .omission, evidence: "\(char(missing)) left out after position \(prefix)")
        case 1:
            guard requested[(prefix + 1)...].elementsEqual(allowed[prefix...]) else { return nil }
            let extra = requested[prefix]
            guard !RepoCharacters.isDigit(extra), !inCodeToken(min(prefix, allowed.count - 1), of: canonical) else { return nil }
            let before = prefix > 0 ? requested[prefix - 1] : nil
            let after = prefix + 1 < requested.count ? requested[prefix + 1] : nil
            if extra == before || extra == after {
                return Edit(technique: .repetition, evidence: "\(char(extra)) doubled at position \(prefix + 1)")
            }
            if let neighbour = [before, after].compactMap({ $0 }).first(where: { Keyboard.adjacent($0, extra) }) {
                return Edit(
                    technique: .keyboardNeighbour,
                    evidence: "extra \(char(extra)) (next to \(char(neighbour)) on the keyboard) at position \(prefix + 1)")
            }
            return nil
        case 0:
            let (found, expected) = (requested[prefix], allowed[prefix])
            guard !RepoCharacters.isDigit(found), !RepoCharacters.isDigit(expected),
                  !inCodeToken(prefix, of: canonical)
            else { return nil }
            if prefix + 1 < requested.count, found == allowed[prefix + 1], requested[prefix + 1] == expected,
               requested[(prefix + 2)...].elementsEqual(allowed[(prefix + 2)...]) {
                return Edit(
                    technique: .transposition,
                    evidence: "\(char(expected)) and \(char(allowed[prefix + 1])) swapped at positions \(prefix + 1)–\(prefix + 2)")
            }
            guard requested[(prefix + 1)...].elementsEqual(allowed[(prefix + 1)...]) else { return nil }
            if Keyboard.adjacent(found, expected) {
                return Edit(
                    technique: .keyboardNeighbour,
                    evidence: "\(char(found)) (next to \(char(expected)) on the keyboard) in place of \(char(expected)) at position \(prefix + 1)")
            }
            if (found ^ expected).nonzeroBitCount == 1 {
                return Edit(
                    technique: .bitFlip,
                    evidence: "\(char(found)) (one bit away from \(char(expected))) in place of \(char(expected)) at position \(prefix + 1)")
            }
            return nil
        default:
            return nil
        }
    }

    /// Whether position `index` falls in a short token carrying a digit (`H4` in
    /// `HuggingFaceH4`, `t5` in `google-t5`): such tokens name variants, not typos.
    static func inCodeToken(_ index: Int, of canonical: [UInt8]) -> Bool {
        var start = 0
        for end in 0...canonical.count {
            let boundary = end == canonical.count || RepoCharacters.isSeparator(canonical[end])
                || (end > start && RepoCharacters.isUpper(canonical[end])
                    && (RepoCharacters.isLower(canonical[end - 1]) || RepoCharacters.isDigit(canonical[end - 1])))
            guard boundary else { continue }
            if (start..<max(end, start + 1)).contains(index) {
                let token = canonical[start..<end]
                return token.count <= 4 && token.contains(where: RepoCharacters.isDigit)
            }
            start = end < canonical.count && RepoCharacters.isSeparator(canonical[end]) ? end + 1 : end
        }
        return false
    }
}

/// QWERTY key positions, for "a key next to the intended one".
enum Keyboard {
    private static let rows: [(keys: String, offset: Double)] = [
        ("1234567890-", 0), ("qwertyuiop", 0.5), ("asdfghjkl", 0.75), ("zxcvbnm", 1.25),
    ]

    private static let positions: [UInt8: (row: Double, column: Double)] = {
        var result: [UInt8: (Double, Double)] = [:]
        for (row, entry) in rows.enumerated() {
            for (column, key) in entry.keys.utf8.enumerated() {
                result[key] = (Double(row), Double(column) + entry.offset)
            }
        }
        return result
    }()

    static func adjacent(_ a: UInt8, _ b: UInt8) -> Bool {
        guard a != b, let p = positions[RepoCharacters.lowercased(a)], let q = positions[RepoCharacters.lowercased(b)]
        else { return false }
        return abs(p.row - q.row) <= 1 && abs(p.column - q.column) <= 1.0 && !(p.row == q.row && abs(p.column - q.column) > 1)
    }
}
