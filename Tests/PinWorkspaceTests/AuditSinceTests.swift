import PinAudit
import PinWorkspace
import Testing

@Suite struct AuditSinceTests {
    static let now = AuditTime(rfc3339: "2026-12-02T16:40:05Z")!

    @Test(arguments: [
        ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"),
        ("2026-11-30", "2026-11-30T00:00:00Z"),
        ("24h", "2026-12-01T16:40:05Z"),
        ("7d", "2026-11-25T16:40:05Z"),
        ("90m", "2026-12-02T15:10:05Z"),
        ("2w", "2026-11-18T16:40:05Z"),
        ("30s", "2026-12-02T16:39:35Z"),
    ])
    func parses(_ text: String, _ expected: String) throws {
        #expect(try AuditSince(parsing: text, now: Self.now).time.description == expected)
    }

    @Test(arguments: ["", "yesterday", "24", "h", "-5d", "2026-13-01", "1.5h", "99999999999d"])
    func refuses(_ text: String) {
        #expect(throws: AuditError.self) { try AuditSince(parsing: text, now: Self.now) }
    }
}
