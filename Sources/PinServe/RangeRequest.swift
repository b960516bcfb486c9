/// What a `Range` header asks of a file of a known size (RFC 9110 §14.1.2), for one range only.
///
/// Written by hand: NIOHTTP1 hands headers over as text and parses none of them, and the rules
/// here are few but each matters for safety (no overflow, no multipart, no range past the end).
/// Fuzzed (fuzz/Sources/FuzzServeRequests).
public enum RangeRequest: Equatable, Sendable {
    /// No range, or one the server must ignore (another unit than `bytes`): the whole file, 200.
    case whole
    /// One satisfiable range, both ends included: 206 with `Content-Range: bytes a-b/size`.
    case partial(first: Int64, last: Int64)
    /// A range this server will not serve: not satisfiable against the size, malformed after
    /// `bytes=`, or more than one range (multipart answers are never sent). 416 with
    /// `Content-Range: bytes */size`.
    case unsatisfiable

    /// The longest header value looked at; a real client sends a few dozen bytes.
    public static let maximumLength = 200

    /// Parses `header` (the `Range` value, nil when absent) against a file of `size` bytes.
    public init(header: String?, size: Int64) {
        guard let header else { self = .whole; return }
        guard header.utf8.count <= Self.maximumLength else { self = .unsatisfiable; return }
        let trimmed = header.trimmingSpaces
        // Another unit is not ours to understand: RFC 9110 says ignore it and send the whole.
        guard trimmed.lowercased().hasPrefix("bytes=") else { self = .whole; return }
        let spec = trimmed.dropFirst("bytes=".count).trimmingSpaces
        // `a-b, c-d` would need multipart/byteranges; no Hub client asks for it.
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { self = .unsatisfiable; return }
        let firstText = spec[..<dash].trimmingSpaces
        let lastText = spec[spec.index(after: dash)...].trimmingSpaces
        self = Self.resolve(first: Self.number(firstText), last: Self.number(lastText),
                            firstEmpty: firstText.isEmpty, lastEmpty: lastText.isEmpty, size: size)
    }

    private static func resolve(first: Int64?, last: Int64?, firstEmpty: Bool, lastEmpty: Bool, size: Int64) -> Self {
        switch (firstEmpty, lastEmpty) {
        case (true, true):
            return .unsatisfiable
        case (true, false):
            // `-n`: the last n bytes.
            guard let suffix = last, suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial(first: max(0, size - suffix), last: size - 1)
        case (false, true):
            // `a-`: from a to the end.
            guard let first, first < size else { return .unsatisfiable }
            return .partial(first: first, last: size - 1)
        case (false, false):
            guard let first, let last, first <= last, first < size else { return .unsatisfiable }
            return .partial(first: first, last: min(last, size - 1))
        }
    }

    /// Digits only (no sign, no spaces inside), at most 18 of them so the value fits an Int64
    /// with room to add one; anything else is nil.
    static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
