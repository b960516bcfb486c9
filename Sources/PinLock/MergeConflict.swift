/// The two sides of a file that git left with merge-conflict markers:
///
/// ```
/// <<<<<<< HEAD            (ours)
/// …
/// ||||||| base            (diff3 / zdiff3 only: the common ancestor, dropped)
/// …
/// =======
/// …                       (theirs)
/// >>>>>>> branch
/// ```
///
/// Hand-written because no library reads git's conflict format outside git itself, and the
/// format is small: lines outside any block belong to both sides, a block's first part to
/// "ours", its last part to "theirs". The text is untrusted (a pull request can hold any
/// bytes), so the splitter is strict: a marker out of place (a `=======` outside a block, a
/// block that never ends, a nested `<<<<<<<`) is an error naming its line, never a guess.
/// Only markers of git's default size (seven characters) at the start of a line count; no
/// line of TOML starts with them, so a valid manifest or lock never holds one.
public struct MergeConflict: Sendable, Equatable {
    /// 1-based line of the first marker.
    public let firstMarkerLine: Int
    /// The text as the side merged into had it (each block's first part).
    public let ours: String
    /// The text as the side being merged had it (each block's last part).
    public let theirs: String

    /// A marker out of place: the conflict cannot be split into two sides.
    public struct Malformed: Error, Sendable, Equatable {
        /// 1-based.
        public let line: Int
        public let reason: String
    }

    enum Marker: Equatable {
        case start, base, separator, end
    }

    /// The 1-based line of the first conflict marker in `text`, or nil when it has none.
    public static func firstMarkerLine(in text: String) -> Int? {
        // Every marker is a run of seven of one of four bytes; most files hold no such run,
        // and then one pass over the bytes answers without splitting lines.
        guard hasMarkerRun(text) else { return nil }
        for (offset, line) in TOMLText.lines(text).enumerated() where marker(line) != nil {
            return offset + 1
        }
        return nil
    }

    private static func hasMarkerRun(_ text: String) -> Bool {
        var previous: UInt8 = 0
        var run = 0
        for byte in text.utf8 {
            let isMarker = byte == UInt8(ascii: "<") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "|")
            run = isMarker && byte == previous ? run + 1 : (isMarker ? 1 : 0)
            if run == 7 { return true }
            previous = byte
        }
        return false
    }

    /// The two sides of `text`; nil when it has no marker at all.
    public static func split(_ text: String) throws(Malformed) -> MergeConflict? {
        guard let first = firstMarkerLine(in: text) else { return nil }
        enum State { case both, ours, base, theirs }
        var state = State.both
        var ours: [Substring] = [], theirs: [Substring] = []
        var opened = 0
        for (offset, line) in TOMLText.lines(text).enumerated() {
            let number = offset + 1
            switch (marker(line), state) {
            case (nil, .both):
                ours.append(line)
                theirs.append(line)
            case (nil, .ours): ours.append(line)
            case (nil, .base): break
            case (nil, .theirs): theirs.append(line)
            case (.start, .both):
                state = .ours
                opened = number
            case (.base, .ours): state = .base
            case (.separator, .ours), (.separator, .base): state = .theirs
            case (.end, .theirs): state = .both
            case (let found?, _):
                throw Malformed(line: number, reason: Self.misplaced(found, opened: opened))
            }
        }
        if state != .both {
            throw Malformed(line: opened, reason: "the conflict that starts here has no closing `>>>>>>>` line")
        }
        let newline = TOMLText.endsWithNewline(text) ? "\n" : ""
        return MergeConflict(
            firstMarkerLine: first,
            ours: ours.joined(separator: "\n") + newline, theirs: theirs.joined(separator: "\n") + newline)
    }

    private static func misplaced(_ marker: Marker, opened: Int) -> String {
        switch marker {
        case .start: opened > 0 ? "a `<<<<<<<` line inside the conflict that starts at line \(opened)" : "a `<<<<<<<` line out of place"
        case .base: "a `|||||||` line outside a conflict's first part"
        case .separator: "a `=======` line outside a conflict"
        case .end: "a `>>>>>>>` line without its `<<<<<<<` and `=======`"
        }
    }

    /// The marker `line` is, if any: seven marker characters, then the end of the line (a
    /// `\r` included) or, for those that carry a label, a space and the label.
    static func marker(_ line: Substring) -> Marker? {
        let bytes = line.utf8
        guard bytes.count >= 7, let first = bytes.first else { return nil }
        let found: Marker
        switch first {
        case UInt8(ascii: "<"): found = .start
        case UInt8(ascii: "|"): found = .base
        case UInt8(ascii: "="): found = .separator
        case UInt8(ascii: ">"): found = .end
        default: return nil
        }
        guard bytes.prefix(7).allSatisfy({ $0 == first }) else { return nil }
        let rest = bytes.dropFirst(7)
        if rest.isEmpty || Array(rest) == [UInt8(ascii: "\r")] { return found }
        return found != .separator && rest.first == UInt8(ascii: " ") ? found : nil
    }
}

/// A `modelpin.lock` left with merge-conflict markers, each side parsed as the lock it was.
public struct ConflictedLock: Sendable, Equatable {
    /// 1-based line of the first marker in the file.
    public let firstMarkerLine: Int
    public let ours: Lockfile
    public let theirs: Lockfile

    public init(firstMarkerLine: Int, ours: Lockfile, theirs: Lockfile) {
        self.firstMarkerLine = firstMarkerLine
        self.ours = ours
        self.theirs = theirs
    }

    /// The entries locked identically on both sides: what a relock keeps. Any difference
    /// (commit, a file, signers, a verdict) leaves a model out, to be resolved again as if it
    /// had never been locked, since modelpin cannot know which side's review to trust.
    public var agreed: Lockfile {
        Lockfile(models: ours.models.filter { theirs.model($0.alias) == $0 })
    }

    /// The aliases locked differently, or on one side only, sorted.
    public var disputed: [String] {
        let kept = Set(agreed.models.map(\.alias.rawValue))
        return Set((ours.models + theirs.models).map(\.alias.rawValue)).subtracting(kept).sorted()
    }
}
