import PinModel

// Protocol-4/5 FRAMEs, and the three ways CPython reads bytes that run across a frame's end.
//
// A FRAME announces that the next N bytes are a unit. The readers disagree when a read runs
// across the end of one (CPython Modules/_pickle.c, Lib/pickle.py):
//   - `pickle.loads(bytes)`, and the C unpickler on a file it can `peek` with a frame of less than
//     8 KiB, read straight through: the frame is only a prefetch hint ("contiguous");
//   - the C unpickler on a file without `peek` (the `io.BytesIO` that `torch.load` unpickles
//     `data.pkl` from) or with a frame of 8 KiB or more holds exactly the frame in its buffer. A
//     read (`_Unpickler_Read`, `_Unpickler_Readline`) that needs more than is left drops what is
//     left and reads from the file, which is at the frame's end ("dropping"). Byte-string
//     contents (`_Unpickler_ReadInto`: BINBYTES, BINBYTES8, BYTEARRAY8 data) take what is left
//     first, so they read straight through;
//   - pickle.py (`_Unframer`) raises "pickle exhausted before end of frame" there: it stops, so
//     it runs a prefix of what the other two run.
// So the same bytes can hold a BINBYTES whose data hides a GLOBAL/REDUCE in one reading and run it
// in the other. CPython's pickler never writes a read across a frame end, a FRAME inside a frame,
// or a STOP before its frame's end: each is `malformed` (kind `frame-boundary`), and the walk
// scans both readings: the machine itself reads straight through, and `PickleScanner.walk`
// walks the dropping reading again as a stream with the dropped bytes cut out (`SplicedSource`).

extension PickleMachine {
    static let frameKind = "frame-boundary"

    /// FRAME at `at`: its data starts at the read position.
    mutating func enterFrame(at: Int64, length: Int64) {
        let dataStart = input.offset
        if let end = frameEnd, at < end, dataStart <= end {
            // pickle.py refuses a frame that starts before the current one ends; the C unpickler
            // takes it as a prefetch of what it already holds, or drops the rest of the current
            // frame when the new one runs past it.
            reportFrame("a FRAME at offset \(at) starts inside the frame that ends at \(end)", at: at)
            if dataStart + length > end, dropAt == nil { dropAt = (dataStart, end) }
        }
        var end = dataStart + length
        // Reading on after a cut (the dropping reading): the frame's buffer ended at the cut.
        if let cut = frameCuts.first(where: { at < $0 && end > $0 }) { end = cut }
        frameEnd = end
    }

    /// The opcode at `at` read past `frameEnd`: reports it and, when the C unpickler's dropping
    /// reading differs from the straight one, where it drops bytes.
    mutating func noteStraddle(_ op: UInt8, at: Int64, frameEnd end: Int64) {
        var read = at + 1
        var drops = true
        switch op {
        case 0x8A, 0x8C, 0x55, 0x43, 0x8B, 0x58, 0x54, 0x42, 0x8D, 0x8E, 0x96:
            // A length, then the content: which of the two reads runs across?
            let width: Int64 = [0x8A, 0x8C, 0x55, 0x43].contains(op) ? 1 : [0x8B, 0x58, 0x54, 0x42].contains(op) ? 4 : 8
            if at + 1 + width <= end {
                read = at + 1 + width
                drops = ![0x43, 0x42, 0x8E, 0x96].contains(op)  // bytes contents: _Unpickler_ReadInto
            }
        case 0x63, 0x69:  // global, inst: the module line, or the name line
            if secondLineStart <= end { read = secondLineStart }
        case 0x62:  // build: a joblib array read (PickleJoblib.swift refuses it inside a frame)
            return
        default:
            break
        }
        // A read that starts at the frame's end (the opcode byte was the frame's last) is read the
        // same way by all three: pickle.py moves on to the file when the frame is exhausted.
        guard read < end else { return }
        reportFrame(
            "the opcode at offset \(at) reads across the end of the FRAME at \(end): pickle.loads reads on, CPython's C unpickler reading a file \(drops ? "drops the frame's last \(end - read) bytes and reads from \(end)" : "reads on"), pickle.py stops; both readings are scanned",
            at: at)
        if drops, dropAt == nil { dropAt = (read, end) }
    }

    /// The opcode at `at` failed after reading past the frame's end: the straight reading stops
    /// there, but the dropping one read other bytes and may go on (a length that is garbage read
    /// straight through can be a valid one read from the frame's end).
    mutating func noteFrameOnFailure(at: Int64) {
        guard let end = frameEnd, at < end, input.offset > end, let op = input.peek(at: at, length: 1).first else { return }
        noteStraddle(op, at: at, frameEnd: end)
    }

    /// STOP at the read position before the current frame's end: `pickle.load` called again
    /// starts at the frame's end in pickle.py and in the dropping C reading, and right after the
    /// STOP in the others.
    mutating func noteStopInsideFrame() {
        guard let end = frameEnd, input.offset < end else { return }
        reportFrame("STOP at offset \(input.offset - 1) leaves \(end - input.offset) bytes of its FRAME unread: readers disagree where the next pickle starts", at: input.offset - 1)
        if dropAt == nil { dropAt = (input.offset, end) }
    }

    mutating func reportFrame(_ detail: String, at: Int64) {
        frameFindings += 1
        guard frameFindings == 1, !sniffing else { return }
        findings.append(Finding(verdict: .malformed, kind: Self.frameKind, detail: detail, offset: at))
    }
}

extension PickleScanner {
    /// How many times one walk re-reads the stream the dropping way (each re-read may find one more
    /// cut further on); past that the stream is `malformed` already and the rest is not followed.
    static let maxFrameReadings = 3

    /// The findings of the dropping reading that the straight one did not make, in the offsets of
    /// `source`.
    static func droppingReading(
        _ source: any ByteSource, start: Int64, end: Int64, cut: (read: Int64, frameEnd: Int64), cuts: [Int64],
        depth: Int, policy: ScanPolicy, readings: Int, known: [Finding]
    ) -> (findings: [Finding], reachedImport: Bool) {
        let removed = cut.frameEnd - cut.read
        let spliced = SplicedSource(base: source, cut: cut.read, resume: cut.frameEnd)
        let other = walk(
            spliced, start: start, end: end - removed, depth: depth, policy: policy, readings: readings + 1,
            frameCuts: cuts + [cut.read])
        var added: [Finding] = []
        for var finding in other.findings {
            if let offset = finding.offset, offset >= cut.read { finding.offset = offset + removed }
            guard !known.contains(finding), !added.contains(finding) else { continue }
            finding.detail += " [in the reading that drops offsets \(cut.read)..<\(cut.frameEnd) at the frame's end, as CPython's C unpickler does reading a file]"
            added.append(finding)
        }
        return (added, other.reachedImport)
    }
}

/// `base` with the bytes `[cut, resume)` removed: the stream as a reader that skips them sees it.
struct SplicedSource: ByteSource {
    let base: any ByteSource
    let cut: Int64
    let resume: Int64

    var size: Int64 { base.size - (resume - cut) }

    func read(at offset: Int64, count: Int) throws(ScanReadError) -> [UInt8] {
        guard offset >= 0, offset <= size, count > 0 else { return [] }
        if offset >= cut { return try base.read(at: offset + (resume - cut), count: count) }
        var bytes = try base.read(at: offset, count: Int(min(Int64(count), cut - offset)))
        if bytes.count < count, offset + Int64(bytes.count) == cut {
            bytes += try base.read(at: resume, count: count - bytes.count)
        }
        return bytes
    }
}
