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
/// | affix forms | impersonation affixes, one at a time | `nvidia-research-labs`, `nvidiaai`, `stability` |
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

    /// Words impersonators add to an owner to look official, separated (`meta-llama-official`,
    /// `official-meta-llama`) or glued on (`nvidiaai`, `MistralLM`). `-community` is left out: real
    /// organisations use it next to the bare brand (`mistral-community`, `openai-community`); the
    /// real organisations that do carry one of these words are listed in `KnownOrganisations`.
    static let affixes: Set<[UInt8]> = Set([
        "ai", "official", "hf", "org", "inc", "team", "real", "verified", "models", "hub", "labs", "research",
        "gguf", "lm", "llm",
    ].map { Array($0.utf8) })
    /// The affixes recognised glued to the end of the owner's last word, the first that fits
    /// taken. `real` and `hub` are left out (too many words end in them), and so is `llm`, which
    /// would read `MistralLM` as `mistra` + `llm` rather than `mistral` + `lm`.
    static let gluedSuffixes: [[UInt8]] = [
        "official", "research", "verified", "models", "labs", "gguf", "team", "org", "inc", "hf", "lm", "ai",
    ].map { Array($0.utf8) }
    /// Affixes long enough to be recognised glued to the front (`officialmetallama`).
    static let gluedPrefixes: [[UInt8]] = ["official", "verified"].map { Array($0.utf8) }
    /// What must be left of an owner after a glued affix comes off: `openai` is `open` + `ai`,
    /// but `kai` is not `k` + `ai`.
    static let minimumGluedCore = 4

    /// One step of `affixForms`: the owner (separatorless) after `removed` came off.
    struct AffixStep {
        let form: [UInt8]
        let removed: String
    }

    /// The owner with impersonation affixes taken off one at a time, outermost first:
    /// `nvidia-research-labs` → `nvidiaresearch` (suffix `-labs`), `nvidia` (suffix `-research`).
    /// Each form is separatorless, for comparison with `separatorless` owners. Empty when the
    /// owner carries no affix. At most four steps (an owner is at most 96 characters, and more
    /// affixes than that hide nothing new).
    static func affixForms(_ bytes: some Collection<UInt8>) -> [AffixStep] {
        var words = folded(bytes).split(whereSeparator: RepoCharacters.isSeparator).map(Array.init)
        var steps: [AffixStep] = []
        func string(_ word: [UInt8]) -> String { String(decoding: word, as: UTF8.self) }
        while steps.count < 4, !words.isEmpty {
            let removed: String
            if words.count >= 2, affixes.contains(words[words.count - 1]) {
                removed = "suffix `-\(string(words.removeLast()))`"
            } else if words.count >= 2, affixes.contains(words[0]) {
                removed = "prefix `\(string(words.removeFirst()))-`"
            } else if let glued = gluedSuffixes.first(where: { affix in
                let last = words[words.count - 1]
                return last.count > affix.count && last.suffix(affix.count).elementsEqual(affix)
                    && words.reduce(0, { $0 + $1.count }) - affix.count >= minimumGluedCore
            }) {
                words[words.count - 1].removeLast(glued.count)
                removed = "suffix `\(string(glued))`"
            } else if let glued = gluedPrefixes.first(where: { affix in
                words[0].count > affix.count && words[0].prefix(affix.count).elementsEqual(affix)
                    && words.reduce(0, { $0 + $1.count }) - affix.count >= minimumGluedCore
            }) {
                words[0].removeFirst(glued.count)
                removed = "prefix `\(string(glued))`"
            } else {
                break
            }
            steps.append(AffixStep(form: Array(words.joined()), removed: removed))
        }
        return steps
    }

    /// The owner without trailing digits on a name that otherwise has none there (`meta-llama2`,
    /// `meta-llama-3` → `metallama`, digits `2`, `3`), separatorless.
    static func withoutTrailingDigits(_ bytes: [UInt8]) -> (stripped: [UInt8], digits: String)? {
        let text = folded(bytes)
        var end = text.count
        while end > 0, RepoCharacters.isDigit(text[end - 1]) { end -= 1 }
        guard end < text.count, end >= 3 else { return nil }
        return (separatorless(text[..<end]), String(decoding: text[end...], as: UTF8.self))
    }

    /// Digits written for the letters they resemble (leetspeak): `m1crosoft`, `h0ggingface`,
    /// `e1eutherai`. One digit is replaced at a time, by each letter in turn.
    static let leetLetters: [UInt8: [UInt8]] = [
        UInt8(ascii: "0"): Array("ou".utf8), UInt8(ascii: "1"): Array("ilt".utf8), UInt8(ascii: "2"): Array("z".utf8),
        UInt8(ascii: "3"): Array("e".utf8), UInt8(ascii: "4"): Array("a".utf8), UInt8(ascii: "5"): Array("s".utf8),
        UInt8(ascii: "6"): Array("gb".utf8), UInt8(ascii: "7"): Array("t".utf8), UInt8(ascii: "8"): Array("b".utf8),
        UInt8(ascii: "9"): Array("gq".utf8),
    ]

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
