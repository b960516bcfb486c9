/// Non-ASCII characters that imitate ASCII id characters.
///
/// Hub ids are ASCII-only, so such a character is always refused; this table exists to say
/// *what* it imitates, so that `metа-llama` (Cyrillic `а`) can be matched to the allowed
/// `meta-llama` it copies and reported as a typosquat rather than as a mere invalid id.
enum Confusables {
    /// The ASCII character `scalar` looks like, if any: fullwidth forms (what NFKC would fold)
    /// and the UTS #39 confusables of `[A-Za-z0-9._-]`.
    static func asciiLookalike(of scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        // U+FF01…U+FF5E are the fullwidth twins of U+0021…U+007E.
        if (0xFF01...0xFF5E).contains(value) {
            let ascii = UInt8(value - 0xFEE0)
            return RepoCharacters.isAllowed(ascii) || ascii == UInt8(ascii: "/") ? ascii : nil
        }
        var low = 0
        var high = table.count
        while low < high {
            let middle = (low + high) / 2
            let key = table[middle] >> 8
            if key == UInt64(value) { return UInt8(truncatingIfNeeded: table[middle]) }
            if key < UInt64(value) { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// Characters that render as nothing: zero-width space and joiners, soft hyphen, word
    /// joiner, byte-order mark, Mongolian vowel separator and every other default-ignorable
    /// or format code point.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isDefaultIgnorableCodePoint || scalar.properties.generalCategory == .format
    }
}

/// The ASCII bytes Hub ids are made of.
enum RepoCharacters {
    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func isUpper(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isLower(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        isUpper(byte) ? byte | 0x20 : byte
    }
}
