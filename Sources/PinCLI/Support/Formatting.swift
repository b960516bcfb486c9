import PinModel
import PinWorkspace

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

enum Format {
    /// Binary units, one decimal: `512 B`, `1.5 KiB`, `2.0 GiB`.
    static func bytes(_ count: Int64) -> String { ByteCount.text(count) }

    /// `value` with one decimal: `0.4`, `12.0`.
    static func tenths(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// `2027-11-26` (UTC) for a unix time.
    static func utcDate(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
    }

    static func plural(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(count) " + (count == 1 ? singular : (plural ?? singular + "s"))
    }

    /// Pretty JSON with sorted keys (stable output for scripts and diffs), newline-terminated.
    /// Escaped by construction for a terminal: the encoder writes C0 controls as `\u00XX`, and
    /// every other character a terminal would act on or hide (DEL, C1 controls, bidi and other
    /// format characters) is written as a `\uXXXX` escape too — the same string to a JSON
    /// reader, inert on a screen.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self).jsonEscapingHidden
    }
}
