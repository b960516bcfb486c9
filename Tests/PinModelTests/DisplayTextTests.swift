import PinModel
import Testing

@Suite("Text for a terminal")
struct DisplayTextTests {
    /// Every character that can drive a terminal or reorder what it shows comes out as a
    /// visible escape; the line feeds that structure a message stay.
    @Test(arguments: [
        ("\u{1B}[31mred", "\\u{1B}[31mred"),  // ESC (CSI colour)
        ("\u{1B}]0;title\u{07}", "\\u{1B}]0;title\\u{7}"),  // OSC retitling the window, BEL
        ("\u{9B}2J", "\\u{9B}2J"),  // C1 CSI
        ("\u{9D}8;;x", "\\u{9D}8;;x"),  // C1 OSC
        ("a\u{7F}b", "a\\u{7F}b"),  // DEL
        ("a\rb", "a\\u{D}b"),  // carriage return: overwrites the line
        ("a\tb", "a\\u{9}b"),
        ("gnp\u{202E}exe.bin", "gnp\\u{202E}exe.bin"),  // right-to-left override
        ("\u{202A}\u{202B}\u{202C}\u{202D}", "\\u{202A}\\u{202B}\\u{202C}\\u{202D}"),
        ("\u{2066}\u{2067}\u{2068}\u{2069}", "\\u{2066}\\u{2067}\\u{2068}\\u{2069}"),  // isolates
        ("\u{200E}\u{200F}\u{061C}", "\\u{200E}\\u{200F}\\u{61C}"),  // marks
        ("a\u{200B}b\u{2028}c", "a\\u{200B}b\\u{2028}c"),  // zero width space, line separator
        ("line one\n  line two", "line one\n  line two"),
        ("plain `ascii` and ünïcödé", "plain `ascii` and ünïcödé"),
    ])
    func escapesWhatATerminalWouldActOn(_ text: String, _ expected: String) {
        #expect(text.escapedForTerminal == expected)
        #expect(expected.escapedForTerminal == expected, "escaping twice changes nothing")
    }

    @Test func displayEscapingStillEscapesLineFeeds() {
        #expect("a\nb".escapedForDisplay == "a\\u{A}b")
    }
}
