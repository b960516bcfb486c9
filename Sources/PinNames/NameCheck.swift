public import PinModel

/// What the name check says about one requested id.
public struct NameVerdict: Sendable, Equatable, Encodable {
    public enum Kind: String, Sendable, Encodable {
        /// On the allowlist (exactly, up to ASCII case, or through `owner/*`).
        case allowed
        /// Not allowed, and made to look like something that is.
        case typosquat
        /// Not allowed, and not imitating anything allowed.
        case unlisted
    }

    /// The id as requested.
    public let name: String
    public let verdict: Kind
    /// For `allowed`: the id to fetch, in the allowlist's spelling.
    public let canonical: String?
    /// For `typosquat`: the allowed id (or `owner/*`) it imitates.
    public let imitates: String?
    public let technique: Technique?
    /// Where the difference is, one line per finding.
    public let evidence: [String]
    /// What the user probably meant.
    public let suggestion: String?
    /// One sentence.
    public let reason: String
    /// Allowed ids worth knowing about (same owner, same name elsewhere).
    public let related: [String]

    public var isAllowed: Bool { verdict == .allowed }

    public enum CodingKeys: String, CodingKey {
        case name, verdict, canonical, imitates, technique, evidence, suggestion, reason, related
    }

    /// Every key is always present (null when it does not apply), so scripts need no guessing.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(canonical, forKey: .canonical)
        try container.encode(imitates, forKey: .imitates)
        try container.encode(technique, forKey: .technique)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(suggestion, forKey: .suggestion)
        try container.encode(reason, forKey: .reason)
        try container.encode(related, forKey: .related)
    }
}

/// A requested name that is not a repo id at all (empty, spaces, misplaced slashes, control
/// characters, or non-ASCII characters that imitate nothing allowed).
public struct NameSyntaxError: ModelpinError, Equatable {
    public let name: String
    public let reason: String

    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }

    public var kind: FailureKind { .usage }
    public var description: String { "`\(name.escapedForDisplay)` is not a valid repo id" }
    public var causes: [String] { [reason] }
    public var hint: String? { "a Hub repo id is `owner/name`: ASCII letters, digits, `-`, `_` and `.`" }
}

/// Checks requested repo ids against an allowlist. Pure: no I/O, no state beyond the index.
///
/// The order of the questions is the design:
/// 1. Map any non-ASCII character to the ASCII it imitates, and drop invisible ones. Hub ids
///    are ASCII, so such a character is either part of an impostor (if the mapped id is, or
///    imitates, an allowed one) or makes the id invalid.
/// 2. An allowed owner (up to case) is trusted with its own namespace: the id is allowed if it
///    is listed (or the owner has `owner/*`), and otherwise *unlisted* — never a typosquat,
///    since nobody else can publish under that owner. Near names there are real siblings.
/// 3. Any other owner is compared with the allowed owners: separators, homoglyphs, a digit for
///    a letter, word order, impersonation affixes (added, glued, left out or swapped), then
///    single typing slips (LookalikeRules). A hit is a typosquat of the allowed id (or owner)
///    it copies. Real organisations that only look affixed (`KnownOrganisations`) are skipped.
/// 4. A bare name (no owner) that is an allowed model's name, or one typing slip from one, is a
///    typosquat: it would resolve to whatever the Hub or a mirror serves under that name.
/// 5. Anything else is unlisted, with related allowed ids (a re-upload of an allowed name by
///    another publisher is unlisted, not a typosquat: it imitates nothing, it is a copy).
///
/// Datasets (`datasets/owner/name`) are answered by the same questions over the allowlist's
/// dataset entries: a model's entry never allows a dataset, nor the reverse. Owners are one
/// namespace on the Hub, though, so the other kind's owners count too: an owner allowed only
/// for the other kind is trusted (the request is unlisted, and the reason says which kind the
/// owner is allowed for), and an owner imitating one allowed for the other kind is a typosquat.
public struct NameChecker: Sendable {
    /// The entries this checker answers from first: the models' for a checker made with
    /// `init(allowlist:)` (what bench/names measures).
    public let index: NameIndex
    /// The other kind's entries: owners there are trusted and imitated too.
    let otherIndex: NameIndex

    public init(index: NameIndex) {
        self.init(index: index, other: NameIndex(index.allowlist, kind: index.kind == .model ? .dataset : .model))
    }

    init(index: NameIndex, other: NameIndex) {
        self.index = index
        otherIndex = other
    }

    public init(allowlist: Allowlist) {
        self.init(index: NameIndex(allowlist, kind: .model), other: NameIndex(allowlist, kind: .dataset))
    }

    /// The allowlist's problems that do not stop it from being used (duplicate entries).
    public var warnings: [String] { (index.warnings + otherIndex.warnings).sorted() }

    /// Whether the allowlist lists the OCI repository `repository` (`Allowlist.allowsRegistry`).
    public func allowsRegistry(_ repository: String) -> Bool { index.allowlist.allowsRegistry(repository) }

    /// The checker that answers for `kind` first.
    func answering(_ kind: RepoKind) -> NameChecker {
        kind == index.kind ? self : NameChecker(index: otherIndex, other: index)
    }

    public func check(_ requested: String) throws(NameSyntaxError) -> NameVerdict {
        let mapped = try ASCIIMapping(requested)
        let core = try verdict(forASCII: mapped.ascii, requested: requested)
        guard !mapped.findings.isEmpty else { return core }

        let technique: Technique = mapped.findings.contains { $0.invisible } ? .invisibleCharacter : .confusableCharacter
        let evidence = mapped.findings.map(\.text)
        switch core.verdict {
        case .allowed:
            return NameVerdict(
                name: requested, verdict: .typosquat, canonical: nil, imitates: core.canonical, technique: technique,
                evidence: evidence, suggestion: core.canonical,
                reason: "Hub ids are ASCII-only, so this cannot be the allowed `\(core.canonical!)`",
                related: [])
        case .typosquat:
            return NameVerdict(
                name: requested, verdict: .typosquat, canonical: nil, imitates: core.imitates, technique: technique,
                evidence: evidence + core.evidence, suggestion: core.suggestion, reason: core.reason, related: [])
        case .unlisted:
            throw NameSyntaxError(
                name: requested,
                reason: evidence.joined(separator: "; ") + " — Hub ids are ASCII-only, and it imitates nothing allowed")
        }
    }

    // MARK: ASCII ids

    private func verdict(forASCII ascii: [UInt8], requested: String) throws(NameSyntaxError) -> NameVerdict {
        let text = String(decoding: ascii, as: UTF8.self)
        guard ascii.contains(UInt8(ascii: "/")) else { return try bareName(text, requested: requested) }
        let id: RepoID
        do {
            id = try RepoID(parsing: text)
        } catch {
            throw NameSyntaxError(name: requested, reason: error.reason)
        }
        if id.kind != index.kind { return try answering(id.kind).verdict(forASCII: ascii, requested: requested) }
        let owner = Array(id.owner.utf8), name = Array(id.name.utf8)
        let foldedOwner = NameForms.folded(owner), foldedName = NameForms.folded(name)

        if let trusted = index.owner(folded: foldedOwner) {
            if let position = index.entry(owner: trusted, folded: foldedName) {
                let canonical = index.id(at: position)
                return allowed(requested, canonical: canonical, how: canonical == text ? "listed" : "listed (spelled `\(canonical)` in the allowlist)")
            }
            let ownerName = index.ownerID(trusted)
            if index.ownerWildcard[trusted] {
                return allowed(requested, canonical: ownerName + "/" + id.name, how: "covered by `\(ownerName)/*`")
            }
            let near = nearestNames(under: trusted, to: foldedName)
            return NameVerdict(
                name: requested, verdict: .unlisted, canonical: nil, imitates: nil, technique: nil, evidence: [],
                suggestion: near.first.flatMap { $0.likelyTypo ? $0.id : nil },
                reason: "`\(ownerName)` is allowed only for the \(index.kind.apiPlural) listed, and `\(id.name)` is not one of them",
                related: near.map(\.id))
        }
        if let trusted = otherIndex.owner(folded: foldedOwner) {
            // The owner's own namespace, but allowed only for the other kind: not a typosquat
            // (nobody else publishes there), and not allowed either.
            let ownerName = String(decoding: otherIndex.ownerName(trusted), as: UTF8.self)
            return NameVerdict(
                name: requested, verdict: .unlisted, canonical: nil, imitates: nil, technique: nil, evidence: [],
                suggestion: nil,
                reason: "`\(ownerName)` is allowed only for \(otherIndex.kind.apiPlural), and this is a \(index.kind.rawValue): "
                    + "\(index.kind.apiPlural) are listed as `\(index.kind.prefix)\(ownerName)/NAME` or `\(index.kind.prefix)\(ownerName)/*`",
                related: [])
        }

        // (An index without owners is skipped: nothing there can be imitated, and the forms
        // of the owner cost as much to compute as a lookup in a full index.)
        if index.ownerCount > 0, let match = lookalikeOwner(owner) {
            return typosquat(requested, id, foldedName: foldedName, match: match)
        }
        if otherIndex.ownerCount > 0, let match = answering(otherIndex.kind).lookalikeOwner(owner) {
            // An owner that imitates one allowed for the other kind: a publisher posing as a
            // trusted one is hostile whatever it publishes. Nothing of this kind is suggested.
            let target = otherIndex.ownerID(match.owner)
            return NameVerdict(
                name: requested, verdict: .typosquat, canonical: nil,
                imitates: otherIndex.ownerWildcard[match.owner] ? target + "/*" : target, technique: match.technique,
                evidence: match.evidence, suggestion: nil,
                reason: "owner `\(id.owner)` imitates `\(String(decoding: otherIndex.ownerName(match.owner), as: UTF8.self))`, an owner allowed for \(otherIndex.kind.apiPlural)",
                related: [])
        }

        let sameName = index.entries(folded: foldedName).prefix(3).map { index.id(at: $0) }
        return NameVerdict(
            name: requested, verdict: .unlisted, canonical: nil, imitates: nil, technique: nil, evidence: [],
            suggestion: nil,
            reason: sameName.isEmpty
                ? "neither the owner `\(id.owner)` nor this id is on the allowlist, and it imitates neither"
                : "`\(id.owner)` is not an allowed publisher; the allowed copy of `\(id.name)` is published by another owner",
            related: Array(sameName))
    }

    /// The verdict on `id`, whose owner imitates the allowed owner `match` names (of this kind).
    private func typosquat(_ requested: String, _ id: RepoID, foldedName: [UInt8], match: OwnerMatch) -> NameVerdict {
        let target = String(decoding: index.ownerName(match.owner), as: UTF8.self)
        let targetID = index.ownerID(match.owner)
        let imitated: String
        let suggestion: String?
        if let position = index.entry(owner: match.owner, folded: foldedName) {
            imitated = index.id(at: position)
            suggestion = imitated
        } else if let near = nearestNames(under: match.owner, to: foldedName).first, near.likelyTypo {
            imitated = near.id
            suggestion = near.id
        } else if index.ownerWildcard[match.owner] {
            imitated = targetID + "/*"
            suggestion = targetID + "/" + id.name
        } else {
            imitated = targetID
            suggestion = nil
        }
        return NameVerdict(
            name: requested, verdict: .typosquat, canonical: nil, imitates: imitated, technique: match.technique,
            evidence: match.evidence,
            suggestion: suggestion,
            reason: "owner `\(id.owner)` imitates the allowed owner `\(target)`", related: [])
    }

    private func bareName(_ text: String, requested: String) throws(NameSyntaxError) -> NameVerdict {
        do {
            try RepoID.checkPart(Substring(text), of: text, label: "name")
        } catch {
            throw NameSyntaxError(name: requested, reason: error.reason)
        }
        let folded = NameForms.folded(Array(text.utf8))
        let matches = index.entries(folded: folded)
        guard let first = matches.first else {
            if let slip = nearBareName(folded) {
                let target = index.id(at: slip.position)
                return NameVerdict(
                    name: requested, verdict: .typosquat, canonical: nil, imitates: target, technique: .droppedOwner,
                    evidence: ["no owner given, and \(slip.edit.evidence) of the name of the allowed `\(target)`"],
                    suggestion: target,
                    reason: "a bare name resolves to whatever is published under it, not to the allowed `\(target)`",
                    related: [])
            }
            return NameVerdict(
                name: requested, verdict: .unlisted, canonical: nil, imitates: nil, technique: nil, evidence: [],
                suggestion: nil, reason: "`\(text)` has no owner, and no allowed model has this name", related: [])
        }
        let target = index.id(at: first)
        let others = matches.count > 1 ? " (and \(matches.count - 1) other allowed id\(matches.count > 2 ? "s" : ""))" : ""
        return NameVerdict(
            name: requested, verdict: .typosquat, canonical: nil, imitates: target, technique: .droppedOwner,
            evidence: ["no owner given; `\(text)` is the name of the allowed `\(target)`\(others)"],
            suggestion: target,
            reason: "a bare name resolves to whatever is published under it, not to the allowed `\(target)`",
            related: matches.dropFirst().prefix(3).map { index.id(at: $0) })
    }

    /// The allowed entry whose name `folded` (a bare name) misspells by one typing slip
    /// (LookalikeRules), found by spelling every slip back and looking the result up: no index
    /// of misspellings is kept, since it would multiply a million-id index by the name length.
    /// One buffer a call; every lookup is a hash and a binary search.
    func nearBareName(_ folded: [UInt8]) -> (position: Int, edit: LookalikeRules.Edit)? {
        func confirm(_ hash: UInt64) -> (position: Int, edit: LookalikeRules.Edit)? {
            for candidate in index.entryCandidates(nameHash: hash) {
                let position = Int(candidate)
                let name = index.name(at: position)
                if let edit = LookalikeRules.slip(requested: folded, allowed: NameForms.folded(name), canonical: Array(name)) {
                    return (position, edit)
                }
            }
            return nil
        }
        var spelled = folded
        for position in folded.indices {
            // The request has an extra character: leave it out.
            let skipped = NameIndex.hash(folded[..<position])
            if let hit = confirm(NameIndex.hash(folded[(position + 1)...], continuing: skipped)) { return hit }
            // Two neighbours swapped.
            if position + 1 < folded.count, folded[position] != folded[position + 1] {
                spelled.swapAt(position, position + 1)
                defer { spelled.swapAt(position, position + 1) }
                if let hit = confirm(NameIndex.hash(spelled)) { return hit }
            }
            // A neighbouring key or a flipped bit.
            for letter in Self.slipAlphabet where letter != folded[position]
                && (Keyboard.adjacent(letter, folded[position]) || (letter ^ folded[position]).nonzeroBitCount == 1) {
                spelled[position] = letter
                defer { spelled[position] = folded[position] }
                if let hit = confirm(NameIndex.hash(spelled)) { return hit }
            }
        }
        // A character left out: put each one back at each place, moving the gap left to right.
        var longer = [0] + folded
        for gap in 0...folded.count {
            if gap > 0 { longer[gap - 1] = folded[gap - 1] }
            for letter in Self.slipAlphabet {
                longer[gap] = letter
                if let hit = confirm(NameIndex.hash(longer)) { return hit }
            }
        }
        return nil
    }

    /// What a slip can put into a folded name: letters and separators (a digit is a version,
    /// never a slip).
    static let slipAlphabet: [UInt8] = Array("abcdefghijklmnopqrstuvwxyz-_.".utf8)

    private func allowed(_ requested: String, canonical: String, how: String) -> NameVerdict {
        NameVerdict(
            name: requested, verdict: .allowed, canonical: canonical, imitates: nil, technique: nil, evidence: [],
            suggestion: nil, reason: how, related: [])
    }

    // MARK: Owners

    struct OwnerMatch {
        let owner: Int
        let technique: Technique
        let evidence: [String]
    }

    /// The allowed owner `owner` (not itself allowed) imitates, tried from the most to the
    /// least specific transformation.
    func lookalikeOwner(_ owner: [UInt8]) -> OwnerMatch? {
        let folded = NameForms.folded(owner)
        guard !KnownOrganisations.isReal(folded) else { return nil }
        let separatorless = NameForms.separatorless(owner)
        func name(_ candidate: Int) -> [UInt8] { Array(index.ownerName(candidate)) }

        if let hit = index.owners(in: index.ownersBySeparatorless, matching: separatorless, form: NameForms.separatorless).first {
            return OwnerMatch(owner: hit, technique: .separator, evidence: Difference.describe(owner, name(hit), part: "owner"))
        }
        let skeleton = NameForms.skeleton(owner)
        if let hit = index.owners(in: index.ownersBySkeleton, matching: skeleton, form: NameForms.skeleton).first {
            return OwnerMatch(owner: hit, technique: .homoglyph, evidence: Difference.describe(owner, name(hit), part: "owner"))
        }
        if let hit = leetOwner(folded) { return hit }
        if let words = NameForms.sortedWords(owner),
           let hit = index.owners(in: index.ownersByWords, matching: words, form: NameForms.sortedWords).first {
            return OwnerMatch(
                owner: hit, technique: .reorderedWords,
                evidence: ["words reordered: `\(String(decoding: owner, as: UTF8.self))` for `\(String(decoding: name(hit), as: UTF8.self))`"])
        }
        if let hit = affixedOwner(owner, separatorless: separatorless) { return hit }
        for candidate in index.ownersNearby(folded: folded) {
            let allowed = name(candidate)
            if let slip = LookalikeRules.slip(requested: folded, allowed: NameForms.folded(allowed), canonical: allowed) {
                return OwnerMatch(owner: candidate, technique: slip.technique, evidence: [slip.evidence + " of the owner"])
            }
        }
        return nil
    }

    /// The allowed owner `folded` spells with one digit in place of a letter it resembles
    /// (`m1crosoft`, `h0ggingface`). Only owners long enough for slips to count (short names
    /// collide by chance), as for LookalikeRules.
    func leetOwner(_ folded: [UInt8]) -> OwnerMatch? {
        var spelled = folded
        for position in folded.indices {
            guard let letters = NameForms.leetLetters[folded[position]] else { continue }
            for letter in letters {
                spelled[position] = letter
                let candidate = NameForms.separatorless(spelled)
                guard candidate.count >= LookalikeRules.minimumEditLength,
                      let hit = index.owners(in: index.ownersBySeparatorless, matching: candidate, form: NameForms.separatorless).first
                else { continue }
                let digit = String(decoding: [folded[position]], as: UTF8.self)
                let letterText = String(decoding: [letter], as: UTF8.self)
                return OwnerMatch(
                    owner: hit, technique: .digitForLetter,
                    evidence: ["digit `\(digit)` in place of `\(letterText)` at position \(position + 1) of the owner"])
            }
            spelled[position] = folded[position]
        }
        return nil
    }

    /// The allowed owner `owner` is, once impersonation affixes are added, left out or swapped:
    ///  - added: `nvidiaai`, `meta-llama-official-hf` (an affix step of the request is an owner);
    ///  - left out: `stability` for `stabilityai` (the request is an affix step of an owner);
    ///  - swapped: `MistralLM` for `mistralai` (both reach one brand). Only for a brand of at
    ///    least `minimumSwappedBrand` characters: `openlm-research` and `openai` share only the
    ///    common word `open`.
    func affixedOwner(_ owner: [UInt8], separatorless: [UInt8]) -> OwnerMatch? {
        func name(_ candidate: Int) -> String { String(decoding: index.ownerName(candidate), as: UTF8.self) }
        let steps = NameForms.affixForms(owner)
        for (depth, step) in steps.enumerated() where step.form.count >= 3 {
            if let hit = index.owners(in: index.ownersBySeparatorless, matching: step.form, form: NameForms.separatorless).first {
                let added = steps[...depth].reversed().map(\.removed).joined(separator: " and ")
                return OwnerMatch(owner: hit, technique: .affix, evidence: ["\(added) added to `\(name(hit))`"])
            }
        }
        if let digits = NameForms.withoutTrailingDigits(owner),
           let hit = index.owners(in: index.ownersBySeparatorless, matching: digits.stripped, form: NameForms.separatorless).first {
            return OwnerMatch(owner: hit, technique: .addedDigit, evidence: ["digit `\(digits.digits)` added to `\(name(hit))`"])
        }
        if separatorless.count >= 3, let hit = index.ownersByAffix(form: separatorless).first {
            let removed = hit.removed.joined(separator: " and ")
            return OwnerMatch(owner: hit.owner, technique: .affix, evidence: ["\(removed) of `\(name(hit.owner))` left out"])
        }
        for (depth, step) in steps.enumerated() where step.form.count >= Self.minimumSwappedBrand {
            if let hit = index.ownersByAffix(form: step.form).first {
                let added = steps[...depth].map(\.removed).joined(separator: " and ")
                return OwnerMatch(
                    owner: hit.owner, technique: .affix,
                    evidence: ["\(added) in place of the \(hit.removed.joined(separator: " and ")) of `\(name(hit.owner))`"])
            }
        }
        return nil
    }

    static let minimumSwappedBrand = 5

    /// Up to three allowed names under `owner`, nearest first (OSA distance ≤ 3). `likelyTypo`
    /// marks a name the request is probably a misspelling of: same skeleton, same words in
    /// another order, or within two
    /// edits that leave every digit in place (`Llama-3.1-70B` is not a misspelt `Llama-3.1-8B`).
    func nearestNames(under owner: Int, to folded: [UInt8]) -> [(id: String, distance: Int, likelyTypo: Bool)] {
        var found: [(position: Int, distance: Int, likelyTypo: Bool)] = []
        let skeleton = NameForms.skeleton(folded)
        let digits = folded.filter(RepoCharacters.isDigit)
        let words = NameForms.sortedWords(folded)
        for position in index.entryRange(ofOwner: owner) {
            let name = NameForms.folded(index.name(at: position))
            // Reordered words (`Coder-Model-7B` for `Model-Coder-7B`) keep the length, so only
            // names of the same length are sorted.
            let sameSkeleton = NameForms.skeleton(name) == skeleton
                || (words != nil && name.count == folded.count && NameForms.sortedWords(name) == words)
            let distance = sameSkeleton ? 1 : NameForms.distance(folded, name, limit: 3)
            guard distance <= 3 else { continue }
            let likelyTypo = sameSkeleton || (distance <= 2 && name.filter(RepoCharacters.isDigit) == digits)
            found.append((position, distance, likelyTypo))
        }
        return found.sorted { ($0.distance, $0.position) < ($1.distance, $1.position) }.prefix(3)
            .map { (index.id(at: $0.position), $0.distance, $0.likelyTypo) }
    }
}

/// A requested id mapped to ASCII, with a finding for every character that had to be mapped.
struct ASCIIMapping {
    struct Finding {
        let text: String
        let invisible: Bool
    }

    let ascii: [UInt8]
    let findings: [Finding]

    init(_ requested: String) throws(NameSyntaxError) {
        var ascii: [UInt8] = []
        var findings: [Finding] = []
        var part = "owner"
        var position = 0
        let hasSlash = requested.unicodeScalars.contains { $0 == "/" || Confusables.asciiLookalike(of: $0) == UInt8(ascii: "/") }
        if !hasSlash { part = "name" }
        // `datasets/owner/name`: the kind's `/` starts the owner, not the name.
        let kindPrefix = requested.hasPrefix(RepoKind.dataset.prefix) && requested.unicodeScalars.filter { $0 == "/" }.count > 1
        var skippedSlash = !kindPrefix
        for scalar in requested.unicodeScalars {
            position += 1
            if scalar.isASCII {
                if scalar == "/", !skippedSlash {
                    skippedSlash = true
                    position = 0
                } else if scalar == "/" {
                    part = "name"
                    position = 0
                }
                ascii.append(UInt8(scalar.value))
                continue
            }
            let place = "at position \(position) of the \(part)"
            if Confusables.isInvisible(scalar) {
                findings.append(Finding(text: "invisible \(scalar.displayDescription) \(place)", invisible: true))
                continue
            }
            guard let lookalike = Confusables.asciiLookalike(of: scalar) else {
                throw NameSyntaxError(
                    name: requested,
                    reason: "\(scalar.displayDescription) \(place); Hub ids use only ASCII letters, digits, `-`, `_` and `.`")
            }
            if lookalike == UInt8(ascii: "/") {
                findings.append(Finding(text: "\(scalar.displayDescription) in place of `/`", invisible: false))
                part = "name"
                position = 0
            } else {
                let expected = String(decoding: [lookalike], as: UTF8.self)
                findings.append(Finding(text: "\(scalar.displayDescription) \(place), imitating `\(expected)`", invisible: false))
            }
            ascii.append(lookalike)
        }
        self.ascii = ascii
        self.findings = findings
    }
}

/// Says where two ASCII spellings differ, for evidence lines.
enum Difference {
    static func describe(_ requested: [UInt8], _ allowed: [UInt8], part: String) -> [String] {
        let a = NameForms.folded(requested), b = NameForms.folded(allowed)
        var prefix = 0
        while prefix < min(a.count, b.count), a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < min(a.count, b.count) - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let found = String(decoding: requested[prefix..<(requested.count - suffix)], as: UTF8.self)
        let expected = String(decoding: allowed[prefix..<(allowed.count - suffix)], as: UTF8.self)
        let start = prefix + 1, end = requested.count - suffix
        if found.isEmpty { return ["`\(expected)` left out after position \(prefix) of the \(part)"] }
        let place = start == end ? "position \(start)" : "positions \(start)–\(end)"
        if expected.isEmpty { return ["extra `\(found)` at \(place) of the \(part)"] }
        return ["`\(found)` in place of `\(expected)` at \(place) of the \(part)"]
    }
}
