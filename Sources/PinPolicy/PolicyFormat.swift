public import PinLock
import PinModel
import TOMLKit

/// `[policy]` on disk: read strictly from modelpin.toml or a shared policy file (the same
/// table; a shared file holds nothing else), and written in a canonical form whose digest the
/// lock records.
///
/// Strict as the manifest is: an unknown key, a wrong type, a bad value is an error naming the
/// file, line and field (`policy.rule[2].action`), since a misspelt condition silently ignored
/// would widen a block rule to every model.
public enum PolicyFormat {
    static let hint = "fix the policy and run the command again; see the \"Policy\" section of lockfiles/README.md"

    static let policyKeys = ["mode", "rule", "waiver"]
    static let ruleKeys = [
        "name", "action", "repos", "owners", "license-in", "license-not-in", "license-unknown", "formats", "verdicts",
        "remote-code", "signed", "signer-not-in", "size-above", "files-above", "younger-than-days",
    ]
    static let waiverKeys = ["rule", "repos", "owners", "reason", "expires"]

    /// The `[policy]` table of `text` (a modelpin.toml or a shared policy file) as a rule set;
    /// nil when there is none. `shared`: the file is a policy file, where any other top-level
    /// key is refused.
    public static func parse(_ text: String, file: String, shared: Bool) throws(ProjectFileError) -> RuleSet? {
        let (reader, root) = try TOMLReader.parse(text, file: file, defaultHint: hint)
        if shared {
            try reader.checkKeys(root, at: .root, known: ["policy"], what: "a policy file's top level")
        }
        guard let value = root["policy"] else {
            if shared { throw reader.error(nil, "has no [policy] table", hint: "a policy file holds one [policy] table and its rules") }
            return nil
        }
        return try ruleSet(value, file: file, reader)
    }

    static func ruleSet(_ value: any TOMLValueConvertible, file: String, _ reader: TOMLReader) throws(ProjectFileError) -> RuleSet {
        let path = FieldPath("policy")
        let table = try reader.table(value, path, example: "[policy]")
        try reader.checkKeys(table, at: path, known: policyKeys, what: "[policy]")
        var set = RuleSet(file: file)
        if let mode = table["mode"] {
            let text = try reader.text(mode, path.appending("mode"), example: #"mode = "dry-run""#)
            guard let known = RuleSet.Mode(rawValue: text) else {
                throw reader.error(path.appending("mode"), "must be `enforce` or `dry-run`, not `\(text.escapedForDisplay)`")
            }
            set.mode = known
        }
        for (offset, element) in try elements(table, "rule", path, reader).enumerated() {
            let rulePath = path.appending("rule").indexed(offset + 1)
            let rule = try rule(element, rulePath, reader)
            if set.rules.contains(where: { $0.name == rule.name }) {
                throw reader.error(rulePath.appending("name"), "rule `\(rule.name)` is defined twice: waivers and reasons name rules, so names must be unique")
            }
            set.rules.append(rule)
        }
        for (offset, element) in try elements(table, "waiver", path, reader).enumerated() {
            let waiverPath = path.appending("waiver").indexed(offset + 1)
            let waiver = try waiver(element, waiverPath, reader)
            guard set.rules.contains(where: { $0.name == waiver.rule }) else {
                throw reader.error(
                    waiverPath.appending("rule"), "waives rule `\(waiver.rule.escapedForDisplay)`, which this policy does not define",
                    hint: "a waiver names a rule of the same [policy] (\(set.rules.map { "`\($0.name)`" }.joined(separator: ", ")))")
            }
            set.waivers.append(waiver)
        }
        return set
    }

    private static func elements(_ table: TOMLTable, _ key: String, _ path: FieldPath, _ reader: TOMLReader) throws(ProjectFileError) -> [any TOMLValueConvertible] {
        guard let value = table[key] else { return [] }
        return try reader.array(value, path.appending(key), expected: "an array of `[[policy.\(key)]]` tables")
    }

    private static func rule(_ value: any TOMLValueConvertible, _ path: FieldPath, _ reader: TOMLReader) throws(ProjectFileError) -> Rule {
        let table = try reader.table(value, path, expected: "a `[[policy.rule]]` table")
        try reader.checkKeys(table, at: path, known: ruleKeys, what: "a `[[policy.rule]]` table")
        let name = try required(table, "name", path, reader) { v, p throws(ProjectFileError) in try reader.text(v, p, example: #"name = "no-pickle""#) }
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }), name.count <= 64 else {
            throw reader.error(path.appending("name"), "`\(name.escapedForDisplay)` is not a rule name: up to 64 ASCII letters, digits, `-`, `_`, `.`")
        }
        let actionText = try required(table, "action", path, reader) { v, p throws(ProjectFileError) in try reader.text(v, p, example: #"action = "block""#) }
        guard let action = PolicyAction(rawValue: actionText) else {
            throw reader.error(path.appending("action"), "must be `allow`, `log` or `block`, not `\(actionText.escapedForDisplay)`")
        }
        var conditions: [Condition] = []
        for key in ruleKeys.dropFirst(2) {
            guard let value = table[key] else { continue }
            conditions.append(try condition(key, value, path.appending(key), reader))
        }
        return Rule(name: name, action: action, conditions: conditions)
    }

    private static func condition(_ key: String, _ value: any TOMLValueConvertible, _ path: FieldPath, _ reader: TOMLReader) throws(ProjectFileError) -> Condition {
        func list() throws(ProjectFileError) -> [String] {
            let items = try reader.strings(value, path, nonEmpty: true, example: #"\#(key) = ["…"]"#)
            if items.isEmpty { throw reader.error(path, "must list at least one value (an empty list would never match)") }
            return items
        }
        func count() throws(ProjectFileError) -> Int {
            let n = try reader.integer(value, path, example: "\(key) = 10")
            if n < 0 { throw reader.error(path, "must not be negative, found \(n)") }
            return n
        }
        switch key {
        case "repos": return .repos(try list())
        case "owners": return .owners(try list())
        case "license-in": return .licenseIn(try list())
        case "license-not-in": return .licenseNotIn(try list())
        case "license-unknown": return .licenseUnknown(try reader.boolean(value, path))
        case "formats": return .formats(try list())
        case "verdicts":
            var verdicts: [Verdict] = []
            for (offset, text) in try list().enumerated() {
                guard let verdict = Verdict(rawValue: text) else {
                    throw reader.error(path.indexed(offset + 1), "`\(text.escapedForDisplay)` is not a verdict: \(Verdict.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                verdicts.append(verdict)
            }
            return .verdicts(verdicts)
        case "remote-code": return .remoteCode(try reader.boolean(value, path))
        case "signed": return .signed(try reader.boolean(value, path))
        case "signer-not-in":
            var keys: [Fingerprint] = []
            for (offset, text) in try list().enumerated() {
                guard let key = try? Fingerprint(parsing: text) else {
                    throw reader.error(path.indexed(offset + 1), "`\(text.escapedForDisplay)` is not a full OpenPGP fingerprint (40 hex digits)")
                }
                keys.append(key)
            }
            return .signerNotIn(keys)
        case "size-above": return .sizeAbove(Int64(try count()))
        case "files-above": return .filesAbove(try count())
        default: return .youngerThanDays(try count())  // younger-than-days, the last of ruleKeys
        }
    }

    private static func waiver(_ value: any TOMLValueConvertible, _ path: FieldPath, _ reader: TOMLReader) throws(ProjectFileError) -> Waiver {
        let table = try reader.table(value, path, expected: "a `[[policy.waiver]]` table")
        try reader.checkKeys(table, at: path, known: waiverKeys, what: "a `[[policy.waiver]]` table")
        let rule = try required(table, "rule", path, reader) { v, p throws(ProjectFileError) in try reader.text(v, p) }
        var repos: [String] = []
        var owners: [String] = []
        if let value = table["repos"] { repos = try reader.strings(value, path.appending("repos"), nonEmpty: true) }
        if let value = table["owners"] { owners = try reader.strings(value, path.appending("owners"), nonEmpty: true) }
        if repos.isEmpty, owners.isEmpty {
            throw reader.error(path, "a waiver names the `repos` or `owners` it applies to", hint: #"write it like `repos = ["acme/legacy-*"]`"#)
        }
        let reason = try required(table, "reason", path, reader) { v, p throws(ProjectFileError) in
            try reader.text(v, p, example: #"reason = "approved by legal, ticket 123""#)
        }
        let expires = try required(table, "expires", path, reader) { v, p throws(ProjectFileError) in
            guard let date = v.date, let day = PolicyDay(year: date.year, month: date.month, day: date.day) else {
                throw reader.error(p, "must be a TOML date, not \(v.type == .string ? "a string" : "a \(v.type)")", hint: "write it like `expires = 2027-03-31` (no quotes)")
            }
            return day
        }
        return Waiver(rule: rule, repos: repos, owners: owners, reason: reason, expires: expires)
    }

    private static func required<T>(
        _ table: TOMLTable, _ key: String, _ path: FieldPath, _ reader: TOMLReader,
        _ read: (any TOMLValueConvertible, FieldPath) throws(ProjectFileError) -> T
    ) throws(ProjectFileError) -> T {
        guard let value = table[key] else { throw reader.error(path.appending(key), "`\(key)` is missing") }
        return try read(value, path.appending(key))
    }
}
