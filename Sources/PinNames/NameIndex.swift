public import PinModel

/// An index over an allowlist that answers every question the name check asks in a few
/// hash lookups, however large the list: is this owner allowed, is this id, which allowed
/// owner does this one imitate, which allowed ids carry this name.
///
/// Written by hand because no package available here offers what it needs: every table is a
/// sorted array of 64-bit key hashes with 32-bit values (binary search, no per-key objects), so
/// a million ids build in about a second and fit in tens of megabytes; a hash match is always
/// confirmed against the real bytes. Lookalike owners within one edit are found through their
/// symmetric-delete neighbourhoods (SymSpell) rather than by comparing against every owner.
///
/// One index holds one kind of repo: the allowlist's models, or its datasets (`kind`).
public struct NameIndex: Sendable {
    let allowlist: Allowlist
    /// Which of the allowlist's entries this index holds.
    public let kind: RepoKind
    /// Those entries (`allowlist.entries` or `allowlist.datasetEntries`).
    let members: [Allowlist.Entry]

    /// Per owner: its canonical spelling (the first entry's), whether `owner/*` is allowed,
    /// and where its entries start in `entries` (`ownerEntryStart[o]..<ownerEntryStart[o+1]`).
    let ownerEntry: [UInt32]
    let ownerWildcard: [Bool]
    let ownerEntryStart: [UInt32]

    /// Non-wildcard allowlist entries, grouped by owner and sorted by folded-name hash.
    let entries: [UInt32]
    let entryNameHash: [UInt64]
    let entryOwner: [UInt32]

    let ownersByFolded: KeyTable
    let ownersBySeparatorless: KeyTable
    let ownersBySkeleton: KeyTable
    let ownersByWords: KeyTable
    /// Every `NameForms.affixForms` step of every owner (`stabilityai` → `stability`).
    let ownersByAffixForm: KeyTable
    let ownersByDeletion: KeyTable
    let entriesByName: KeyTable

    /// Duplicate entries found while building (the allowlist stays usable).
    public let warnings: [String]

    /// Owners in the allowlist (bench/names reports it).
    public var ownerCount: Int { ownerEntry.count }

    /// Bytes held by the index (the allowlist's text included).
    public var memoryFootprint: Int {
        let arrays = allowlist.bytes.capacity + members.capacity * MemoryLayout<Allowlist.Entry>.stride
            + (ownerEntry.capacity + ownerEntryStart.capacity + entries.capacity + entryOwner.capacity) * 4
            + ownerWildcard.capacity + entryNameHash.capacity * 8
        let tables = [ownersByFolded, ownersBySeparatorless, ownersBySkeleton, ownersByWords, ownersByAffixForm,
                      ownersByDeletion, entriesByName].reduce(0) { $0 + $1.byteCount }
        return arrays + tables
    }

    public init(_ allowlist: Allowlist, kind: RepoKind = .model) {
        self.allowlist = allowlist
        self.kind = kind
        let all = kind == .model ? allowlist.entries : allowlist.datasetEntries
        members = all

        // Sort every entry by owner, then name, through their folded hashes (integer keys: a
        // million entries sort in a fraction of a second). Equal hashes with unequal bytes would
        // interleave two owners or names; that is checked, and if it ever happens the entries
        // are sorted again comparing the bytes themselves.
        let ownerHashes = all.map { Self.hashFolded(allowlist.owner(of: $0)) }
        let nameHashes = all.map { $0.isWildcard ? 0 : Self.hashFolded(allowlist.name(of: $0)) }
        struct SortKey {
            var owner: UInt64
            var name: UInt64
            var index: UInt32
        }
        var keys = (0..<all.count).map { SortKey(owner: ownerHashes[$0], name: nameHashes[$0], index: UInt32($0)) }
        keys.sort { a, b in
            if a.owner != b.owner { return a.owner < b.owner }
            let (x, y) = (all[Int(a.index)].isWildcard, all[Int(b.index)].isWildcard)
            if x != y { return x }
            if a.name != b.name { return a.name < b.name }
            return a.index < b.index
        }
        var order = keys.map(\.index)
        if Self.hasCollision(order, all, allowlist, ownerHashes, nameHashes) {
            order.sort { a, b in
                let (x, y) = (Int(a), Int(b))
                let ownerOrder = Self.compareFolded(allowlist.owner(of: all[x]), allowlist.owner(of: all[y]))
                if ownerOrder != 0 { return ownerOrder < 0 }
                if all[x].isWildcard != all[y].isWildcard { return all[x].isWildcard }
                let nameOrder = Self.compareFolded(allowlist.name(of: all[x]), allowlist.name(of: all[y]))
                if nameOrder != 0 { return nameOrder < 0 }
                return all[x].line < all[y].line
            }
        }

        var ownerEntry: [UInt32] = []
        var ownerWildcard: [Bool] = []
        var ownerEntryStart: [UInt32] = []
        var entries: [UInt32] = []
        var entryNameHash: [UInt64] = []
        var entryOwner: [UInt32] = []
        var warnings: [String] = []
        entries.reserveCapacity(all.count)
        entryNameHash.reserveCapacity(all.count)
        entryOwner.reserveCapacity(all.count)

        var previous: Int?
        for position in order {
            let index = Int(position)
            let entry = all[index]
            let sameOwner = previous.map {
                Self.compareFolded(allowlist.owner(of: all[$0]), allowlist.owner(of: entry)) == 0
            } ?? false
            if !sameOwner {
                ownerEntry.append(position)
                ownerWildcard.append(false)
                ownerEntryStart.append(UInt32(entries.count))
            } else if let previous, all[previous].isWildcard == entry.isWildcard,
                      entry.isWildcard || Self.compareFolded(allowlist.name(of: all[previous]), allowlist.name(of: entry)) == 0 {
                let text = kind.prefix + String(decoding: allowlist.owner(of: entry), as: UTF8.self) + "/"
                    + (entry.isWildcard ? "*" : String(decoding: allowlist.name(of: entry), as: UTF8.self))
                warnings.append(
                    "`\(allowlist.source)`, line \(entry.line): `\(text)` repeats line \(all[previous].line)")
            }
            if entry.isWildcard {
                ownerWildcard[ownerWildcard.count - 1] = true
            } else {
                entries.append(position)
                entryNameHash.append(nameHashes[index])
                entryOwner.append(UInt32(ownerEntry.count - 1))
            }
            previous = index
        }
        ownerEntryStart.append(UInt32(entries.count))

        self.ownerEntry = ownerEntry
        self.ownerWildcard = ownerWildcard
        self.ownerEntryStart = ownerEntryStart
        self.entries = entries
        self.entryNameHash = entryNameHash
        self.entryOwner = entryOwner
        self.warnings = warnings.sorted()

        // Owner tables: one key per owner and form (many per owner for deletions).
        var folded: [KeyTable.Pair] = [], separatorless: [KeyTable.Pair] = [], skeleton: [KeyTable.Pair] = []
        var words: [KeyTable.Pair] = [], affixless: [KeyTable.Pair] = [], deletion: [KeyTable.Pair] = []
        for owner in ownerEntry.indices {
            let bytes = Array(allowlist.owner(of: all[Int(ownerEntry[owner])]))
            let value = UInt32(owner)
            let foldedOwner = NameForms.folded(bytes)
            folded.append(.init(key: Self.hash(foldedOwner), value: value))
            separatorless.append(.init(key: Self.hash(NameForms.separatorless(bytes)), value: value))
            skeleton.append(.init(key: Self.hash(NameForms.skeleton(bytes)), value: value))
            if let sorted = NameForms.sortedWords(bytes) {
                words.append(.init(key: Self.hash(sorted), value: value))
            }
            for step in NameForms.affixForms(bytes) {
                affixless.append(.init(key: Self.hash(step.form), value: value))
            }
            if foldedOwner.count >= LookalikeRules.minimumEditLength {
                for shorter in NameForms.deletions(foldedOwner) {
                    deletion.append(.init(key: Self.hash(shorter), value: value))
                }
            }
        }
        ownersByFolded = KeyTable(folded)
        ownersBySeparatorless = KeyTable(separatorless)
        ownersBySkeleton = KeyTable(skeleton)
        ownersByWords = KeyTable(words)
        ownersByAffixForm = KeyTable(affixless)
        ownersByDeletion = KeyTable(deletion)
        entriesByName = KeyTable(entryNameHash.enumerated().map { .init(key: $0.element, value: UInt32($0.offset)) })
    }

    // MARK: Questions

    /// The canonical spelling of owner `owner`.
    func ownerName(_ owner: Int) -> ArraySlice<UInt8> {
        allowlist.owner(of: members[Int(ownerEntry[owner])])
    }

    /// The allowlist's spelling of entry `position` (in `entries`) as `owner/name`, or
    /// `datasets/owner/name` in a dataset index.
    func id(at position: Int) -> String {
        let entry = members[Int(entries[position])]
        return kind.prefix + String(decoding: allowlist.owner(of: entry), as: UTF8.self) + "/"
            + String(decoding: allowlist.name(of: entry), as: UTF8.self)
    }

    /// Owner `owner` as an id prefix: `owner`, or `datasets/owner` in a dataset index.
    func ownerID(_ owner: Int) -> String {
        kind.prefix + String(decoding: ownerName(owner), as: UTF8.self)
    }

    func name(at position: Int) -> ArraySlice<UInt8> {
        allowlist.name(of: members[Int(entries[position])])
    }

    func entryRange(ofOwner owner: Int) -> Range<Int> {
        Int(ownerEntryStart[owner])..<Int(ownerEntryStart[owner + 1])
    }

    /// The allowed owner spelled `owner` up to ASCII case.
    func owner(folded owner: [UInt8]) -> Int? {
        ownersByFolded.values(for: Self.hash(owner)).lazy.map(Int.init).first {
            NameForms.folded(self.ownerName($0)) == owner
        }
    }

    /// The entry of `owner` named `name` up to ASCII case.
    func entry(owner: Int, folded name: [UInt8]) -> Int? {
        let range = entryRange(ofOwner: owner)
        let key = Self.hash(name)
        var low = range.lowerBound, high = range.upperBound
        while low < high {
            let middle = (low + high) / 2
            if entryNameHash[middle] < key { low = middle + 1 } else { high = middle }
        }
        while low < range.upperBound, entryNameHash[low] == key {
            if NameForms.folded(self.name(at: low)) == name { return low }
            low += 1
        }
        return nil
    }

    /// Entries (anywhere) whose name is `name` up to ASCII case.
    func entries(folded name: [UInt8]) -> [Int] {
        entriesByName.values(for: Self.hash(name)).map(Int.init).filter { NameForms.folded(self.name(at: $0)) == name }
    }

    /// Owners whose form (computed by `form`) hashes to `key` and really equals `value`.
    func owners(in table: KeyTable, matching value: [UInt8], form: ([UInt8]) -> [UInt8]?) -> [Int] {
        var seen = Set<Int>()
        return table.values(for: Self.hash(value)).map(Int.init).filter { owner in
            seen.insert(owner).inserted && form(Array(self.ownerName(owner))) == value
        }
    }

    /// Owners with an affix step whose form is `form` (separatorless), each with the steps that
    /// lead there (`removed` of each, outermost first).
    func ownersByAffix(form: [UInt8]) -> [(owner: Int, removed: [String])] {
        var seen = Set<Int>()
        var result: [(owner: Int, removed: [String])] = []
        for owner in ownersByAffixForm.values(for: Self.hash(form)).map(Int.init) where seen.insert(owner).inserted {
            let steps = NameForms.affixForms(ownerName(owner))
            if let last = steps.firstIndex(where: { $0.form == form }) {
                result.append((owner, steps[...last].map(\.removed)))
            }
        }
        return result
    }

    /// Allowed entries whose folded name hashes to `hash` (unconfirmed: the caller compares bytes).
    func entryCandidates(nameHash hash: UInt64) -> ArraySlice<UInt32> {
        entriesByName.values(for: hash)
    }

    /// Owners that share a one-deletion neighbour with `folded` (candidates within one edit).
    func ownersNearby(folded: [UInt8]) -> [Int] {
        var seen = Set<Int>()
        var result: [Int] = []
        for shorter in NameForms.deletions(folded) {
            for owner in ownersByDeletion.values(for: Self.hash(shorter)) where seen.insert(Int(owner)).inserted {
                result.append(Int(owner))
            }
        }
        return result.sorted()
    }

    // MARK: Hashing

    /// The hash of the ASCII-lowercased bytes, without building the lowercased copy.
    static func hashFolded(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            value ^= UInt64(RepoCharacters.lowercased(byte))
            value &*= 0x100_0000_01b3
        }
        return value
    }

    /// Whether the hash order put two different owners (or two different names of one owner)
    /// under one hash: then runs of equal hashes are not runs of equal names.
    private static func hasCollision(
        _ order: [UInt32], _ all: [Allowlist.Entry], _ allowlist: Allowlist, _ ownerHashes: [UInt64], _ nameHashes: [UInt64]
    ) -> Bool {
        for (a, b) in zip(order, order.dropFirst()) {
            let (x, y) = (Int(a), Int(b))
            guard ownerHashes[x] == ownerHashes[y] else { continue }
            if compareFolded(allowlist.owner(of: all[x]), allowlist.owner(of: all[y])) != 0 { return true }
            if nameHashes[x] == nameHashes[y], !all[x].isWildcard, !all[y].isWildcard,
               compareFolded(allowlist.name(of: all[x]), allowlist.name(of: all[y])) != 0 {
                return true
            }
        }
        return false
    }

    /// FNV-1a, 64-bit: fast on short keys and plenty for bucketing; every hit is re-checked.
    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        hash(bytes, continuing: 0xcbf2_9ce4_8422_2325)
    }

    /// The hash of `earlier + bytes`, given `value`, the hash of `earlier`.
    static func hash(_ bytes: some Sequence<UInt8>, continuing value: UInt64) -> UInt64 {
        var value = value
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x100_0000_01b3
        }
        return value
    }

    static func compareFolded(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        var i = a.startIndex, j = b.startIndex
        while i < a.endIndex, j < b.endIndex {
            let x = RepoCharacters.lowercased(a[i]), y = RepoCharacters.lowercased(b[j])
            if x != y { return x < y ? -1 : 1 }
            i += 1
            j += 1
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}

/// A multimap from 64-bit keys to 32-bit values, as two sorted arrays, with a directory on the
/// keys' top bits: the keys are FNV hashes, spread evenly, so the directory narrows a lookup to
/// a handful of keys in one step, and a lookup touches two or three cache lines instead of the
/// twenty a binary search over a million keys does. A bare name's slips are spelled back with
/// hundreds of lookups each (NameChecker.nearBareName), so this is what keeps them fast.
struct KeyTable: Sendable {
    struct Pair {
        var key: UInt64
        var value: UInt32
    }

    private let keys: [UInt64]
    private let values: [UInt32]
    /// `start[b]` is the first key whose top `bits` bits are ≥ b; `start[1 << bits]` is the end.
    private let start: [UInt32]
    private let bits: Int

    init(_ pairs: [Pair]) {
        let sorted = pairs.sorted { ($0.key, $0.value) < ($1.key, $1.value) }
        keys = sorted.map(\.key)
        values = sorted.map(\.value)
        // About one bucket per key, at most 2^16 of them (256 KiB of directory).
        var bits = 0
        while bits < 16, 1 << (bits + 1) <= keys.count { bits += 1 }
        self.bits = bits
        var start = [UInt32](repeating: 0, count: (1 << bits) + 1)
        var position = 0
        for bucket in 0...(1 << bits) {
            while position < keys.count, Self.bucket(of: keys[position], bits: bits) < bucket { position += 1 }
            start[bucket] = UInt32(position)
        }
        self.start = start
    }

    private static func bucket(of key: UInt64, bits: Int) -> Int {
        bits == 0 ? 0 : Int(key >> UInt64(64 - bits))
    }

    func values(for key: UInt64) -> ArraySlice<UInt32> {
        let bucket = Self.bucket(of: key, bits: bits)
        var low = Int(start[bucket]), high = Int(start[bucket + 1])
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] < key { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < keys.count, keys[end] == key { end += 1 }
        return values[low..<end]
    }

    var byteCount: Int { keys.capacity * 8 + values.capacity * 4 + start.capacity * 4 }
}
