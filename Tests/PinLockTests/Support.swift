public import PinLock

// Tests name aliases as literals (`alias: "tiny"`); a literal that breaks the rules is a bug in
// the test, so it traps. Production code gets a ModelAlias only by validating text.
extension ModelAlias: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        guard let alias = ModelAlias(rawValue: value) else { preconditionFailure("`\(value)` is not a valid model alias") }
        self = alias
    }
}
