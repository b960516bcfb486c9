// The scan verdict is a domain value, not the scanner's: modelpin.lock records one per file
// (PinLock), the store keeps one per blob (PinStore), and PinScan produces them. It lives here
// so that PinLock can read a lock's `verdict` without depending on the scanner.

/// How bad a file (or one finding in it) is. Ordered by severity: a report's verdict is its
/// worst finding's.
public enum Verdict: String, Codable, Sendable, Comparable, CaseIterable {
    /// Nothing found that could run code on load; the structure is valid.
    case safe
    /// Content modelpin does not recognise, so it was not checked (a vocabulary in a binary format
    /// of its own, a font, an image): admitted by default — the loaders this scanner guards cannot
    /// run code from it — but never reported as `safe`, and refused with `--strict`. It ranks just
    /// above `safe` and below every refusal: "not checked" is weaker news than "checked and bad",
    /// so a file with any refusing finding takes that verdict instead.
    case unsupported
    /// A callable that is neither known safe nor known dangerous: blocked by default, because
    /// an unknown callable is how published bypasses got through.
    case suspicious
    /// The file could not be fully understood (truncated, invalid, inconsistent): blocked,
    /// since what cannot be parsed cannot be called safe.
    case malformed
    /// Code execution, process, file system, network, import machinery, attribute access…
    case unsafe

    private var rank: Int {
        switch self {
        case .safe: 0
        case .unsupported: 1
        case .suspicious: 2
        case .malformed: 3
        case .unsafe: 4
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }
}
