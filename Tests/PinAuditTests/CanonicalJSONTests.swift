import PinAudit
import Testing

@Suite struct CanonicalJSONTests {
    private func text(_ value: CanonicalJSON) -> String { String(decoding: value.canonicalBytes, as: UTF8.self) }

    @Test func sortsKeysAndEscapes() {
        let value: CanonicalJSON = .object(["b": .integer(-1), "a": .array([.null, .bool(true), .string("x\"\n\u{1}")])])
        #expect(text(value) == #"{"a":[null,true,"x\"\n\u0001"],"b":-1}"#)
    }

    /// RFC 8785 §3.2.3: property sorting by UTF-16 code units (U+1F600 sorts before U+FB33).
    @Test func rfc8785SortingExample() {
        let value: CanonicalJSON = .object([
            "\u{20ac}": .string("Euro Sign"), "\r": .string("Carriage Return"),
            "\u{fb33}": .string("Hebrew Letter Dalet With Dagesh"), "1": .string("One"),
            "\u{1F600}": .string("Emoji: Grinning Face"), "\u{80}": .string("Control"),
            "\u{f6}": .string("Latin Small Letter O With Diaeresis"),
        ])
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\","
            + "\"\u{20ac}\":\"Euro Sign\",\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(text(value) == expected)
        #expect((try? CanonicalJSON(canonical: value.canonicalBytes)) == value)
    }

    /// RFC 8785 §3.2.2.2's string example: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/".
    @Test func rfc8785StringExample() {
        let value = CanonicalJSON.string("\u{20ac}$\u{0F}\nA'B\"\\\\\"/")
        #expect(text(value) == "\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"")
    }

    @Test func roundTrips() throws {
        let values: [CanonicalJSON] = [
            .null, .bool(false), .integer(0), .integer(-9_007_199_254_740_992), .integer(9_007_199_254_740_992),
            .string(""), .string("\u{7F}\u{1F}\u{08}\t\u{0C}"), .array([]), .object([:]),
            .object(["v": .integer(1), "nested": .array([.object(["b": .null, "a": .string("é")])])]),
        ]
        for value in values {
            #expect(try CanonicalJSON(canonical: value.canonicalBytes) == value)
        }
    }

    @Test(arguments: [(String, String)]([
        (#"{"a":1 }"#, "whitespace"),
        (#" {"a":1}"#, "leading whitespace"),
        (#"{"b":1,"a":2}"#, "unsorted keys"),
        (#"{"a":1,"a":2}"#, "duplicate keys"),
        (#"["\/"]"#, "escaped slash"),
        (#"["\u0041"]"#, "needless unicode escape"),
        (#"["\u000a"]"#, "unicode escape for a short-escape character"),
        (#"["\u001F"]"#, "upper-case hex"),
        ("[\"\u{01}\"]", "raw control character"),
        ("[1.0]", "fraction"),
        ("[1e3]", "exponent"),
        ("[-0]", "negative zero"),
        ("[01]", "leading zero"),
        ("[9007199254740993]", "beyond 2^53"),
        ("{\"a\":1}x", "trailing bytes"),
        ("", "empty"),
        ("[tru]", "bad literal"),
        ("{\"a\"1}", "missing colon"),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "too deep"),
    ]))
    func refusesNonCanonical(_ input: String, _ label: String) {
        #expect(throws: CanonicalJSONError.self, "\(label)") { try CanonicalJSON(canonical: Array(input.utf8)) }
        #expect(throws: CanonicalJSONError.self, "\(label)") {
            try Array(input.utf8).withUnsafeBytes { try CanonicalJSON.checkCanonical($0) }
        }
    }

    @Test func refusesInvalidUTF8() {
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFF]] {
            #expect(throws: CanonicalJSONError.self) { try CanonicalJSON(canonical: [0x22] + bad + [0x22]) }
        }
    }

    /// Keys beyond ASCII and with escapes compare by UTF-16, also when only checked.
    @Test func checksOrderOfEscapedAndNonASCIIKeys() throws {
        let value: CanonicalJSON = .object(["\u{1F600}": .null, "\u{fb33}": .null, "\"": .null, "\u{1}": .null])
        let bytes = value.canonicalBytes
        try bytes.withUnsafeBytes { try CanonicalJSON.checkCanonical($0) }
        let swapped = Array("{\"\u{fb33}\":null,\"\u{1F600}\":null}".utf8)
        #expect(throws: CanonicalJSONError.self) { try CanonicalJSON(canonical: swapped) }
    }
}
