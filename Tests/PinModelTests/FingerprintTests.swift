import PinModel
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The one fingerprint parser: the union of what PinLock's `SignerFingerprint` (manifest, lock,
/// config) and PinVerify's `Fingerprint` (keyring, `keys remove`) tested before they became one.
@Suite("OpenPGP fingerprints")
struct FingerprintTests {
    static let canonical = "0123456789ABCDEF0123456789ABCDEF01234567"

    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        enum Expected: Sendable {
            case hex(String)
            case refused(FingerprintError.Problem)
        }
        let expected: Expected
        var testDescription: String { text.debugDescription }

        static func accepts(_ text: String) -> Case { Case(text: text, expected: .hex(FingerprintTests.canonical)) }
        static func refuses(_ text: String, _ problem: FingerprintError.Problem) -> Case { Case(text: text, expected: .refused(problem)) }
    }

    @Test(arguments: [
        // What people copy from `gpg --fingerprint` and web pages.
        Case.accepts("0123456789ABCDEF0123456789ABCDEF01234567"),
        .accepts("0123456789abcdef0123456789abcdef01234567"),
        .accepts("0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567"),
        .accepts("0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567"),
        .accepts("0x0123456789abcdef0123456789abcdef01234567"),
        .accepts("0X0123456789ABCDEF0123456789ABCDEF01234567"),
        .accepts("0x 0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567"),
        // Whitespace around it and tabs between groups: PinVerify accepted these, PinLock did not.
        .accepts("  0123456789ABCDEF0123456789ABCDEF01234567\n"),
        .accepts(" 0x0123456789ABCDEF0123456789ABCDEF01234567"),
        .accepts("0123\t4567\t89AB\tCDEF\t0123\t4567\t89AB\tCDEF\t0123\t4567"),
        // Key ids: refused as such (with `0x`, PinLock used to call it "not a fingerprint").
        .refuses("89ABCDEF01234567", .keyID),
        .refuses("0x89abcdef01234567", .keyID),
        .refuses("01234567", .keyID),
        .refuses("89AB CDEF 0123 4567", .keyID),
        .refuses("0123456789ABCDEF", .keyID),
        // v5/v6 fingerprints: refused by name (both parsers said only "not a fingerprint").
        .refuses(String(repeating: "AB", count: 32), .longFingerprint),
        .refuses("0x" + String(repeating: "ab", count: 32), .longFingerprint),
        // Everything else.
        .refuses("", .notHex),
        .refuses("0x", .notHex),
        .refuses("   ", .notHex),
        .refuses("xyz", .notHex),
        .refuses("nope", .notHex),
        .refuses("0123456789ABCDEF0123456789ABCDEF0123456G", .notHex),
        .refuses("０123456789ABCDEF0123456789ABCDEF01234567", .notHex),
        .refuses("0123456789ABCDEF0123456789ABCDEF0123456\u{200B}7", .notHex),
        .refuses("0123456789ABCDEF0123\n456789ABCDEF01234567", .notHex),
        .refuses("0123456789ABCDEF,0123456789ABCDEF01234567", .notHex),
        .refuses("ABCD", .length(4)),
        .refuses("0123456789ABCDEF0123456789ABCDEF0123456", .length(39)),
        .refuses("0123456789ABCDEF0123456789ABCDEF012345678", .length(41)),
    ])
    func parses(_ row: Case) throws {
        switch row.expected {
        case .hex(let hex):
            let parsed = try Fingerprint(parsing: row.text)
            #expect(parsed.hex == hex)
            #expect(parsed.description == hex)
            #expect(try Fingerprint(parsing: parsed.hex) == parsed)
        case .refused(let problem):
            let error = #expect(throws: FingerprintError.self) { try Fingerprint(parsing: row.text) }
            #expect(error == FingerprintError(text: row.text, problem: problem))
            #expect(error?.kind == .usage)
            #expect(error?.description.hasPrefix("`\(row.text.escapedForDisplay)` is ") == true)
        }
    }

    @Test func messagesSayWhatIsWrong() {
        func message(_ text: String) -> String? {
            do {
                _ = try Fingerprint(parsing: text)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message("89ABCDEF01234567") == "`89ABCDEF01234567` is a key id, not a fingerprint; pin the full 40-hex fingerprint")
        #expect(message("nope") == "`nope` is not an OpenPGP fingerprint (40 hex digits)")
        #expect(message("ABCD") == "`ABCD` is not an OpenPGP fingerprint (40 hex digits): it has 4")
        #expect(message(String(repeating: "A", count: 64))?.contains("64-hex (v5 or v6)") == true)
        // Text from a file is shown escaped: a terminal control in it is not acted on.
        #expect(message("\u{1B}[2J") == "`\\u{1B}[2J` is not an OpenPGP fingerprint (40 hex digits)")
    }

    @Test func spellingsOfOneKeyAreEqualAndOrderedByHex() throws {
        let upper = try Fingerprint(parsing: Self.canonical)
        let spaced = try Fingerprint(parsing: "0x0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567")
        #expect(upper == spaced)
        #expect(Set([upper, spaced]).count == 1)
        let other = try Fingerprint(parsing: String(repeating: "F", count: 40))
        #expect(upper < other)
        #expect([other, upper].sorted() == [upper, other])
    }

    @Test func codableAsAString() throws {
        let fingerprint = try Fingerprint(parsing: Self.canonical.lowercased())
        let encoded = try JSONEncoder().encode([fingerprint])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"\(Self.canonical)\"]")
        #expect(try JSONDecoder().decode([Fingerprint].self, from: encoded) == [fingerprint])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Fingerprint].self, from: Data("[\"89ABCDEF01234567\"]".utf8)) }
        #expect(fingerprint.keyID == "89ABCDEF01234567")
    }
}
