public import PinModel

/// An allowlist: the repo ids (`owner/name`) and whole owners (`owner/*`) a project may fetch.
///
/// ```
/// # Models this project may load.
/// meta-llama/Llama-3.1-8B-Instruct
/// mistralai/*            # everything Mistral AI publishes
/// # Datasets, written as the Hub's URLs write them.
/// datasets/HuggingFaceFW/fineweb
/// datasets/allenai/*     # every dataset AllenAI publishes (not its models)
/// # Repositories on OCI registries: one repository, or every one below a path.
/// oci://registry.example/models/llama
/// oci://registry.example:5000/team/*
/// ```
/// Registry entries are matched exactly (hosts and OCI repository names are lowercase by the
/// distribution spec, so there is no case to fold and no lookalike of a Hub owner to catch:
/// a registry's repository is trusted because its host is named, not because it resembles one).
/// Models and datasets are separate lists: `mistralai/*` allows no dataset, and
/// `datasets/allenai/*` no model. `datasets/x` alone is the model `x` of an owner called
/// `datasets`, as `RepoID` reads it.
/// One entry a line; `#` starts a comment; blank lines are ignored. Entries must be valid
/// ASCII Hub ids, so the allowlist itself cannot carry a homoglyph. Its spelling is canonical:
/// a request that differs only in ASCII case is rewritten to it.
///
/// Parsing works on the file's bytes and keeps them: entries are spans into that buffer, so a
/// catalogue of a million ids costs one allocation, not a million strings.
public struct Allowlist: Sendable {
    /// Names the allowlist in messages (a path, or the variable it came from).
    public let source: String
    let bytes: [UInt8]
    /// Models' entries (`owner/name`, `owner/*`).
    let entries: [Entry]
    /// Datasets' entries (`datasets/owner/name`, `datasets/owner/*`), spans without the prefix.
    let datasetEntries: [Entry]
    /// OCI registry repositories (`oci://HOST[:PORT]/PATH`, or `…/PREFIX/*` for every one below).
    public internal(set) var registryEntries: [String] = []
    /// Problems that do not stop the allowlist from being used (duplicate entries).
    public internal(set) var warnings: [String] = []

    struct Entry: Sendable {
        var ownerStart: UInt32
        var ownerLength: UInt8
        var nameStart: UInt32
        /// 0 for an `owner/*` entry.
        var nameLength: UInt8
        var line: UInt32

        var isWildcard: Bool { nameLength == 0 }
    }

    /// How many entries (ids and owners, models and datasets) it holds.
    public var count: Int { entries.count + datasetEntries.count }

    public static func parse(_ bytes: [UInt8], source: String) throws(AllowlistError) -> Allowlist {
        var entries: [Entry] = []
        var datasetEntries: [Entry] = []
        var registryEntries: [String] = []
        entries.reserveCapacity(bytes.count / 24)
        var lineNumber: UInt32 = 0
        var lineStart = 0
        while lineStart < bytes.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }

            // Strip a comment (no id can contain `#`) and surrounding blanks.
            var end = lineStart
            while end < lineEnd, bytes[end] != UInt8(ascii: "#") { end += 1 }
            var start = lineStart
            while start < end, isBlank(bytes[start]) { start += 1 }
            while end > start, isBlank(bytes[end - 1]) { end -= 1 }
            if start == end { continue }

            if bytes[start..<end].starts(with: registryPrefix) {
                let text = String(decoding: bytes[start..<end], as: UTF8.self)
                if let reason = registryProblem(text) {
                    throw AllowlistError(source: source, line: Int(lineNumber), text: text, reason: reason)
                }
                registryEntries.append(text)
            } else if let body = datasetBody(bytes, start, end) {
                guard let entry = fastEntry(bytes, body, end, line: lineNumber) else {
                    throw AllowlistError(
                        source: source, line: Int(lineNumber),
                        text: String(decoding: bytes[start..<end], as: UTF8.self),
                        reason: explain(bytes[body..<end]))
                }
                datasetEntries.append(entry)
            } else if let entry = fastEntry(bytes, start, end, line: lineNumber) {
                entries.append(entry)
            } else {
                throw AllowlistError(
                    source: source, line: Int(lineNumber),
                    text: String(decoding: bytes[start..<end], as: UTF8.self),
                    reason: explain(bytes[start..<end]))
            }
        }
        var allowlist = Allowlist(source: source, bytes: bytes, entries: entries, datasetEntries: datasetEntries)
        allowlist.registryEntries = registryEntries
        return allowlist
    }

    private static let registryPrefix = Array("oci://".utf8)

    /// Why `text` (starting `oci://`) is not a registry entry, or nil.
    private static func registryProblem(_ text: String) -> String? {
        let rest = text.dropFirst("oci://".count)
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
            return "a registry entry is `oci://HOST[:PORT]/REPOSITORY` or `oci://HOST[:PORT]/PREFIX/*`"
        }
        let host = rest[..<slash]
        var path = rest[rest.index(after: slash)...]
        if path == "*" { return nil }  // every repository of the host
        if path.hasSuffix("/*") { path = path.dropLast(2) }
        guard host.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || ".-:[]".contains($0)) }) else {
            return "the host `\(host)` has characters a registry host does not (lowercase ASCII letters, digits, `.`, `-`, `:PORT`)"
        }
        guard !path.isEmpty, path.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "._-/".contains($0)) }),
              !path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else {
            return "the repository `\(path)` is not an OCI repository name (lowercase ASCII letters, digits, `.`, `_`, `-`, `/`); no tag or digest"
        }
        return nil
    }

    /// Whether `repository` (`oci://HOST[:PORT]/PATH`, no tag or digest) is listed: an entry
    /// naming it exactly, `oci://HOST[:PORT]/*`, or `…/PREFIX/*` with PATH below PREFIX.
    public func allowsRegistry(_ repository: String) -> Bool {
        registryEntries.contains { entry in
            guard entry.hasSuffix("/*") else { return entry == repository }
            return repository.hasPrefix(entry.dropLast())  // keeps the `/`: `a/*` allows `a/b`, not `ab`
        }
    }

    /// Where the `owner/…` of a `datasets/owner/…` line starts, or nil for a model's line. As in
    /// `RepoID`, the prefix needs a `/` after the owner: `datasets/*` is the owner `datasets`.
    private static func datasetBody(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Int? {
        let prefix = Self.datasetPrefix
        guard end - start > prefix.count, bytes[start..<(start + prefix.count)].elementsEqual(prefix) else { return nil }
        return bytes[(start + prefix.count)..<end].contains(UInt8(ascii: "/")) ? start + prefix.count : nil
    }

    private static let datasetPrefix = Array(RepoKind.dataset.prefix.utf8)

    public static func parse(_ text: String, source: String) throws(AllowlistError) -> Allowlist {
        try parse(Array(text.utf8), source: source)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// A valid `owner/name` or `owner/*` between `start` and `end`, checked byte by byte;
    /// nil if anything is off (`explain` then says what).
    private static func fastEntry(_ bytes: [UInt8], _ start: Int, _ end: Int, line: UInt32) -> Entry? {
        var slash = start
        while slash < end, bytes[slash] != UInt8(ascii: "/") { slash += 1 }
        guard slash < end, isValidPart(bytes, start, slash) else { return nil }
        let nameStart = slash + 1
        let owner = (UInt32(start), UInt8(slash - start))
        if end - nameStart == 1, bytes[nameStart] == UInt8(ascii: "*") {
            return Entry(ownerStart: owner.0, ownerLength: owner.1, nameStart: UInt32(nameStart), nameLength: 0, line: line)
        }
        guard isValidPart(bytes, nameStart, end) else { return nil }
        return Entry(
            ownerStart: owner.0, ownerLength: owner.1, nameStart: UInt32(nameStart),
            nameLength: UInt8(end - nameStart), line: line)
    }

    private static func isValidPart(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Bool {
        let length = end - start
        guard length >= 1, length <= RepoID.maximumPartLength else { return false }
        let first = bytes[start], last = bytes[end - 1]
        if first == UInt8(ascii: "-") || first == UInt8(ascii: ".") || last == UInt8(ascii: "-") || last == UInt8(ascii: ".") {
            return false
        }
        var previous: UInt8 = 0
        for index in start..<end {
            let byte = bytes[index]
            guard RepoCharacters.isAllowed(byte) else { return false }
            if byte == previous, byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") { return false }
            previous = byte
        }
        return true
    }

    /// Why a line is not an entry, in words (the slow path, for errors only).
    private static func explain(_ line: ArraySlice<UInt8>) -> String {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("/*") {
            do {
                try RepoID.checkPart(Substring(text.dropLast(2)), of: text, label: "owner")
            } catch {
                return error.reason
            }
        }
        do {
            _ = try RepoID(parsing: text)
            return "not an `owner/name` or `owner/*` entry"
        } catch {
            return error.reason
        }
    }

    func owner(of entry: Entry) -> ArraySlice<UInt8> {
        bytes[Int(entry.ownerStart)..<Int(entry.ownerStart) + Int(entry.ownerLength)]
    }

    func name(of entry: Entry) -> ArraySlice<UInt8> {
        bytes[Int(entry.nameStart)..<Int(entry.nameStart) + Int(entry.nameLength)]
    }
}

/// A line of an allowlist that is not an entry.
public struct AllowlistError: ModelpinError, Equatable {
    public let source: String
    public let line: Int
    public let text: String
    public let reason: String

    public var kind: FailureKind { .operational }
    public var description: String {
        "`\(source)`, line \(line): `\(text.escapedForDisplay)` is not a valid allowlist entry"
    }
    public var causes: [String] { [reason] }
    public var hint: String? {
        "entries are `owner/name` or `owner/*` for models, `datasets/owner/name` or `datasets/owner/*` for datasets, `oci://HOST/REPOSITORY` or `oci://HOST/PREFIX/*` for registries, one per line, in ASCII; `#` starts a comment"
    }
}
