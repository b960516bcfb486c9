import PinModel

// joblib's inline arrays, followed the way `joblib.load` reads them.
//
// An uncompressed joblib file is one pickle stream, but not a plain one: when its unpickler
// executes BUILD on a `joblib.numpy_pickle.NumpyArrayWrapper`, it reads the array's bytes
// straight from the file at that point (joblib/numpy_pickle.py, `NumpyArrayWrapper.read_array`),
// then resumes unpickling after them:
//   - a numeric array: when the wrapper's state has a non-None `numpy_array_alignment_bytes`,
//     one byte N then N padding bytes; then `prod(shape) × dtype.itemsize` raw bytes;
//   - an object array (`dtype.hasobject`): a complete, separate pickle (`pickle.load`).
// To walk the opcodes that follow, the analyzer must skip exactly as many bytes as joblib does:
// skipping fewer reads array bytes as opcodes (a false `malformed`), skipping more would hide
// opcodes joblib executes. So the wrapper's state is evaluated, not guessed: its `shape` must be a
// tuple of known integers and its `dtype` a `numpy.dtype(str, False, True)` whose descriptor
// modelpin can size; anything else stops the walk with a `suspicious` finding ("cannot be
// inspected"), never a silent skip.
//
// Value tracking costs allocations, so it is switched on only in a pickle that names
// `numpy.dtype` or the wrapper class; other pickles pay one integer comparison per REDUCE/BUILD.

/// A numpy dtype as far as joblib's read needs it.
struct JoblibDType {
    /// Bytes per element; nil when modelpin cannot size it (structured, sub-array, unknown kind).
    var itemsize: Int64?
    /// Object arrays are stored as a nested pickle rather than raw bytes.
    var hasObject: Bool
    /// The descriptor string, for messages.
    var descriptor: String

    /// `numpy.dtype`'s reduce argument: a kind letter and a size (`f8`, `i4`, `U3`, `M8[ns]`, `O8`).
    init(descriptor: String) {
        self.descriptor = descriptor
        hasObject = false
        itemsize = nil
        var body = Substring(descriptor)
        while let first = body.first, "<>|=".contains(first) { body = body.dropFirst() }
        if let bracket = body.firstIndex(of: "["), body.last == "]" { body = body[..<bracket] }
        guard let kind = body.first else { return }
        let digits = body.dropFirst()
        let size = digits.isEmpty ? nil : Int64(digits)
        switch kind {
        case "O":
            hasObject = true
            itemsize = 8
        case "?":
            itemsize = digits.isEmpty ? 1 : nil
        case "b", "i", "u", "f", "c":
            if let size, [1, 2, 4, 8, 16, 32].contains(size) { itemsize = size }
        case "M", "m":
            if size == 8 { itemsize = 8 }
        case "S", "a":
            if let size, size > 0 { itemsize = size }
        case "U":
            if let size, size > 0, size <= Int64.max / 4 { itemsize = size * 4 }
        default:
            break  // V (structured, may hold objects), T (numpy 2 strings), user types: not sized.
        }
    }
}

/// The values the joblib read depends on, tracked only in pickles that need them.
struct JoblibTracker {
    static var maxTupleElements: Int { 1 << 20 }
    static var maxDicts: Int { 100_000 }
    static var maxDTypes: Int { 10_000 }
    static var maxTupleLength: Int { 32 }

    /// Callable indices of `numpy.dtype` and of the wrapper class in the current pickle.
    var dtypeCallable: Int32?
    var wrapperCallable: Int32?
    var tracking: Bool { dtypeCallable != nil || wrapperCallable != nil }

    var tuples: [[PickleValue]] = []
    var tupleElements = 0
    /// The entries of tracked dicts that a wrapper's state needs, by dict id.
    var dicts: [Int32: [String: PickleValue]] = [:]
    var nextDict: Int32 = 0
    var dtypes: [JoblibDType] = []

    static let stateKeys: Set<String> = ["shape", "dtype", "numpy_array_alignment_bytes"]

    mutating func reset() {
        dtypeCallable = nil
        wrapperCallable = nil
        tuples.removeAll()
        tupleElements = 0
        dicts.removeAll()
        nextDict = 0
        dtypes.removeAll()
    }

    /// A tuple of `items`, or nil when over budget (the caller pushes an untracked value).
    mutating func tuple(_ items: ArraySlice<PickleValue>) -> PickleValue? {
        if items.isEmpty { return .tuple(-1) }
        guard items.count <= Self.maxTupleLength, tupleElements + items.count <= Self.maxTupleElements else { return nil }
        tupleElements += items.count
        tuples.append(Array(items))
        return .tuple(Int32(tuples.count - 1))
    }

    func items(of value: PickleValue) -> [PickleValue]? {
        guard case .tuple(let index) = value else { return nil }
        if index < 0 { return [] }
        return tuples[Int(index)]
    }

    mutating func newDict() -> PickleValue {
        guard dicts.count < Self.maxDicts, nextDict < Int32.max else { return .notString }
        nextDict += 1
        return .dict(nextDict)
    }
}

extension PickleMachine {
    /// Notes the callables whose results the joblib read depends on.
    mutating func noteJoblibCallable(_ key: CallableKey, index: Int32) {
        if key.module == "numpy", key.name == "dtype" {
            joblib.dtypeCallable = index
        } else if key.module == "joblib.numpy_pickle", key.name == "NumpyArrayWrapper" {
            joblib.wrapperCallable = index
        }
    }

    /// Records `key: value` pairs (alternating on the stack from `start`) set on a tracked dict.
    mutating func recordDictItems(_ dict: PickleValue, from start: Int) {
        guard case .dict(let id) = dict else { return }
        var index = start
        while index + 1 < stack.count {
            if let (key, long) = stringValue(stack[index]), !long, JoblibTracker.stateKeys.contains(key) {
                joblib.dicts[id, default: [:]][key] = stack[index + 1]
            }
            index += 2
        }
    }

    /// `numpy.dtype(descriptor, False, True)`: the dtype value, or nil when not that call.
    mutating func dtypeResult(function: PickleValue, arguments: PickleValue) -> PickleValue? {
        guard case .global(let index) = function, index == joblib.dtypeCallable,
            joblib.dtypes.count < JoblibTracker.maxDTypes,
            let items = joblib.items(of: arguments), let first = items.first,
            let (descriptor, long) = stringValue(first), !long
        else { return nil }
        joblib.dtypes.append(JoblibDType(descriptor: descriptor))
        return .dtype(Int32(joblib.dtypes.count - 1))
    }

    /// BUILD on a dtype: numpy's `__setstate__` tuple. Only plain descriptors keep their size:
    /// a sub-array, field names or fields, or an element size that disagrees make it unsized.
    mutating func applyDTypeState(_ dtype: Int32, state: PickleValue) {
        var sized = false
        if let items = joblib.items(of: state), items.count >= 8, let itemsize = joblib.dtypes[Int(dtype)].itemsize {
            let plain = items[2...4].allSatisfy { if case .none = $0 { true } else { false } }
            let elsize: Bool
            switch items[5] {
            case .int(let value): elsize = value == -1 || value == itemsize
            default: elsize = false
            }
            sized = plain && elsize
        }
        if !sized { joblib.dtypes[Int(dtype)].itemsize = nil }
    }

    /// BUILD on a joblib wrapper: skips the array bytes joblib reads next, or scans the nested
    /// pickle of an object array. Returns an outcome when the walk cannot go on.
    mutating func readJoblibArray(state: PickleValue, at offset: Int64) -> PickleOutcome? {
        if sniffing { return .truncated }
        // joblib reads the array from the file itself, which is already past the current frame,
        // while the opcodes resume inside the frame: joblib never writes an array there.
        if let end = frameEnd, input.offset < end {
            return fail("a joblib array starts inside a FRAME (ending at \(end)): joblib would read its bytes from the frame end", at: offset)
        }
        guard case .dict(let id) = state, let entries = joblib.dicts[id] else {
            return cannotInspect("its state is not a dict of known values", at: offset)
        }
        joblib.dicts[id] = nil
        guard let shapeValue = entries["shape"], let shapeItems = joblib.items(of: shapeValue) else {
            return cannotInspect("its shape is not a tuple of known integers", at: offset)
        }
        var count: Int64 = 1
        for item in shapeItems {
            guard case .int(let dimension) = item, dimension >= 0 else {
                return cannotInspect("its shape is not a tuple of non-negative integers", at: offset)
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return fail("joblib array shape \(shapeItems.count)-D overflows 64 bits", at: offset) }
            count = product
        }
        guard let dtypeValue = entries["dtype"], case .dtype(let dtypeIndex) = dtypeValue else {
            return cannotInspect("its dtype is not a numpy.dtype modelpin can evaluate", at: offset)
        }
        let dtype = joblib.dtypes[Int(dtypeIndex)]
        if dtype.hasObject { return readObjectArray(at: offset) }
        guard let itemsize = dtype.itemsize else {
            return cannotInspect("modelpin cannot size elements of dtype `\(dtype.descriptor)`", at: offset)
        }
        var padded = false
        if let alignment = entries["numpy_array_alignment_bytes"] {
            if case .none = alignment {} else { padded = true }
        }
        if padded {
            guard input.available >= 1 || input.fill(1) else { return truncated(at: input.offset) }
            let padding = Int64(input.byte(0))
            input.pos += 1
            guard input.skip(padding) else {
                return fail("joblib array padding (\(padding) bytes) runs past the end", at: offset)
            }
        }
        let (length, overflow) = count.multipliedReportingOverflow(by: itemsize)
        guard !overflow, input.skip(length) else {
            return fail("joblib array data (\(count) × \(itemsize) bytes) runs past the end", at: offset)
        }
        stack[stack.count - 1] = .other
        return nil
    }

    /// An object array: joblib calls `pickle.load` on the file here; that pickle is scanned and
    /// the walk resumes after its STOP.
    mutating func readObjectArray(at offset: Int64) -> PickleOutcome? {
        guard depth + 1 <= PickleScanner.maxDepth else {
            return fail("pickles nested deeper than \(PickleScanner.maxDepth)", at: offset)
        }
        let start = input.offset
        var inner = PickleMachine(source: input.source, start: start, end: input.end, depth: depth + 1, policy: policy, sniffing: false)
        defer { inner.input.deallocate() }
        let outcome = inner.runOne()
        inner.flushCallables()
        for var finding in inner.findings {
            finding.detail += " [in the pickle of a joblib object array at offset \(start)]"
            findings.append(finding)
        }
        guard case .stopped = outcome else { return .failed }
        guard input.skip(inner.input.offset - start) else { return truncated(at: start) }
        stack[stack.count - 1] = .other
        return nil
    }

    mutating func cannotInspect(_ reason: String, at offset: Int64) -> PickleOutcome {
        findings.append(
            Finding(
                verdict: .suspicious, kind: "joblib-array",
                detail: "a joblib array at offset \(offset) is followed by raw data whose length modelpin cannot determine (\(reason)); the rest of the stream cannot be inspected",
                offset: offset))
        return .failed
    }
}
