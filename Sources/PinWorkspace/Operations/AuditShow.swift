public import PinAudit

/// `audit show`: the log's entries, oldest first, from a time on.
public struct AuditShowResult: Sendable, Encodable {
    public struct Entry: Sendable, Encodable {
        public let index: Int
        /// The entry as stored.
        public let entry: CanonicalJSON
        /// nil when the entry follows the schema; else why not (it is shown as stored).
        public let schemaProblem: String?
    }

    public let entries: [Entry]
    /// Torn lines this open moved aside (`audit/torn-<n>`).
    public let tornTails: [String]
}

/// When `--since` starts: an RFC 3339 time, a date (midnight UTC), or a duration before now
/// (`90s`, `15m`, `24h`, `7d`, `2w`).
public struct AuditSince: Sendable, Equatable {
    public let time: AuditTime

    public init(parsing text: String, now: AuditTime = .now()) throws(AuditError) {
        if let time = AuditTime(rfc3339: text) ?? AuditTime(date: text) {
            self.time = time
            return
        }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count >= 0, count < 1 << 32 else {
            throw .malformed(what: "--since", file: nil, line: nil,
                             reason: "`\(text)` is not a time (2026-12-02T16:40:05Z), a date (2026-12-02) or a duration (24h, 7d)")
        }
        time = AuditTime(secondsSinceEpoch: now.secondsSinceEpoch - count * unit)
    }
}

extension Workspace {
    public func auditShow(since: AuditSince?) throws -> AuditShowResult {
        let log = try auditLog()
        var entries: [AuditShowResult.Entry] = []
        try log.forEachEntry { index, value throws(AuditError) in
            let problem: String?
            var time: AuditTime?
            do throws(EntrySchemaError) {
                time = AuditTime(rfc3339: try AuditEntry(json: value).time)
                problem = nil
            } catch {
                problem = error.description
            }
            if let since, let time, time < since.time { return }
            entries.append(.init(index: index, entry: value, schemaProblem: problem))
        }
        return AuditShowResult(entries: entries, tornTails: log.tornTails.map(\.message))
    }

    /// `audit key`: the verifier key of the store's log (`name+hex8+base64`).
    public func auditKey() throws -> String {
        try auditLog().verifier.text
    }
}

extension TornTail {
    /// The warning that reports it.
    public var message: String {
        "a torn last audit entry (\(byteCount) bytes after entry \(entriesBefore - 1), a write cut short by a crash) was moved to \(file)"
    }
}
