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
/// (useful in CI logs, nothing decorative), and during long transfers a progress line at most
/// every `lineInterval` seconds, so that a 50 GB pull in CI is not silent for minutes.
/// `--quiet` and `--json` show only warnings.
final class PullProgress: EventSink, @unchecked Sendable {
    // @unchecked: all mutable state is inside `state` (a Mutex).

    enum Style { case bars, lines, silent }

    /// Seconds between two progress lines of the `.lines` style (MODELPIN_PROGRESS_INTERVAL).
    static let defaultLineInterval = 30.0

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
        /// When the last progress line was written (`.lines`), and the bytes received then.
        var lastLine: Double = Self.now()
        var receivedAtLastLine: Int64 = 0

        static func now() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
    }

    private let console: Console
    private let style: Style
    private let lineInterval: Double
    private let state = Mutex(State())

    init(console: Console, style: Style, lineInterval: Double = PullProgress.defaultLineInterval) {
        self.console = console
        self.style = style
        self.lineInterval = lineInterval
    }

    /// The one entry point: every event of the workspace's stream.
    func emit(_ event: WorkspaceEvent) {
        switch event {
        case .warning(let message): warning(message)
        case .resolved(let snapshot, let present): resolved(snapshot, present: Set(present))
        case .sourceChosen(let file, _, let resumedBytes):
            state.withLock { state in
                if state.files[file.path] == nil {  // a fallback's second try is the same file
                    state.files[file.path] = FileState(size: file.size)
                    state.order.append(file.path)
                    state.total += file.size
                }
            }
            if resumedBytes > 0 { resumed(file.path, bytes: resumedBytes) }
        case .received(let path, let bytes): received(path, bytes: bytes)
        case .retrying(let path, let attempt, let afterSeconds, let reason):
            retrying(path, attempt: attempt, afterSeconds: afterSeconds, reason: reason)
        case .fallback(let path, let source, let reason, let refused):
            warning("\(source): `\(path)` \(refused ? "refused" : "failed"), trying the next source: \(reason)")
        case .sourceUnavailable(let source, let paths, let reason):
            warning("\(source): unavailable for \(Format.plural(paths.count, "file")), trying the next source: \(reason)")
        case .verified(let path, _, let size, let origin):
            finished(path, size: size, downloaded: origin != .store)
        case .refused, .scanned, .decided, .signatureChecked, .materialized, .finished:
            break  // in the summaries; the display stays quiet
        case .servedBlobRefused, .pulledThrough:
            break  // a server's events: its log and metrics report them
        }
    }

    func warning(_ message: String) {
        state.withLock { clear(&$0) }
        console.warn(message)
    }

    private func resolved(_ snapshot: ResolvedSnapshot, present: Set<String>) {
        let files = snapshot.files
        state.withLock { $0.start = State.now() }
        guard style != .silent else { return }
        let missing = files.filter { !present.contains($0.path) }
        let bytes = missing.reduce(Int64(0)) { $0 + $1.size }
        console.note(
            "resolved \(snapshot.repo)@\(snapshot.revision) → \(snapshot.commit): \(Format.plural(files.count, "file")), "
                + "\(missing.count) to download (\(Format.bytes(bytes))), \(present.count) already in the store")
    }

    private func resumed(_ path: String, bytes: Int64) {
        state.withLock { state in
            state.files[path]?.received += bytes
            state.received += bytes
            state.resumed += bytes
        }
        if style == .lines { console.note("resuming \(path) at \(Format.bytes(bytes))") }
    }

    private func received(_ path: String, bytes: Int64) {
        let line = state.withLock { state -> String? in
            state.files[path]?.received += bytes
            state.files[path]?.started = true
            state.received += bytes
            let now = State.now()
            switch style {
            case .bars:
                if now - state.lastDraw >= 0.1 {
                    state.lastDraw = now
                    draw(&state, now: now)
                }
                return nil
            case .lines:
                guard now - state.lastLine >= lineInterval else { return nil }
                return progressLine(&state, now: now)
            case .silent:
                return nil
            }
        }
        if let line { console.note(line) }
    }

    /// `downloading model-00001.safetensors 1.2 GiB/4.9 GiB (+2 more); 3.4 GiB of 50.0 GiB, 85.3 MiB/s`:
    /// the files in flight, the whole pull's bytes so far of its total, and the rate since the
    /// last line.
    private func progressLine(_ state: inout State, now: Double) -> String {
        let rate = Double(state.received - state.receivedAtLastLine) / max(now - state.lastLine, 0.001)
        state.lastLine = now
        state.receivedAtLastLine = state.received
        let active = state.order.filter { state.files[$0]!.started && !state.files[$0]!.done }
        var line = "downloading"
        if let first = active.first, let file = state.files[first] {
            line += " \(first) \(Format.bytes(file.received))/\(Format.bytes(file.size))"
            if active.count > 1 { line += " (+\(active.count - 1) more)" }
            line += ";"
        }
        return line + " \(Format.bytes(state.received)) of \(Format.bytes(state.total)), \(Format.bytes(Int64(rate)))/s"
    }

    private func finished(_ path: String, size: Int64, downloaded: Bool) {
        state.withLock { state in
            state.files[path]?.done = true
            if style == .bars { draw(&state, now: State.now()) }
        }
        if style == .lines, downloaded { console.note("verified \(path) (\(Format.bytes(size)))") }
    }

    private func retrying(_ path: String, attempt: Int, afterSeconds: Double, reason: String) {
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
