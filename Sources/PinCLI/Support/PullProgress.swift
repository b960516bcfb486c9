import PinModel
import PinWorkspace
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Renders a pull's progress. On a terminal: a bar per active file and a total bar with rate
/// and ETA, redrawn at most ten times a second on stderr. Elsewhere: one plain line per event
/// (useful in CI logs, nothing decorative). `--quiet` and `--json` show only warnings.
final class PullProgress: ResolutionReporter, @unchecked Sendable {
    // @unchecked: all mutable state is inside `state` (a Mutex).

    enum Style { case bars, lines, silent }

    private struct FileState {
        var size: Int64
        var received: Int64 = 0
        var done = false
        var started = false
    }

    private struct State {
        var files: [String: FileState] = [:]
        var order: [String] = []
        var total: Int64 = 0
        var received: Int64 = 0
        var resumed: Int64 = 0
        var start = Self.now()
        var lastDraw: Double = 0
        var drawnLines = 0

        static func now() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
    }

    private let console: Console
    private let style: Style
    private let state = Mutex(State())

    init(console: Console, style: Style) {
        self.console = console
        self.style = style
    }

    func warning(_ message: String) {
        state.withLock { clear(&$0) }
        console.warn(message)
    }

    func resolved(_ snapshot: Resolution) {
        let files = snapshot.files
        let missing = files.filter { !$0.present }
        let bytes = missing.reduce(Int64(0)) { $0 + $1.size }
        state.withLock { state in
            for planned in missing {
                state.files[planned.path] = FileState(size: planned.size)
                state.order.append(planned.path)
            }
            state.total = bytes
            state.start = State.now()
        }
        guard style != .silent else { return }
        console.note(
            "resolved \(snapshot.repo)@\(snapshot.revision) → \(snapshot.commit): \(Format.plural(files.count, "file")), "
                + "\(missing.count) to download (\(Format.bytes(bytes))), \(files.count - missing.count) already in the store")
    }

    func resumed(_ path: String, bytes: Int64) {
        state.withLock { state in
            state.files[path]?.received += bytes
            state.received += bytes
            state.resumed += bytes
        }
        if style == .lines { console.note("resuming \(path) at \(Format.bytes(bytes))") }
    }

    func received(_ path: String, bytes: Int64) {
        guard style == .bars else {
            state.withLock { $0.received += bytes }
            return
        }
        state.withLock { state in
            state.files[path]?.received += bytes
            state.files[path]?.started = true
            state.received += bytes
            let now = State.now()
            if now - state.lastDraw >= 0.1 {
                state.lastDraw = now
                draw(&state, now: now)
            }
        }
    }

    func finished(_ path: String, size: Int64, downloaded: Bool) {
        state.withLock { state in
            state.files[path]?.done = true
            if style == .bars { draw(&state, now: State.now()) }
        }
        if style == .lines, downloaded { console.note("verified \(path) (\(Format.bytes(size)))") }
    }

    func retrying(_ path: String, attempt: Int, afterSeconds: Double, reason: String) {
        guard style != .silent else { return }
        state.withLock { clear(&$0) }
        let wait = afterSeconds > 0 ? " in \(Format.tenths(afterSeconds)) s" : ""
        console.note("retrying \(path) (attempt \(attempt))\(wait): \(reason)")
    }

    /// Removes the bars (before the final summary, or an error).
    func finish() {
        state.withLock { clear(&$0) }
    }

    // MARK: Drawing

    private func clear(_ state: inout State) {
        guard style == .bars, state.drawnLines > 0 else { return }
        console.redraw(erasing: state.drawnLines, with: [])
        state.drawnLines = 0
    }

    private func draw(_ state: inout State, now: Double) {
        let elapsed = max(now - state.start, 0.001)
        let rate = Double(state.received - state.resumed) / elapsed
        let active = state.order.filter { state.files[$0]!.started && !state.files[$0]!.done }.prefix(4)
        var lines: [String] = []
        for path in active {
            let file = state.files[path]!
            lines.append(bar(label: path, done: file.received, total: file.size, rate: nil))
        }
        lines.append(bar(label: "total", done: state.received, total: state.total, rate: rate))
        console.redraw(erasing: state.drawnLines, with: lines)
        state.drawnLines = lines.count
    }

    private func bar(label: String, done: Int64, total: Int64, rate: Double?) -> String {
        let width = 24
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int(fraction * Double(width))
        let name = label.count > 32 ? "…" + label.suffix(31) : label.padding(32)
        var line = "\(name) [\(String(repeating: "#", count: filled))\(String(repeating: "-", count: width - filled))] "
        let percent = String(Int(fraction * 100))
        line += String(repeating: " ", count: 3 - percent.count) + percent + "%  \(Format.bytes(done))/\(Format.bytes(total))"
        if let rate, rate > 0 {
            line += "  \(Format.bytes(Int64(rate)))/s"
            let left = Double(total - done) / rate
            if left.isFinite, left >= 0 { line += "  ETA \(Int(left.rounded())) s" }
        }
        return line
    }
}
