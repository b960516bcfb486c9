public import PinLock
import PinModel
import TOMLKit

/// A `policy test` fixture: models described by the facts a rule looks at, and what the rules
/// should decide for each, so a platform team can unit-test its policy in CI without a store or
/// a Hub. Read as strictly as a policy (errors name file, line and field).
///
/// ```toml
/// today = 2026-12-02            # the day rules are applied on (cooldowns, waiver expiry)
///
/// [[model]]
/// repo = "acme/bert"            # required
/// licenses = ["mit"]            # default: none declared
/// remote-code = false
/// signed-by = "0123…4567"       # a full fingerprint; default: not signed
/// commit-date = 2026-11-30      # default: unknown
/// expect = "block"              # allow | log | block; default: anything but block
///
/// [[model.file]]
/// path = "pytorch_model.bin"
/// size = 1024
/// format = "pytorch-zip"        # as the scanner names formats; default: unknown
/// verdict = "safe"              # default: unknown
/// ```
public struct PolicyFixture: Sendable, Equatable {
    public struct Case: Sendable, Equatable {
        public var subject: PolicySubject
        public var expect: PolicyAction?
    }

    public var today: PolicyDay
    public var cases: [Case]

    static let hint = "fix the fixture; see `modelpin policy test --help` and lockfiles/README.md (Policy)"

    public static func parse(_ text: String, file: String) throws(ProjectFileError) -> PolicyFixture {
        let (reader, root) = try TOMLReader.parse(text, file: file, defaultHint: hint)
        try reader.checkKeys(root, at: .root, known: ["today", "model"], what: "a policy fixture's top level")
        guard let todayValue = root["today"] else { throw reader.error(FieldPath("today"), "`today` is missing", hint: "write it like `today = 2026-12-02`") }
        let today = try day(todayValue, FieldPath("today"), reader)
        var cases: [Case] = []
        if let value = root["model"] {
            for (offset, element) in try reader.array(value, FieldPath("model"), expected: "an array of `[[model]]` tables").enumerated() {
                cases.append(try model(element, FieldPath("model").indexed(offset + 1), reader))
            }
        }
        return PolicyFixture(today: today, cases: cases)
    }

    static let modelKeys = ["repo", "licenses", "remote-code", "signed-by", "commit-date", "expect", "file"]
    static let fileKeys = ["path", "size", "format", "verdict"]

    private static func model(_ value: any TOMLValueConvertible, _ path: FieldPath, _ reader: TOMLReader) throws(ProjectFileError) -> Case {
        let table = try reader.table(value, path, expected: "a `[[model]]` table")
        try reader.checkKeys(table, at: path, known: modelKeys, what: "a fixture's `[[model]]`")
        guard let repoValue = table["repo"] else { throw reader.error(path.appending("repo"), "`repo` is missing") }
        var subject = PolicySubject(repo: try reader.text(repoValue, path.appending("repo")))
        if let value = table["licenses"] { subject.licenses = try reader.strings(value, path.appending("licenses"), nonEmpty: true) }
        if let value = table["remote-code"] { subject.remoteCode = try reader.boolean(value, path.appending("remote-code")) }
        if let value = table["signed-by"] {
            let text = try reader.text(value, path.appending("signed-by"))
            guard let key = try? Fingerprint(parsing: text) else { throw reader.error(path.appending("signed-by"), "`\(text.escapedForDisplay)` is not a full OpenPGP fingerprint") }
            subject.signedBy = key
        }
        if let value = table["commit-date"] {
            subject.commitDate = Int64(try day(value, path.appending("commit-date"), reader).daysSinceEpoch) * 86_400
        }
        var expect: PolicyAction?
        if let value = table["expect"] {
            let text = try reader.text(value, path.appending("expect"))
            guard let action = PolicyAction(rawValue: text) else {
                throw reader.error(path.appending("expect"), "must be `allow`, `log` or `block`, not `\(text.escapedForDisplay)`")
            }
            expect = action
        }
        if let value = table["file"] {
            for (offset, element) in try reader.array(value, path.appending("file"), expected: "an array of `[[model.file]]` tables").enumerated() {
                subject.files.append(try file(element, path.appending("file").indexed(offset + 1), reader))
            }
        }
        return Case(subject: subject, expect: expect)
    }

    private static func file(_ value: any TOMLValueConvertible, _ path: FieldPath, _ reader: TOMLReader) throws(ProjectFileError) -> PolicySubject.File {
        let table = try reader.table(value, path, expected: "a `[[model.file]]` table")
        try reader.checkKeys(table, at: path, known: fileKeys, what: "a fixture's `[[model.file]]`")
        guard let pathValue = table["path"] else { throw reader.error(path.appending("path"), "`path` is missing") }
        var file = PolicySubject.File(path: try reader.text(pathValue, path.appending("path")), size: 0)
        if let value = table["size"] {
            let size = try reader.integer(value, path.appending("size"))
            if size < 0 { throw reader.error(path.appending("size"), "must not be negative, found \(size)") }
            file.size = Int64(size)
        }
        if let value = table["format"] { file.format = try reader.text(value, path.appending("format")) }
        if let value = table["verdict"] {
            let text = try reader.text(value, path.appending("verdict"))
            guard let verdict = Verdict(rawValue: text) else { throw reader.error(path.appending("verdict"), "`\(text.escapedForDisplay)` is not a verdict") }
            file.verdict = verdict
        }
        return file
    }

    private static func day(_ value: any TOMLValueConvertible, _ path: FieldPath, _ reader: TOMLReader) throws(ProjectFileError) -> PolicyDay {
        guard let date = value.date, let day = PolicyDay(year: date.year, month: date.month, day: date.day) else {
            throw reader.error(path, "must be a TOML date", hint: "write it like `2026-12-02` (no quotes)")
        }
        return day
    }
}
