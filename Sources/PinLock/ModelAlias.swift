import PinModel

/// The name a project gives a model: the key of its `[models.ALIAS]` table and the argument of
/// `modelpin remove ALIAS`, `modelpin lock --update ALIAS`.
///
/// Kept to 1–64 ASCII letters, digits, `-` and `_`, starting with a letter or digit, so that an
/// alias is always a bare TOML key (modelpin never has to quote it when it edits the manifest),
/// can never be taken for an option on a command line, and looks the same in every terminal.
public enum ModelAlias {
    public static let maximumLength = 64

    /// Nil when `alias` is valid; otherwise why not, as a phrase ("must start with …").
    public static func validate(_ alias: String) -> String? {
        let scalars = Array(alias.unicodeScalars)
        guard let first = scalars.first else { return "an alias must not be empty" }
        if scalars.count > maximumLength {
            return "an alias is at most \(maximumLength) characters, this one has \(scalars.count)"
        }
        if let bad = scalars.first(where: { !TOMLText.isBareKeyScalar($0) }) {
            return "\(bad.displayDescription) is not allowed; an alias is ASCII letters, digits, `-` and `_`"
        }
        if first == "-" || first == "_" {
            return "an alias must start with a letter or a digit"
        }
        return nil
    }

    /// The alias `modelpin add org/name` picks when none is given: `name` lowercased, every
    /// other character replaced by `-`, leading `-`/`_` dropped (an alias starts with a letter
    /// or digit), cut to 64; "model" when nothing is left. Always valid.
    public static func suggested(forRepo repo: String) -> String {
        let name = repo.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? repo
        var alias = ""
        for scalar in name.unicodeScalars {
            switch scalar {
            case "A"..."Z": alias.unicodeScalars.append(Unicode.Scalar(scalar.value + 32)!)
            case _ where TOMLText.isBareKeyScalar(scalar): alias.unicodeScalars.append(scalar)
            default: alias += "-"
            }
        }
        let trimmed = String(alias.drop { $0 == "-" || $0 == "_" }.prefix(maximumLength))
        return trimmed.isEmpty ? "model" : trimmed
    }
}
