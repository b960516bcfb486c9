/// The rules a repo-relative path must follow before modelpin writes, deletes or reads
/// anything at it, whatever it came from: a Hub listing, a lockfile, the snapshot record in a
/// model directory, a manifest's `to`, and (later) an OCI annotation or bundle. One validator,
/// so no reader can be laxer than another.
///
/// It lives in PinModel (values only) because its callers sit in modules that must not import
/// one another (PinHub, PinLock, PinWorkspace). A new reader of paths — an OCI manifest's
/// `org.cncf.model.filepath` or `org.opencontainers.image.title` annotations, a bundle —
/// calls `problems(in:)` on all of a snapshot's paths before anything is written.
public enum PathSafety {
    /// modelpin's own bookkeeping inside a materialized directory.
    public static let reservedDirectory = ".modelpin"

    /// Directory names no component may take, compared case-insensitively (a case-insensitive
    /// filesystem opens `.GIT` as `.git`). A version-control or tool directory in a model's
    /// directory is configuration someone else's program trusts: `.git/config` with
    /// `core.fsmonitor` runs a command on the next `git status` or git-aware shell prompt,
    /// and `.hg/hgrc` hooks, `.svn`, `.bzr`, `_darcs`, `.jj` and `.pijul` state, CVS's
    /// `CVS/Root`, fossil's checkout database and modelpin's own record work the same way.
    /// A real git-backed Hub can never list any of them.
    public static let refusedComponents: [String] = [
        ".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", ".pijul", "cvs", ".fslckout", "_fossil_", reservedDirectory,
    ]

    /// Every unsafe path of a snapshot, each with the reason: see `reason(_:)`, plus a
    /// case-insensitive clash with another path (two files, or a file and a directory).
    public static func problems(in paths: [String]) -> [String] {
        var problems: [String] = []
        var seen: [String: String] = [:]
        var directories: [String: String] = [:]
        for path in paths {
            if let reason = reason(path) {
                problems.append("`\(path.escapedForDisplay)`: \(reason)")
                continue
            }
            let folded = path.lowercased()
            if let other = seen[folded] {
                problems.append("`\(path.escapedForDisplay)`: same name as `\(other.escapedForDisplay)` on a case-insensitive filesystem")
                continue
            }
            seen[folded] = path
            let components = folded.split(separator: "/")
            for depth in 1..<max(1, components.count) {
                directories[components[..<depth].joined(separator: "/")] = path
            }
        }
        for (folded, path) in seen.sorted(by: { $0.key < $1.key }) {
            if let child = directories[folded] {
                problems.append("`\(path.escapedForDisplay)`: is a file, but `\(child.escapedForDisplay)` needs it to be a directory")
            }
        }
        return problems
    }

    /// Why one repo-relative path is unsafe, or nil: empty, absolute, NUL, backslash or control
    /// characters, an empty, `.` or `..` component, or a refused directory name.
    public static func reason(_ path: String) -> String? {
        if path.isEmpty { return "empty path" }
        if path.hasPrefix("/") { return "absolute path" }
        for scalar in path.unicodeScalars {
            if scalar == "\0" { return "contains a NUL character" }
            if scalar == "\\" { return "contains a backslash" }
            if isControl(scalar) { return "contains a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))" }
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") { return "contains a `..` component" }
        if components.contains(".") { return "contains a `.` component" }
        if components.contains("") { return "contains an empty component" }
        for component in components {
            if let reason = componentReason(component) { return reason }
        }
        return nil
    }

    /// Why one component (a single name, no `/`) is refused, or nil: a version-control or tool
    /// directory (`refusedComponents`), however a filesystem might spell it.
    public static func componentReason(_ component: some StringProtocol) -> String? {
        guard let name = refusedName(component) else { return nil }
        let shown = String(component).escapedForDisplay
        if name == reservedDirectory { return "uses modelpin's reserved `\(reservedDirectory)` directory (as `\(shown)`)" }
        return "`\(shown)` is a version-control or tool directory (`\(name == "cvs" ? "CVS" : name)`), which modelpin never writes"
    }

    /// The refused name `component` would open on some filesystem, or nil. Follows git's own
    /// `verify_path` (`is_ntfs_dotgit`, `is_hfs_dotgit`): HFS+ ignores default-ignorable code
    /// points (`.g\u{200C}it`), NTFS ignores trailing dots and spaces and reads `NAME:stream`
    /// as NAME (`.git.`, `.git `, `.git::$INDEX_ALLOCATION`), and answers to an 8.3 short name
    /// (`GIT~1`, and git's hashed fallback `GI7EBA~1`).
    static func refusedName(_ component: some StringProtocol) -> String? {
        if cannotBeRefused(component.utf8) { return nil }
        var folded = ""
        for scalar in component.unicodeScalars where scalar.isASCII || !scalar.properties.isDefaultIgnorableCodePoint {
            folded.unicodeScalars.append(scalar)
        }
        folded = folded.lowercased()
        if let colon = folded.firstIndex(of: ":") { folded = String(folded[..<colon]) }
        while let last = folded.last, last == "." || last == " " { folded.removeLast() }
        if refusedComponents.contains(folded) { return folded }
        // 8.3 short names: the first six characters without the dot, `~`, a digit.
        let parts = folded.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 1, parts[1].first!.isASCII, parts[1].first!.isNumber else { return nil }
        if parts[0] == "gi7eba" { return ".git" }
        return refusedComponents.first { $0.hasPrefix(".") && !parts[0].isEmpty && parts[0] == $0.dropFirst().prefix(6) }
    }

    /// Unicode's control category (Cc): C0, DEL and C1. ASCII is decided without a property
    /// lookup, which costs more than everything else here on paths that are nearly all ASCII.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar.value < 0x20 || scalar.value == 0x7F : scalar.properties.generalCategory == .control
    }

    /// A quick answer for the common case, so that a snapshot of many files costs little: an
    /// ASCII name with no `:` or `~` is refused only if, lowercased and without trailing dots and
    /// spaces, it is one of `refusedComponents`, and none of those is longer than 9 characters.
    /// (ASCII holds no default-ignorable code points.) Anything else takes the full check.
    static func cannotBeRefused(_ utf8: some Collection<UInt8>) -> Bool {
        var length = 0
        var trailing = 0
        for byte in utf8 {
            guard byte < 0x80, byte != UInt8(ascii: ":"), byte != UInt8(ascii: "~") else { return false }
            length += 1
            trailing = byte == UInt8(ascii: ".") || byte == UInt8(ascii: " ") ? trailing + 1 : 0
        }
        return length - trailing > longestRefusedComponent
    }

    static let longestRefusedComponent = refusedComponents.map(\.utf8.count).max() ?? 0
}
