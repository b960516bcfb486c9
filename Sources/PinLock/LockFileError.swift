public import PinModel

/// A `modelpin.toml` or `modelpin.lock` that cannot be read as what it claims to be: a TOML
/// syntax error, a wrong type, an unknown or reserved key, a value out of range.
///
/// It names the place as precisely as it can (file, line and column, field) because the person
/// who has to fix it is looking at the file in an editor, not at modelpin's data model.
///
/// Field paths (`field`) are written as TOML dotted keys, with 1-based indexes for arrays of
/// tables and array elements, counting as a person counts headers in the file:
/// `models.llama.revision` is the `revision` key of the `[models.llama]` table;
/// `model[2].file[5].sha256` is the `sha256` key of the fifth `[[model.file]]` under the second
/// `[[model]]`; `models.llama.include[3]` is the third pattern of that array. A key that is not a
/// bare TOML key is quoted: `models."my model".repo`.
public struct ProjectFileError: ModelpinError, Equatable {
    /// The path as the caller gave it (shown to the person as is).
    public var file: String
    /// 1-based; nil when the place could not be found (the locator is best effort).
    public var line: Int?
    /// 1-based, in Unicode scalars; nil when unknown.
    public var column: Int?
    /// The dotted field path (see the type's documentation); nil for whole-file errors.
    public var field: String?
    public var message: String
    public var causes: [String]
    public var hint: String?
    /// A value no honest file holds (a size beyond what any file can have): a refused check,
    /// not a typo to fix, so it exits like one.
    public var refused = false
    /// The file holds git's merge-conflict markers (`line` is the first): `modelpin lock`
    /// recovers a lock from that state, so callers that can tell it from a plain syntax error.
    public var mergeConflict = false

    public init(
        file: String, line: Int? = nil, column: Int? = nil, field: String? = nil, message: String,
        causes: [String] = [], hint: String? = nil
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        self.causes = causes
        self.hint = hint
    }

    /// Operational, like the other configuration-file errors (the allowlist's, `--names`'):
    /// the file is the operator's input, and a malformed one is neither a refused check nor a
    /// malformed command line.
    public var kind: FailureKind { refused ? .refused : .operational }

    /// `` `modelpin.toml`:7:12: field `models.llama.revision`: must be a string, not an integer ``
    public var description: String {
        var place = "`\(file)`"
        if let line {
            place += ":\(line)"
            if let column { place += ":\(column)" }
        }
        let fieldPart = field.map { "field `\($0)`: " } ?? ""
        return "\(place): \(fieldPart)\(message)"
    }
}
