extension String {
    /// The string with every character a terminal would not show escaped as `\u{XXXX}`:
    /// controls, invisible (default-ignorable, format) characters and whitespace other than a
    /// plain space. Lookalike names are shown this way so that `meta\u{200B}-llama` cannot pass
    /// for `meta-llama` in a message; visible lookalikes (a Cyrillic `а`) stay as they are and
    /// are named, code point and all, by the message itself.
    public var escapedForDisplay: String {
        var result = ""
        for scalar in unicodeScalars {
            let properties = scalar.properties
            let hidden = properties.isDefaultIgnorableCodePoint || properties.generalCategory == .control
                || properties.generalCategory == .format || (properties.isWhitespace && scalar != " ")
            if !hidden {
                result.unicodeScalars.append(scalar)
            } else {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
        }
        return result
    }
}

extension Unicode.Scalar {
    /// `'а' (U+0430 CYRILLIC SMALL LETTER A)`; invisible or control characters are not quoted
    /// literally: `U+200B ZERO WIDTH SPACE`.
    public var displayDescription: String {
        let digits = String(value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        let name = properties.name ?? properties.nameAlias ?? "unnamed character"
        let invisible = properties.isDefaultIgnorableCodePoint || properties.generalCategory == .control
            || properties.generalCategory == .format || properties.isWhitespace
        return invisible ? "\(code) \(name)" : "'\(self)' (\(code) \(name))"
    }
}
