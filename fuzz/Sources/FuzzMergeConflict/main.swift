// A modelpin.lock or modelpin.toml left with git's merge-conflict markers, as a pull request
// can hand them over: the marker finder, the splitter into "ours" and "theirs", and the
// conflicted-lock reader behind `modelpin lock`'s recovery. Invariants, not just "no crash":
// the finder and the splitter agree on whether there is a conflict, a split leaves no marker in
// either side and adds no line, and what a relock keeps is locked alike on both sides.
import PinLock

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMergeConflict(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let first = MergeConflict.firstMarkerLine(in: text)
    let lineCount = lines(text)
    if let first { precondition(first >= 1 && first <= lineCount, "a marker line outside the text") }

    switch Result(catching: { () throws(MergeConflict.Malformed) -> MergeConflict? in try MergeConflict.split(text) }) {
    case .success(nil):
        precondition(first == nil, "a marker was found but the text did not split")
    case .success(let conflict?):
        precondition(conflict.firstMarkerLine == first, "the splitter and the finder name different lines")
        for side in [conflict.ours, conflict.theirs] {
            precondition(MergeConflict.firstMarkerLine(in: side) == nil, "a marker survived the split")
            precondition(lines(side) <= lineCount, "a side has more lines than the text")
        }
    case .failure(let malformed):
        precondition(first != nil, "no marker, yet the split failed")
        precondition(malformed.line >= 1 && malformed.line <= lineCount, "a malformed marker outside the text")
    }

    if let conflicted = try? LockfileFormat.parseConflicted(text, file: "modelpin.lock") {
        precondition(first != nil, "a conflicted lock without a marker")
        for model in conflicted.agreed.models {
            precondition(conflicted.ours.model(model.alias) == model && conflicted.theirs.model(model.alias) == model, "kept a model the sides lock differently")
        }
    }
    if first != nil {
        precondition((try? LockfileFormat.parse(text, file: "modelpin.lock")) == nil, "a lock with conflict markers was read as a lock")
        precondition((try? ManifestFormat.parse(text, file: "modelpin.toml")) == nil, "a manifest with conflict markers was read as a manifest")
    }
    return 0
}

/// Lines as the splitter counts them: on `\n` scalars (a `\r\n` is one Character, so a split
/// on Characters would not see its line feed).
private func lines(_ text: String) -> Int {
    text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).count
}

/// TOMLKit (behind PinLock's TOML reader) leaks on every parse; see FuzzTrustText. Leaks from
/// anything else are still reported.
@_cdecl("__lsan_default_suppressions")
public func leakSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(("leak:TOMLKit\n" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}
