import PinModel
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@Suite("git commit ids")
struct CommitIDTests {
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    @Test func parsesFortyLowercaseHexDigits() throws {
        let id = try CommitID(parsing: Self.commit)
        #expect(id.hex == Self.commit)
        #expect(id.description == Self.commit)
        #expect(id.short == "0123456789ab")
        #expect(try CommitID(parsing: String(repeating: "f", count: 40)) > id)
    }

    @Test(arguments: [
        // One spelling per commit: the Hub and modelpin.lock write lowercase.
        (String(repeating: "AB", count: 20), CommitIDError.Problem.uppercase),
        ("0123456789ABCDEF0123456789abcdef01234567", .uppercase),
        // SHA-256 repositories: refused by name.
        (String(repeating: "ab", count: 32), .sha256),
        ("", .notCommit),
        ("main", .notCommit),
        ("v1.0", .notCommit),
        (String(repeating: "a", count: 39), .notCommit),
        (String(repeating: "a", count: 41), .notCommit),
        (String(repeating: "a", count: 39) + "g", .notCommit),
        (" " + String(repeating: "a", count: 40), .notCommit),
        (String(repeating: "a", count: 40) + "\n", .notCommit),
        ("../../../../../../etc/passwd/aaaaaaaaaaa", .notCommit),
        ("０123456789abcdef0123456789abcdef01234567", .notCommit),
        (String(repeating: "AB", count: 32), .notCommit),
    ])
    func refuses(_ text: String, _ problem: CommitIDError.Problem) {
        let error = #expect(throws: CommitIDError.self) { try CommitID(parsing: text) }
        #expect(error == CommitIDError(text: text, problem: problem))
    }

    @Test func messagesNameTheTextEscaped() {
        #expect(CommitIDError(text: "main", problem: .notCommit).description == "`main` is not a commit id (40 lowercase hex digits)")
        #expect(CommitIDError(text: "a\u{1B}[2J", problem: .notCommit).description.contains("a\\u{1B}[2J"))
        #expect(CommitIDError(text: "x", problem: .sha256).description.contains("SHA-256 git commit id"))
        #expect(CommitIDError(text: "x", problem: .uppercase).description.contains("lowercase"))
    }

    @Test func codableAsItsText() throws {
        let id = try CommitID(parsing: Self.commit)
        let encoded = try JSONEncoder().encode([id])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"\(Self.commit)\"]")
        #expect(try JSONDecoder().decode([CommitID].self, from: encoded) == [id])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([CommitID].self, from: Data("[\"main\"]".utf8)) }
    }
}
