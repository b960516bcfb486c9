import Foundation

/// One answered request, as the access log records it: one JSON object per line. Never the
/// `Authorization` header or any token; the repo, revision and path are the decoded values
/// (JSON escapes whatever a client put in them).
public struct AccessLogEntry: Sendable, Encodable, Equatable {
    public let time: String
    public let method: String
    /// The request target's path as received (no query, which may hold a pagination cursor).
    public let target: String
    public let route: String?
    public let repo: String?
    public let revision: String?
    public let path: String?
    public let status: Int
    /// Body bytes sent (for a file: the range or the whole file once written in full).
    public let bytes: Int64
    public let durationMs: Double
    public let remote: String?

    enum CodingKeys: String, CodingKey {
        case time, method, target, route, repo, revision, path, status, bytes, remote
        case durationMs = "duration_ms"
    }

    /// The line to append (without the newline).
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// Where the server reports. PinServe never prints: the command decides where access lines and
/// errors go (a file, stdout, stderr). Called from event-loop threads: must be thread-safe and
/// must not block for long.
public protocol ServeLog: Sendable {
    /// One request answered.
    func access(_ entry: AccessLogEntry)
    /// Something an operator must see: a blob refused as corrupt, an upstream failure, a
    /// connection dropped for a timeout.
    func error(_ message: String)
}

/// A log that keeps nothing.
public struct DiscardServeLog: ServeLog {
    public init() {}
    public func access(_ entry: AccessLogEntry) {}
    public func error(_ message: String) {}
}
