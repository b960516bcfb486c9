public import PinModel

// The pickle analyzer: a symbolic emulation of the unpickler's stack and memo that never
// executes, imports or constructs anything. PickleOpcodes.swift holds the opcode table and the
// windowed reader; PickleCallables.swift the safe and unsafe lists.

/// Finds every callable a pickle would import and call when loaded, and everything about the
/// stream that cannot be understood.
public enum PickleScanner {
    /// Scans every pickle in `source`. Several pickles back to back are all scanned; bytes after
    /// the last STOP that do not start another pickle are a `trailing-data` finding (suspicious).
    /// `member`: the archive member name to put in findings (nil for a bare file).
    public static func scan(_ source: some ByteSource, member: String? = nil, policy: ScanPolicy) -> [Finding] {
        var findings = scanStream(source, start: 0, end: source.size, depth: 0, policy: policy)
        if let member {
            for index in findings.indices { findings[index].member = member }
        }
        return findings
    }

    /// Classification of one callable under the built-in lists and `policy` (exposed for tests
    /// and other scanners, e.g. numpy object arrays).
    public static func classify(module: String, name: String, policy: ScanPolicy) -> Verdict {
        PickleCallables.classify(module: module, name: name, policy: policy).0
    }

    /// True if `prefix` starts like a pickle: PROTO 2–5 (`\x80` + version) followed by an opcode,
    /// a plausible protocol-0/1 first opcode whose first operations parse, or opcodes that reach
    /// an import (see `mayReachImport`); used for content sniffing.
    public static func looksLikePickle(_ prefix: [UInt8]) -> Bool {
        guard prefix.count >= 2 else { return false }
        if prefix[0] == PickleOp.proto {
            guard (0...5).contains(prefix[1]) else { return false }
            return prefix.count == 2 || PickleOp.isOpcode[Int(prefix[2])]
        }
        guard PickleOp.isOpcode[Int(prefix[0])] else { return false }
        let sample = Array(prefix.prefix(256))
        let source = MemorySource(sample)
        var machine = PickleMachine(source: source, start: 0, end: source.size, depth: 0, policy: ScanPolicy(), sniffing: true)
        defer { machine.input.deallocate() }
        let outcome = machine.runOne()
        if machine.importReached { return true }
        guard PickleOp.plausibleFirst.contains(prefix[0]) else { return false }
        switch outcome {
        case .stopped, .truncated: return machine.opcodes >= 2 || sample.count < 2
        case .failed: return false
        }
    }

    /// False only when CPython's unpickler, reading a stream that starts with `prefix`, would fail
    /// before it imports anything: such bytes cannot run code through `pickle.load`, whatever
    /// follows, so they may be judged as text or unknown content. True when the opcodes in
    /// `prefix` reach an import, or could still reach one in the bytes after it. `complete`: the
    /// stream is exactly `prefix` (nothing follows it).
    ///
    /// The threshold is the import, not the first REDUCE: the unpickler's `find_class` runs
    /// `__import__(module)` on GLOBAL, INST and STACK_GLOBAL itself, and importing a module runs
    /// its code. Everything before that point only builds plain data (numbers, strings,
    /// containers), which never runs code; an EXT code is looked up in copyreg's registry, empty
    /// unless a program fills it, and an unregistered code fails before anything is imported.
    static func mayReachImport(_ prefix: [UInt8], complete: Bool) -> Bool {
        guard let first = prefix.first, PickleOp.isOpcode[Int(first)] else { return false }
        let source = MemorySource(prefix)
        var machine = PickleMachine(source: source, start: 0, end: source.size, depth: 0, policy: ScanPolicy(), sniffing: true)
        machine.pastEndTruncates = !complete
        defer { machine.input.deallocate() }
        let outcome = machine.runOne()
        if machine.importReached { return true }
        switch outcome {
        case .failed: return false
        // More bytes (or another pickle after STOP) may follow and import.
        case .truncated, .stopped: return !complete || machine.input.remaining > 0
        }
    }

    /// Whether `__import__(module)` could find a module: a dotted path of Python identifiers
    /// (bytes ≥ 0x80 are taken as identifier characters, as non-ASCII identifiers exist). A name
    /// with spaces, punctuation or an empty part (`ompute_environment: LOCAL`, the first line of a
    /// YAML file starting with `c`) names no module a package can install, so the unpickler's
    /// import of it fails without running code; a text file whose only "GLOBAL" is such a line
    /// is therefore not a pickle. Any name that could be a module counts.
    static func importable(_ module: String) -> Bool {
        var partStart = true
        for byte in module.utf8 {
            switch byte {
            case UInt8(ascii: "."):
                if partStart { return false }
                partStart = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if partStart { return false }
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"), 0x80...:
                partStart = false
            default:
                return false
            }
        }
        return !partStart
    }

    static let maxDepth = 8

    /// All pickles in `[start, end)` of `source`, one after the other.
    static func scanStream(
        _ source: any ByteSource, start: Int64, end: Int64, depth: Int, policy: ScanPolicy
    ) -> [Finding] {
        walk(source, start: start, end: end, depth: depth, policy: policy).findings
    }

    /// The findings of all pickles in `[start, end)`, and whether the walk reached an import
    /// (`mayReachImport`): from that point on the bytes are a pickle, whatever follows.
    /// `readings`, `frameCuts`: for the dropping reading of frames (PickleFrames.swift).
    static func walk(
        _ source: any ByteSource, start: Int64, end: Int64, depth: Int, policy: ScanPolicy,
        readings: Int = 0, frameCuts: [Int64] = []
    ) -> (findings: [Finding], reachedImport: Bool) {
        guard end > start else {
            return ([PickleMachine.malformed("the pickle is empty", at: start)], false)
        }
        var machine = PickleMachine(source: source, start: start, end: end, depth: depth, policy: policy, sniffing: false)
        machine.frameCuts = frameCuts
        defer { machine.input.deallocate() }
        while true {
            let outcome = machine.runOne()
            machine.flushCallables()
            guard case .stopped = outcome else { break }
            machine.noteStopInsideFrame()
            let remaining = machine.input.remaining
            if remaining == 0 { break }
            let next = machine.input.offset
            let prefix = machine.input.peek(at: next, length: 64)
            if looksLikePickle(prefix) || mayReachImport(prefix, complete: remaining <= Int64(prefix.count)) { continue }
            machine.findings.append(
                Finding(
                    verdict: .suspicious, kind: "trailing-data",
                    detail: "\(remaining) bytes after the end of the pickle at offset \(next) are not a pickle",
                    offset: next))
            break
        }
        // A top-level stream is read from a file, where the C unpickler may drop bytes at a frame's
        // end; byte strings nested in it are unpickled from memory, straight through.
        if depth == 0, readings < maxFrameReadings, let cut = machine.dropAt {
            let other = droppingReading(
                source, start: start, end: end, cut: cut, cuts: frameCuts, depth: depth, policy: policy,
                readings: readings, known: machine.findings)
            machine.findings += other.findings
            machine.importReached = machine.importReached || other.reachedImport
        }
        return (machine.findings, machine.importReached)
    }
}

/// A symbolic value on the unpickler's stack or in its memo.
enum PickleValue {
    /// A string constant: absolute offset of its UTF-8 bytes and length (257 = longer than 256).
    case string(Int64, Int32)
    /// A decoded protocol-0 string, index into `texts`.
    case text(Int32)
    /// A callable (class or function), index into `callables`.
    case global(Int32)
    /// The result of calling callable `index`.
    case call(Int32)
    /// A callable or result we cannot name (dynamic STACK_GLOBAL, extension registry).
    case dynamic
    /// A value that is certainly not a `str`: numbers, booleans, bytes, containers.
    case notString
    /// An integer constant (kept for joblib array shapes).
    case int(Int64)
    /// None.
    case none
    /// A tuple tracked for joblib (index into `joblib.tuples`; -1 = empty).
    case tuple(Int32)
    /// A dict tracked for joblib (its id in `joblib.dicts`).
    case dict(Int32)
    /// The result of `numpy.dtype(...)` (index into `joblib.dtypes`).
    case dtype(Int32)
    /// Any other value: persistent ids, values we do not model.
    case other
    /// A memo slot never set.
    case unset
}

extension PickleValue {
    /// Values the unpickler would certainly not accept where it needs a `str`.
    var isCertainlyNotString: Bool {
        switch self {
        case .notString, .int, .none, .tuple, .dict, .dtype: true
        default: false
        }
    }
}

enum PickleOutcome {
    case stopped
    case truncated
    case failed
}

struct PickleMachine {
    // Limits: bounded memory whatever the input.
    static var maxMarks: Int { 100_000 }
    static var maxStack: Int { 10_000_000 }
    static var maxMemo: Int { 10_000_000 }
    static var maxCallables: Int { 100_000 }
    static var maxTextBytes: Int { 64 << 20 }
    static var nameLimit: Int { 256 }

    var input: PickleInput
    let depth: Int
    let policy: ScanPolicy
    let sniffing: Bool
    var findings: [Finding] = []
    var opcodes = 0
    /// The walk reached an opcode on which the unpickler imports a module
    /// (`PickleScanner.mayReachImport`).
    var importReached = false
    /// Sniffing a prefix of a longer stream: a length that runs past the prefix is a truncation
    /// (the bytes may be there), not an error.
    var pastEndTruncates = false

    // Frames (protocol 4+, PickleFrames.swift).
    /// Where the current FRAME ends (absolute); nil outside frames.
    var frameEnd: Int64?
    /// Where the module line of the last GLOBAL/INST ended (its name line started).
    var secondLineStart: Int64 = 0
    /// The first read that runs across a frame end and that CPython's C unpickler, reading a
    /// file, takes from the frame end instead: the bytes `[read, frameEnd)` are dropped there.
    var dropAt: (read: Int64, frameEnd: Int64)?
    /// Frame boundaries already reported (one finding per walk is enough to refuse).
    var frameFindings = 0
    /// In a walk of the dropping reading (`PickleScanner.walk`): offsets where bytes were cut out;
    /// a frame that starts before one of them ends there.
    var frameCuts: [Int64] = []

    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memoDense: [PickleValue] = []
    var memoSparse: [UInt64: PickleValue] = [:]
    var memoCount = 0
    var texts: [(String, Bool)] = []
    var textBytes = 0
    var joblib = JoblibTracker()

    struct CallableKey: Hashable {
        var module: String
        var name: String
    }
    struct CallableRecord {
        var key: CallableKey
        var long: Bool
        var offset: Int64
        var uses: UInt16
    }
    var callables: [CallableRecord] = []
    var callableIndex: [CallableKey: Int32] = [:]
    var dynamicGlobals: (count: Int, offset: Int64)?
    var extensions: (count: Int, offset: Int64)?
    var stateOnGlobal: (count: Int, offset: Int64)?

    static var useNames: [String] { ["REDUCE", "NEWOBJ", "NEWOBJ_EX", "OBJ", "INST", "BUILD", "APPEND", "SETITEM", "ADDITEMS"] }
    static var useReduce: UInt16 { 1 }
    static var useNewObj: UInt16 { 2 }
    static var useNewObjEx: UInt16 { 4 }
    static var useObj: UInt16 { 8 }
    static var useInst: UInt16 { 16 }
    static var useBuild: UInt16 { 32 }
    static var useAppend: UInt16 { 64 }
    static var useSetItem: UInt16 { 128 }
    static var useAddItems: UInt16 { 256 }

    init(source: any ByteSource, start: Int64, end: Int64, depth: Int, policy: ScanPolicy, sniffing: Bool) {
        let span = end - start
        input = PickleInput(source: source, start: start, end: end, capacity: Int(min(span + 16, 1 << 20)))
        self.depth = depth
        self.policy = policy
        self.sniffing = sniffing
    }

    static func malformed(_ reason: String, at offset: Int64) -> Finding {
        Finding(verdict: .malformed, kind: "malformed", detail: "\(reason) (at offset \(offset))", offset: offset)
    }

    mutating func fail(_ reason: String, at offset: Int64) -> PickleOutcome {
        noteFrameOnFailure(at: offset)
        findings.append(Self.malformed(reason, at: offset))
        return .failed
    }

    /// A length that runs past the end of the range: malformed, or a truncation while sniffing a
    /// prefix (`pastEndTruncates`).
    mutating func pastEnd(_ reason: String, at offset: Int64) -> PickleOutcome {
        pastEndTruncates ? .truncated : fail(reason, at: offset)
    }

    mutating func truncated(at offset: Int64) -> PickleOutcome {
        noteFrameOnFailure(at: offset)
        if let error = input.readError {
            findings.append(Self.malformed("cannot read the pickle: \(error.description)", at: offset))
            return .failed
        }
        findings.append(Self.malformed("the pickle is truncated: the stream ends before STOP", at: offset))
        return .truncated
    }

    // MARK: Stack

    /// Index of the lowest stack slot above the last MARK.
    @inline(__always) var fence: Int { marks.last ?? 0 }

    /// Pops to the last MARK and removes the mark; returns the first index that was above it.
    @inline(__always) mutating func popMark() -> Int? {
        guard let mark = marks.popLast() else { return nil }
        return mark
    }

    // MARK: Callables

    mutating func callable(module: String, moduleLong: Bool, name: String, nameLong: Bool, at offset: Int64) -> PickleValue? {
        if !importReached, PickleScanner.importable(PickleCallables.moduleAliases[module] ?? module) { importReached = true }
        let key = CallableKey(module: module, name: name)
        if let index = callableIndex[key] { return .global(index) }
        guard callables.count < Self.maxCallables else { return nil }
        let index = Int32(callables.count)
        callables.append(CallableRecord(key: key, long: moduleLong || nameLong, offset: offset, uses: 0))
        callableIndex[key] = index
        noteJoblibCallable(key, index: index)
        return .global(index)
    }

    @inline(__always) mutating func use(_ value: PickleValue, _ bit: UInt16) {
        switch value {
        case .global(let index), .call(let index): callables[Int(index)].uses |= bit
        default: break
        }
    }

    /// What calling `value` produces.
    @inline(__always) func result(of value: PickleValue) -> PickleValue {
        switch value {
        case .global(let index), .call(let index): .call(index)
        case .dynamic: .dynamic
        default: .other
        }
    }

    /// The findings for the callables of the pickle just scanned; resets them, and the memo whose
    /// values refer to them, for the next one (each `pickle.load` starts with an empty memo).
    mutating func flushCallables() {
        defer {
            callables.removeAll(keepingCapacity: true)
            callableIndex.removeAll(keepingCapacity: true)
            dynamicGlobals = nil
            extensions = nil
            stateOnGlobal = nil
            memoDense.removeAll(keepingCapacity: true)
            memoSparse.removeAll()
            memoCount = 0
            texts.removeAll()
            textBytes = 0
            joblib.reset()
        }
        if sniffing { return }
        for record in callables {
            let module = record.key.module
            let name = record.key.name
            var (verdict, reason) = PickleCallables.classify(module: module, name: name, policy: policy)
            let path = module + "." + name
            if record.long, verdict == .safe, !policy.allowedGlobals.contains(path) { verdict = .suspicious }
            if record.long, verdict < .suspicious { verdict = .suspicious }
            var uses: [String] = []
            for (bit, useName) in Self.useNames.enumerated() where record.uses & (1 << UInt16(bit)) != 0 {
                uses.append(useName)
            }
            let how = uses.isEmpty ? "imported" : uses.joined(separator: ", ")
            if verdict == .safe {
                // Safe because the user said so: kept as a finding, so the decision is on record.
                if !policy.allowedGlobals.isEmpty,
                    PickleCallables.classify(module: module, name: name, policy: ScanPolicy()).0 != .safe
                {
                    findings.append(
                        Finding(
                            verdict: .safe, kind: Finding.acceptedKind, detail: "`\(path)` accepted by --allow-global (\(how))",
                            callable: path, uses: uses, offset: record.offset))
                }
                continue
            }
            let detail: String
            if verdict == .unsafe {
                detail = "`\(path)` is dangerous when the file is loaded: \(reason ?? "unsafe") (\(how))"
            } else if record.long {
                detail = "`\(path)…` has a module or name longer than \(Self.nameLimit) bytes (\(how))"
            } else {
                detail = "`\(path)` is not a known-safe callable; loading the file would import and run it (\(how)); accept it with --allow-global \(path) if you trust it"
            }
            findings.append(
                Finding(verdict: verdict, kind: "global", detail: detail, callable: path, uses: uses, offset: record.offset))
        }
        func tally(_ seen: (count: Int, offset: Int64)?, _ verdict: Verdict, _ kind: String, _ detail: (String) -> String) {
            guard let (count, offset) = seen else { return }
            findings.append(Finding(verdict: verdict, kind: kind, detail: detail("\(count) time\(count == 1 ? "" : "s")"), offset: offset))
        }
        tally(dynamicGlobals, .unsafe, "dynamic-global") {
            "STACK_GLOBAL with a module/name computed at load time (\($0)): the callable cannot be known before it runs"
        }
        tally(extensions, .unsafe, "extension-code") {
            "EXT opcode (\($0)): a callable from copyreg's extension registry, which can name anything"
        }
        tally(stateOnGlobal, .suspicious, "state-on-global") {
            "BUILD sets attributes on a class or function object itself (\($0)), which rewires it for later lookups"
        }
    }

    // MARK: Strings

    /// The text of a string constant, capped at `nameLimit` bytes, and whether it was longer.
    mutating func stringValue(_ value: PickleValue) -> (String, Bool)? {
        switch value {
        case .string(let offset, let length):
            let bytes = input.peek(at: offset, length: min(Int(length), Self.nameLimit))
            return (String(decoding: bytes, as: UTF8.self), Int(length) > Self.nameLimit)
        case .text(let index):
            return texts[Int(index)]
        default:
            return nil
        }
    }

    mutating func storeText(_ bytes: [UInt8], long: Bool) -> PickleValue {
        guard textBytes < Self.maxTextBytes else { return .other }
        textBytes += bytes.count + 16
        texts.append((String(decoding: bytes, as: UTF8.self), long))
        return .text(Int32(texts.count - 1))
    }

    // MARK: Memo

    mutating func memoSet(_ index: UInt64, _ value: PickleValue) -> Bool {
        if index < UInt64(memoDense.count) {
            if case .unset = memoDense[Int(index)] { memoCount += 1 }
            memoDense[Int(index)] = value
        } else if index <= UInt64(memoCount) * 2 + 1024 {
            // Dense while the slots are mostly used: its size stays ≤ 2 × entries + 1024.
            let grow = Int(index) - memoDense.count
            if grow > 0 { memoDense.append(contentsOf: repeatElement(PickleValue.unset, count: grow)) }
            memoDense.append(value)
            memoCount += 1
        } else {
            if memoSparse.updateValue(value, forKey: index) == nil { memoCount += 1 }
        }
        return memoCount <= Self.maxMemo
    }

    func memoGet(_ index: UInt64) -> PickleValue? {
        if index < UInt64(memoDense.count) {
            let value = memoDense[Int(index)]
            if case .unset = value { return nil }
            return value
        }
        return memoSparse[index]
    }

    /// A GLOBAL or INST whose line the stream ends in. CPython's C unpickler fails there, but
    /// pickle.py (`pickle._Unpickler`, which joblib uses) takes what `readline()` returns at the
    /// end of the file, drops its last byte as the newline and still imports: `cevil_mod_` is an
    /// import of `evil_mod`. That callable is recorded, then the truncation.
    mutating func truncatedGlobal(module: (bytes: [UInt8], length: Int64)?, lineStart: Int64, at: Int64) -> PickleOutcome {
        let rest = input.end - lineStart
        guard !pastEndTruncates, input.readError == nil, rest > 0 || module != nil else { return truncated(at: at) }
        let tail = input.peek(at: lineStart, length: Int(min(rest, Int64(Self.nameLimit + 1))))
        let partial = (bytes: Array(tail.prefix(Int(max(0, rest - 1))).prefix(Self.nameLimit)), length: max(0, rest - 1))
        let (moduleLine, nameLine) = module.map { ($0, partial) } ?? (partial, (bytes: [], length: 0))
        if let moduleName = String(validating: moduleLine.bytes, as: UTF8.self),
            let name = String(validating: nameLine.bytes, as: UTF8.self)
        {
            _ = callable(
                module: moduleName, moduleLong: moduleLine.length > Int64(Self.nameLimit), name: name,
                nameLong: nameLine.length > Int64(Self.nameLimit), at: at)
        }
        return truncated(at: at)
    }

    // MARK: Text operands

    static func parseInt(_ bytes: [UInt8], allowLongSuffix: Bool) -> Int64?? {
        var body = bytes[...]
        while let first = body.first, first == 0x20 || first == 0x09 || first == 0x0D { body = body.dropFirst() }
        while let last = body.last, last == 0x20 || last == 0x09 || last == 0x0D { body = body.dropLast() }
        if allowLongSuffix, body.last == UInt8(ascii: "L") { body = body.dropLast() }
        var negative = false
        if let sign = body.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            body = body.dropFirst()
        }
        guard let first = body.first, first != UInt8(ascii: "_"), body.last != UInt8(ascii: "_") else { return nil }
        var value: Int64? = 0
        var previousUnderscore = false
        for byte in body {
            if byte == UInt8(ascii: "_") {
                if previousUnderscore { return nil }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            if let current = value {
                let (times, o1) = current.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int64(byte - 0x30))
                value = o1 || o2 ? nil : plus
            }
        }
        return .some(value.map { negative ? -$0 : $0 })
    }

    static func validFloat(_ bytes: [UInt8]) -> Bool {
        let allowed = Set(Array("0123456789.eE+-_ \t\rinfatyINFATY".utf8))
        return !bytes.isEmpty && bytes.allSatisfy { allowed.contains($0) }
    }

    /// Python's `codecs.escape_decode` of a protocol-0 STRING body (already unquoted).
    static func unescape(_ body: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var index = body.startIndex
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x61...0x66: byte - 0x61 + 10
            case 0x41...0x46: byte - 0x41 + 10
            default: nil
            }
        }
        while index < body.endIndex {
            let byte = body[index]
            index += 1
            guard byte == 0x5C, index < body.endIndex else {
                out.append(byte)
                continue
            }
            let escape = body[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case 0x0A: break
            case UInt8(ascii: "x"):
                if index + 1 < body.endIndex, let high = hex(body[index]), let low = hex(body[index + 1]) {
                    out.append(high << 4 | low)
                    index += 2
                } else {
                    out.append(contentsOf: [0x5C, escape])
                }
            case 0x30...0x37:
                var value = Int(escape - 0x30)
                var digits = 1
                while digits < 3, index < body.endIndex, (0x30...0x37).contains(body[index]) {
                    value = value * 8 + Int(body[index] - 0x30)
                    index += 1
                    digits += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case 0x5C, 0x27, 0x22: out.append(escape)
            default: out.append(contentsOf: [0x5C, escape])
            }
        }
        return out
    }

    /// Python's `raw-unicode-escape` decoding of a protocol-0 UNICODE operand, as UTF-8.
    static func rawUnicodeDecode(_ bytes: [UInt8]) -> [UInt8] {
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x5C, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") || bytes[index + 1] == UInt8(ascii: "U") {
                let width = bytes[index + 1] == UInt8(ascii: "u") ? 4 : 8
                if index + 2 + width <= bytes.count,
                    let code = UInt32(String(decoding: bytes[(index + 2)..<(index + 2 + width)], as: UTF8.self), radix: 16),
                    let scalar = Unicode.Scalar(code)
                {
                    scalars.append(scalar)
                    index += 2 + width
                    continue
                }
            }
            scalars.append(Unicode.Scalar(byte))
            index += 1
        }
        return Array(String(scalars).utf8)
    }

    // MARK: Byte strings

    /// A byte string of `length` bytes at the read position: skipped, and scanned as a nested
    /// pickle when it looks like one.
    mutating func byteString(length: Int64, opcodeOffset: Int64) -> Bool {
        let contentOffset = input.offset
        guard length <= input.remaining else { return false }
        if !sniffing, length >= 8 {
            let prefix = input.peek(at: contentOffset, length: 64)
            if PickleScanner.looksLikePickle(prefix) {
                let last = input.peek(at: contentOffset + length - 1, length: 1)
                if prefix[0] == PickleOp.proto || last == [PickleOp.stop] {
                    nested(start: contentOffset, length: length, opcodeOffset: opcodeOffset)
                }
            }
        }
        return input.skip(length)
    }

    mutating func nested(start: Int64, length: Int64, opcodeOffset: Int64) {
        guard depth + 1 <= PickleScanner.maxDepth else {
            findings.append(Self.malformed("pickles nested deeper than \(PickleScanner.maxDepth)", at: opcodeOffset))
            return
        }
        let inner = PickleScanner.scanStream(input.source, start: start, end: start + length, depth: depth + 1, policy: policy)
        for var finding in inner {
            if depth == 0 {
                let where_ = finding.offset.map { ", inner offset \($0 - start)" } ?? ""
                finding.detail += " [in a pickle nested in the byte string at offset \(opcodeOffset)\(where_)]"
            }
            finding.offset = opcodeOffset
            findings.append(finding)
        }
    }

    // MARK: The opcode loop

    /// Scans one pickle, from the read position to its STOP: reads each opcode and hands it to
    /// its family (PickleOpFamilies.swift).
    mutating func runOne() -> PickleOutcome {
        stack.removeAll(keepingCapacity: true)
        marks.removeAll(keepingCapacity: true)
        frameEnd = nil
        while true {
            if input.available < 9 { _ = input.fill(9) }
            let at = input.offset
            guard input.available >= 1 else { return truncated(at: at) }
            let op = input.byte(0)
            input.pos += 1
            opcodes += 1
            let ended: PickleOutcome?
            switch op {
            case 0x88, 0x89, 0x5D, 0x8F, 0x97, 0x4E, 0x29, 0x7D:
                runConstantOp(op)
                ended = nil
            case 0x4B, 0x4D, 0x4A, 0x47, 0x8A, 0x8B: ended = runNumberOp(op, at: at)
            case 0x49, 0x4C, 0x46, 0x53, 0x56: ended = runTextConstantOp(op, at: at)
            case 0x8C, 0x58, 0x8D: ended = runTextOp(op, at: at)
            case 0x55, 0x54, 0x43, 0x42, 0x8E, 0x96: ended = runBytesOp(op, at: at)
            case 0x71, 0x72, 0x94, 0x68, 0x6A, 0x70, 0x67: ended = runMemoOp(op, at: at)
            case 0x28, 0x30, 0x31, 0x32: ended = runStackOp(op, at: at)
            case 0x74, 0x6C, 0x64, 0x91, 0x85, 0x86, 0x87: ended = runContainerOp(op, at: at)
            case 0x61, 0x65, 0x75, 0x90, 0x73: ended = runAddItemsOp(op, at: at)
            case 0x63, 0x69, 0x93, 0x82, 0x83, 0x84: ended = runGlobalOp(op, at: at)
            case 0x52, 0x81, 0x92, 0x6F, 0x62: ended = runCallOp(op, at: at)
            case 0x50, 0x51, 0x98: ended = runPersistentOp(op, at: at)
            case 0x80, 0x95, 0x2E: ended = runFrameOp(op, at: at)
            default: return unknownOpcode(op, at: at)
            }
            if let ended { return ended }
            if let end = frameEnd, at < end, input.offset > end { noteStraddle(op, at: at, frameEnd: end) }
            if stack.count > Self.maxStack { return fail("stack deeper than \(Self.maxStack)", at: at) }
        }
    }
}
