extension String {
    /// The string with every character a terminal would not show escaped as `\u{XXXX}`:
    /// controls, invisible (default-ignorable, format) characters and whitespace other than a
    /// plain space. Lookalike names are shown this way so that `meta\u{200B}-llama` cannot pass
    /// for `meta-llama` in a message; visible lookalikes (a Cyrillic `а`) stay as they are and
    /// are named, code point and all, by the message itself.
    public var escapedForDisplay: String {
        escaped(keeping: [])
    }

    /// The string as a terminal may receive it: everything `escapedForDisplay` escapes —
    /// C0 and C1 controls (ESC, CSI, OSC…), DEL, bidi overrides, isolates and marks, and every
    /// other invisible or format character — shown as `\u{XXXX}`, except the line feeds that
    /// separate a message's own lines. Text from a server, a file or a path can then neither
    /// drive the terminal (colours, titles, hyperlinks, cursor moves, clipboard writes) nor
    /// reorder what is shown (U+202E).
    public var escapedForTerminal: String {
        escaped(keeping: ["\n"])
    }

    /// JSON text with every character `isHiddenOnTerminal` except the layout's line feeds
    /// written as JSON `\uXXXX` escapes (UTF-16, so a pair of them above U+FFFF). Outside
    /// strings JSON has only ASCII layout whitespace, so every such character is inside a
    /// string, where the escape means the same character: the same JSON, safe to print.
    public var jsonEscapingHidden: String {
        guard unicodeScalars.contains(where: { $0.isHiddenOnTerminal && $0 != "\n" }) else { return self }
        var result = ""
        for scalar in unicodeScalars {
            guard scalar.isHiddenOnTerminal, scalar != "\n" else {
                result.unicodeScalars.append(scalar)
                continue
            }
            for unit in String(scalar).utf16 {
                let digits = String(unit, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            }
        }
        return result
    }

    private func escaped(keeping kept: Set<Unicode.Scalar>) -> String {
        guard unicodeScalars.contains(where: { $0.isHiddenOnTerminal && !kept.contains($0) }) else { return self }
        var result = ""
        for scalar in unicodeScalars {
            if !scalar.isHiddenOnTerminal || kept.contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
        }
        return result
    }
}

extension Unicode.Scalar {
    /// Whether a terminal would not show this character as itself: controls (C0, DEL, C1),
    /// format characters (bidi controls U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C,
    /// zero-width characters), default-ignorable code points, and whitespace other than a plain
    /// space.
    public var isHiddenOnTerminal: Bool {
        let properties = properties
        return properties.isDefaultIgnorableCodePoint || properties.generalCategory == .control
            || properties.generalCategory == .format || (properties.isWhitespace && self != " ")
    }

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
