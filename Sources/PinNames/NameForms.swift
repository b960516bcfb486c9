/// The normal forms two ids are compared in. All work on ASCII bytes: allowlist entries are
/// valid Hub ids, and a request with other characters is mapped to ASCII first (Confusables).
///
/// Each form erases one kind of difference an impostor can hide behind, so that equal forms
/// with unequal spellings name the technique:
///
/// | form | erases | catches |
/// | --- | --- | --- |
/// | folded | ASCII case | case variants (allowed, rewritten to the canonical spelling) |
/// | separatorless | case, `-` `_` `.` | `meta_llama`, `metallama`, `meta.llama` |
/// | skeleton | the above, plus `I`/`1`→`l`, `0`→`o`, `rn`→`m`, `vv`→`w`, `cl`→`d` | `meta-IIama`, `rneta-llama` |
/// | sorted words | word order | `llama-meta` |
enum NameForms {
    static func folded(_ bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.map(RepoCharacters.lowercased)
    }

    static func separatorless(_ bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.filter { !RepoCharacters.isSeparator($0) }.map(RepoCharacters.lowercased)
    }

    /// The visual skeleton (after UTS #39, restricted to ASCII lookalikes that survive in Hub
    /// ids). `I` maps to `l` *before* case folding, or `IIama` would fold to `iiama` and escape.
    /// `cl`→`d` and `vv`→`w` are not in confusables.txt; they come from typo tables
    /// (TypoGard, typomania) and are added by hand.
    static func skeleton(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var mapped: [UInt8] = []
        mapped.reserveCapacity(bytes.count)
        for byte in bytes where !RepoCharacters.isSeparator(byte) {
            switch byte {
            case UInt8(ascii: "I"), UInt8(ascii: "1"): mapped.append(UInt8(ascii: "l"))
            case UInt8(ascii: "0"), UInt8(ascii: "O"): mapped.append(UInt8(ascii: "o"))
            default: mapped.append(RepoCharacters.lowercased(byte))
            }
        }
        var result: [UInt8] = []
        result.reserveCapacity(mapped.count)
        var index = 0
        while index < mapped.count {
            if index + 1 < mapped.count {
                let pair = (mapped[index], mapped[index + 1])
                let replacement: UInt8? = switch pair {
                case (UInt8(ascii: "r"), UInt8(ascii: "n")): UInt8(ascii: "m")
                case (UInt8(ascii: "v"), UInt8(ascii: "v")): UInt8(ascii: "w")
                case (UInt8(ascii: "c"), UInt8(ascii: "l")): UInt8(ascii: "d")
                default: nil
                }
                if let replacement {
                    result.append(replacement)
                    index += 2
                    continue
                }
            }
            result.append(mapped[index])
            index += 1
        }
        return result
    }

    /// Words split on separators, folded.
    static func words(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        folded(bytes).split(whereSeparator: RepoCharacters.isSeparator).map(Array.init)
    }

    /// The words sorted and joined with `-`; nil for fewer than two words (nothing to reorder).
    static func sortedWords(_ bytes: some Collection<UInt8>) -> [UInt8]? {
        let words = words(bytes)
        guard words.count >= 2 else { return nil }
        return Array(words.sorted { $0.lexicographicallyPrecedes($1) }.joined(separator: [UInt8(ascii: "-")]))
    }

    /// Affixes impersonators add to an owner to look official. Deliberately short: `-community`,
    /// `-labs` and a glued `ai` are left out because real organisations use them next to the
    /// bare brand (`mistralai`/`mistral-community`, `facebook`/`FacebookAI`, `CohereLabs`).
    static let separatedAffixes: [String] = ["ai", "official", "hf", "org", "inc", "team", "real", "verified", "models", "hub"]
    /// Affixes long enough to be recognised even without a separator (`metallamaofficial`).
    static let gluedAffixes: [String] = ["official", "verified"]

    /// The owner with one impersonation affix removed, and a description of what was removed:
    /// `meta-llama-official` → (`metallama`, "suffix `-official`"), `meta-llama2` →
    /// (`metallama`, "digit `2`"). Returned in separatorless form, for comparison.
    static func withoutAffix(_ bytes: [UInt8]) -> (stripped: [UInt8], removed: String, isDigit: Bool)? {
        let text = folded(bytes)
        let words = text.split(whereSeparator: RepoCharacters.isSeparator)
        if words.count >= 2 {
            let first = String(decoding: words.first!, as: UTF8.self)
            let last = String(decoding: words.last!, as: UTF8.self)
            if separatedAffixes.contains(last) {
                return (separatorless(words.dropLast().joined()), "suffix `-\(last)`", false)
            }
            if separatedAffixes.contains(first) {
                return (separatorless(words.dropFirst().joined()), "prefix `\(first)-`", false)
            }
        }
        // Trailing digits on a name that otherwise has none there: `meta-llama2`, `meta-llama-2`.
        var end = text.count
        while end > 0, RepoCharacters.isDigit(text[end - 1]) { end -= 1 }
        if end < text.count, end >= 3 {
            let digits = String(decoding: text[end...], as: UTF8.self)
            return (separatorless(text[..<end]), "digit `\(digits)`", true)
        }
        let glued = separatorless(text)
        for affix in gluedAffixes {
            let affixBytes = Array(affix.utf8)
            if glued.count >= affixBytes.count + 3 {
                if glued.suffix(affixBytes.count).elementsEqual(affixBytes) {
                    return (Array(glued.dropLast(affixBytes.count)), "suffix `\(affix)`", false)
                }
                if glued.prefix(affixBytes.count).elementsEqual(affixBytes) {
                    return (Array(glued.dropFirst(affixBytes.count)), "prefix `\(affix)`", false)
                }
            }
        }
        return nil
    }

    /// Every string one deletion away (and the string itself): the symmetric-delete
    /// neighbourhood. Two strings within one edit (insertion, deletion, substitution or
    /// adjacent transposition) always share a member of their neighbourhoods.
    static func deletions(_ bytes: [UInt8]) -> [[UInt8]] {
        var result = [bytes]
        result.reserveCapacity(bytes.count + 1)
        for index in bytes.indices {
            var shorter = bytes
            shorter.remove(at: index)
            result.append(shorter)
        }
        return result
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions), stopping
    /// early once it must exceed `limit`.
    static func distance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
                rowMinimum = min(rowMinimum, value)
            }
            if rowMinimum > limit { return limit + 1 }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
