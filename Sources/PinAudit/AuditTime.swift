import PinModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An entry's time: whole seconds in UTC, written `2026-12-02T16:40:05Z` (RFC 3339, the one
/// spelling entries use, so they sort and compare as text and as time alike).
///
/// Written by hand over `CivilCalendar` (PinModel): Foundation's date formatters would pull
/// locale and time zone machinery into a module that needs neither.
public struct AuditTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) {
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    /// The system clock, now.
    public static func now() -> AuditTime {
        AuditTime(secondsSinceEpoch: Int64(time(nil)))
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SSZ`; nil for anything else (another offset, fractions,
    /// a day that does not exist).
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z")
        else { return nil }
        guard let date = Self.date(bytes[0..<10]),
              let hour = Self.number(bytes[11..<13]), let minute = Self.number(bytes[14..<16]), let second = Self.number(bytes[17..<19]),
              hour < 24, minute < 60, second < 60
        else { return nil }
        secondsSinceEpoch = date + hour * 3600 + minute * 60 + second
    }

    /// Parses `YYYY-MM-DD` as midnight UTC that day.
    public init?(date text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, let seconds = Self.date(bytes[...]) else { return nil }
        secondsSinceEpoch = seconds
    }

    public var description: String {
        let days = CivilCalendar.day(ofSeconds: secondsSinceEpoch)
        let rest = secondsSinceEpoch - days * 86400
        let (year, month, day) = CivilCalendar.civil(days: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(String(year).leftPadded(to: 4))-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    public static func < (lhs: AuditTime, rhs: AuditTime) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }

    /// Seconds at midnight of `YYYY-MM-DD`, if it is a real day.
    private static func date(_ bytes: ArraySlice<UInt8>) -> Int64? {
        let start = bytes.startIndex
        guard bytes[start + 4] == UInt8(ascii: "-"), bytes[start + 7] == UInt8(ascii: "-"),
              let year = number(bytes[start..<start + 4]), let month = number(bytes[start + 5..<start + 7]),
              let day = number(bytes[start + 8..<start + 10]), (1...12).contains(month), day >= 1
        else { return nil }
        guard CivilCalendar.isValid(year: year, month: month, day: day) else { return nil }
        return CivilCalendar.days(year: year, month: month, day: day) * 86400
    }

    private static func number(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
