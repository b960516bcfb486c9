import PinModel

/// The name a project gives a model: the key of its `[models.ALIAS]` table and the argument of
/// `modelpin remove ALIAS`, `modelpin lock --update ALIAS`.
///
/// Kept to 1–64 ASCII letters, digits, `-` and `_`, starting with a letter or digit, so that an
/// alias is always a bare TOML key (modelpin never has to quote it when it edits the manifest),
/// can never be taken for an option on a command line, and looks the same in every terminal.
///
/// A value is valid by construction: `init(rawValue:)` and `init(validating:)` check the rules,
/// so a manifest, a lock or an edit that holds a `ModelAlias` holds a usable one.
public struct ModelAlias: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let maximumLength = 64

    public let rawValue: String

    /// Nil when `rawValue` breaks the rules (`validate` says which).
    public init?(rawValue: String) {
        guard Self.validate(rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// `text` as an alias, or an error that says why it is not one.
    public init(validating text: String) throws(ModelAliasError) {
        if let reason = Self.validate(text) { throw ModelAliasError(text: text, reason: reason) }
        rawValue = text
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

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
    /// or digit), cut to 64; "model" when nothing is left.
    public static func suggested(forRepo repo: String) -> ModelAlias {
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
        // Valid by construction (bare-key characters only, no leading `-`/`_`, at most 64).
        return ModelAlias(rawValue: trimmed) ?? ModelAlias(rawValue: "model")!
    }
}

/// Text that is not a model alias, and why (`ModelAlias.validate`'s phrase).
public struct ModelAliasError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    /// "must start with …", "… is not allowed; …".
    public let reason: String

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String { "`\(text.escapedForDisplay)` is not a valid model alias: \(reason)" }
}
