// The opcode loop's work, one function per opcode family (PickleOp lists the opcodes). Each
// function handles the opcodes `PickleMachine.runOne` dispatches to it and returns nil to go on
// with the next opcode, or the outcome that ends the pickle. Opcodes are matched as hex literals,
// not as `PickleOp.x`, so every switch compiles to a jump table: this is the scanner's hot loop.
//
// The family functions are `@inline(__always)`: runOne runs once per opcode (tens of millions in
// a large pickle), and a call per opcode that cannot be inlined costs measurable time there.

extension PickleMachine {
    /// Whether `count` bytes after the opcode are in the window (`runOne` fills it to 9 first,
    /// which covers every fixed-size operand).
    @inline(__always) func need(_ count: Int) -> Bool { input.available >= count }

    /// The failure for a byte that is no opcode (and for one dispatched to the wrong family,
    /// which cannot happen, but must not crash the scanner if it did).
    mutating func unknownOpcode(_ op: UInt8, at: Int64) -> PickleOutcome {
        fail("unknown opcode 0x\(String(op, radix: 16))", at: at)
    }

    // MARK: Constants

    /// Operand-free constants: NEWTRUE, NEWFALSE, EMPTY_LIST, EMPTY_SET, NEXT_BUFFER, NONE,
    /// EMPTY_TUPLE, EMPTY_DICT. They cannot fail.
    @inline(__always) mutating func runConstantOp(_ op: UInt8) {
        switch op {
        case 0x4E: stack.append(.none)  // none
        case 0x29: stack.append(.tuple(-1))  // emptyTuple
        case 0x7D: stack.append(joblib.tracking ? joblib.newDict() : .notString)  // emptyDict
        default: stack.append(.notString)  // newTrue, newFalse, emptyList, emptySet, nextBuffer
        }
    }

    /// Binary numbers: BININT1, BININT2, BININT, BINFLOAT, LONG1, LONG4.
    @inline(__always) mutating func runNumberOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x4B:  // binInt1
            guard need(1) else { return truncated(at: at) }
            stack.append(.int(Int64(input.byte(0))))
            input.pos += 1
        case 0x4D:  // binInt2
            guard need(2) else { return truncated(at: at) }
            stack.append(.int(Int64(input.uint(2))))
            input.pos += 2
        case 0x4A:  // binInt
            guard need(4) else { return truncated(at: at) }
            stack.append(.int(Int64(Int32(bitPattern: UInt32(input.uint(4))))))
            input.pos += 4
        case 0x47:  // binFloat
            guard need(8) else { return truncated(at: at) }
            input.pos += 8
            stack.append(.notString)
        case 0x8A: return runLong1(at: at)
        case 0x8B:  // long4
            guard need(4) else { return truncated(at: at) }
            let length = Int64(Int32(bitPattern: UInt32(input.uint(4))))
            input.pos += 4
            guard length >= 0 else { return fail("LONG4 has a negative length", at: at) }
            guard input.skip(length) else { return pastEnd("LONG4 length \(length) runs past the end", at: at) }
            stack.append(.notString)
        default: return unknownOpcode(op, at: at)
        }
        return nil
    }

    /// LONG1: a little-endian two's complement integer of up to 255 bytes; its value is kept
    /// when it fits in 64 bits, as a joblib shape may need it.
    mutating func runLong1(at: Int64) -> PickleOutcome? {
        guard need(1) else { return truncated(at: at) }
        let length = Int64(input.byte(0))
        input.pos += 1
        var value = PickleValue.notString
        if length > 0, length <= 8, need(Int(length)) {
            let shift = UInt64(64 - 8 * length)
            value = .int(Int64(bitPattern: input.uint(Int(length)) << shift) >> Int64(shift))
        }
        guard input.skip(length) else { return pastEnd("LONG1 length \(length) runs past the end", at: at) }
        stack.append(value)
        return nil
    }

    /// Protocol 0 text constants, one line each: INT, LONG, FLOAT, STRING, UNICODE.
    mutating func runTextConstantOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x49, 0x4C:  // int, long
            guard let (line, _) = input.readLine(keep: 64) else { return truncated(at: at) }
            if op == PickleOp.int, line == Array("00".utf8) || line == Array("01".utf8) {
                stack.append(.notString)
                return nil
            }
            guard let parsed = Self.parseInt(line, allowLongSuffix: op == PickleOp.long) else {
                return fail("invalid integer literal in \(op == PickleOp.int ? "INT" : "LONG")", at: at)
            }
            stack.append(parsed.map { .int($0) } ?? .notString)
        case 0x46:  // float
            guard let (line, _) = input.readLine(keep: 64) else { return truncated(at: at) }
            guard Self.validFloat(line) else { return fail("invalid FLOAT literal", at: at) }
            stack.append(.notString)
        case 0x53:  // string
            guard let (line, length) = input.readLine(keep: Self.nameLimit + 2) else { return truncated(at: at) }
            guard length >= 2, let quote = line.first, quote == 0x27 || quote == 0x22 else {
                return fail("the STRING opcode argument must be quoted", at: at)
            }
            if length <= Int64(Self.nameLimit + 2) {
                guard line.last == quote else { return fail("the STRING opcode argument must be quoted", at: at) }
                stack.append(storeText(Self.unescape(line.dropFirst().dropLast()), long: false))
            } else {
                stack.append(storeText(Self.unescape(line.dropFirst()), long: true))
            }
        case 0x56:  // unicode
            guard let (line, length) = input.readLine(keep: Self.nameLimit) else { return truncated(at: at) }
            stack.append(storeText(Self.rawUnicodeDecode(line), long: length > Int64(Self.nameLimit)))
        default: return unknownOpcode(op, at: at)
        }
        return nil
    }

    // MARK: Strings and bytes

    /// Length-prefixed text: SHORT_BINUNICODE, BINUNICODE, BINUNICODE8. Kept as (offset,
    /// length), for naming a STACK_GLOBAL.
    @inline(__always) mutating func runTextOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        let width = op == PickleOp.shortBinUnicode ? 1 : op == PickleOp.binUnicode ? 4 : 8
        guard need(width) else { return truncated(at: at) }
        let raw = input.uint(width)
        input.pos += width
        guard raw <= UInt64(Int64.max), Int64(raw) <= input.remaining else {
            return pastEnd("string length \(raw) runs past the end", at: at)
        }
        let length = Int64(raw)
        stack.append(.string(input.offset, Int32(min(length, Int64(Self.nameLimit + 1)))))
        _ = input.skip(length)
        return nil
    }

    /// Length-prefixed byte strings: SHORT_BINSTRING, BINSTRING (protocol 0–2 `str`, also kept
    /// for naming), SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8. Any of them may hold a
    /// nested pickle, which is scanned (`byteString`); that recursion into `runOne` is why this
    /// family is not inlined into it.
    mutating func runBytesOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x55, 0x54:  // shortBinString, binString
            let width = op == PickleOp.shortBinString ? 1 : 4
            guard need(width) else { return truncated(at: at) }
            var length = Int64(input.uint(width))
            if width == 4 { length = Int64(Int32(bitPattern: UInt32(length))) }
            input.pos += width
            guard length >= 0 else { return fail("BINSTRING has a negative length", at: at) }
            let contentOffset = input.offset
            guard byteString(length: length, opcodeOffset: at) else {
                return pastEnd("string length \(length) runs past the end", at: at)
            }
            stack.append(.string(contentOffset, Int32(min(length, Int64(Self.nameLimit + 1)))))
        case 0x43, 0x42, 0x8E, 0x96:  // shortBinBytes, binBytes, binBytes8, byteArray8
            let width = op == PickleOp.shortBinBytes ? 1 : op == PickleOp.binBytes ? 4 : 8
            guard need(width) else { return truncated(at: at) }
            let raw = input.uint(width)
            input.pos += width
            guard raw <= UInt64(Int64.max), byteString(length: Int64(raw), opcodeOffset: at) else {
                return pastEnd("byte string length \(raw) runs past the end", at: at)
            }
            stack.append(.notString)
        default: return unknownOpcode(op, at: at)
        }
        return nil
    }

    // MARK: Memo

    /// BINPUT, LONG_BINPUT, MEMOIZE, BINGET, LONG_BINGET, and the text forms PUT and GET.
    @inline(__always) mutating func runMemoOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x71, 0x72, 0x94:  // binPut, longBinPut, memoize
            var index: UInt64
            if op == PickleOp.memoize {
                index = UInt64(memoCount)
            } else {
                let width = op == PickleOp.binPut ? 1 : 4
                guard need(width) else { return truncated(at: at) }
                index = input.uint(width)
                input.pos += width
            }
            return memoStore(index, at: at)
        case 0x68, 0x6A:  // binGet, longBinGet
            let width = op == PickleOp.binGet ? 1 : 4
            guard need(width) else { return truncated(at: at) }
            let index = input.uint(width)
            input.pos += width
            return memoLoad(index, at: at)
        case 0x70, 0x67: return runMemoLineOp(op, at: at)  // put, get
        default: return unknownOpcode(op, at: at)
        }
    }

    /// PUT and GET (protocol 0): the index on a text line. Rare, and kept out of line so that
    /// the binary forms inline into the loop.
    mutating func runMemoLineOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        guard let (line, _) = input.readLine(keep: 32) else { return truncated(at: at) }
        guard case .some(.some(let parsed)) = Self.parseInt(line, allowLongSuffix: false), parsed >= 0 else {
            return fail("invalid memo index in \(op == PickleOp.put ? "PUT" : "GET")", at: at)
        }
        return op == PickleOp.put ? memoStore(UInt64(parsed), at: at) : memoLoad(UInt64(parsed), at: at)
    }

    /// Stores the top of the stack in memo slot `index`.
    @inline(__always) mutating func memoStore(_ index: UInt64, at: Int64) -> PickleOutcome? {
        guard stack.count > fence else { return fail("memo store with an empty stack", at: at) }
        guard memoSet(index, stack[stack.count - 1]) else { return fail("more than \(Self.maxMemo) memo entries", at: at) }
        return nil
    }

    /// Pushes memo slot `index`.
    @inline(__always) mutating func memoLoad(_ index: UInt64, at: Int64) -> PickleOutcome? {
        guard let value = memoGet(index) else { return fail("memo index \(index) was never set", at: at) }
        stack.append(value)
        return nil
    }

    // MARK: Stack and containers

    /// MARK, POP, POP_MARK, DUP.
    @inline(__always) mutating func runStackOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x28:  // mark
            guard marks.count < Self.maxMarks else { return fail("nesting deeper than \(Self.maxMarks)", at: at) }
            marks.append(stack.count)
        case 0x30:  // pop
            if let last = marks.last, last == stack.count {
                marks.removeLast()
            } else {
                guard stack.count > fence else { return fail("stack underflow in POP", at: at) }
                stack.removeLast()
            }
        case 0x31:  // popMark
            guard let mark = popMark() else { return fail("POP_MARK without MARK", at: at) }
            stack.removeSubrange(mark...)
        case 0x32:  // dup
            guard stack.count > fence else { return fail("stack underflow in DUP", at: at) }
            stack.append(stack[stack.count - 1])
        default: return unknownOpcode(op, at: at)
        }
        return nil
    }

    /// Containers built from the stack: TUPLE, LIST, DICT, FROZENSET (to the MARK), TUPLE1–3.
    /// Tuples and dicts are tracked while joblib's array wrapper is in the pickle.
    @inline(__always) mutating func runContainerOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x74, 0x6C, 0x64, 0x91:  // tuple, list, dict, frozenSet
            guard let mark = popMark() else { return fail("container opcode without MARK", at: at) }
            if op == PickleOp.dict, (stack.count - mark) % 2 != 0 {
                return fail("odd number of items for DICT", at: at)
            }
            var value = PickleValue.notString
            if joblib.tracking {
                if op == PickleOp.tuple {
                    value = joblib.tuple(stack[mark...]) ?? .notString
                } else if op == PickleOp.dict {
                    value = joblib.newDict()
                    recordDictItems(value, from: mark)
                }
            }
            stack.removeSubrange(mark...)
            stack.append(value)
        case 0x85, 0x86, 0x87:  // tuple1, tuple2, tuple3
            let count = Int(op - PickleOp.tuple1) + 1
            guard stack.count - fence >= count else { return fail("stack underflow in TUPLE\(count)", at: at) }
            let value = joblib.tracking ? joblib.tuple(stack[(stack.count - count)...]) ?? .notString : .notString
            stack.removeLast(count)
            stack.append(value)
        default: return unknownOpcode(op, at: at)
        }
        return nil
    }

    /// Items added to a container below them: APPEND, APPENDS, SETITEM, SETITEMS, ADDITEMS.
    /// Adding to the result of a call counts as a use of that callable (`__setitem__` runs).
    @inline(__always) mutating func runAddItemsOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x61:  // append
            guard stack.count - fence >= 2 else { return fail("stack underflow in APPEND", at: at) }
            stack.removeLast()
            use(stack[stack.count - 1], Self.useAppend)
        case 0x65, 0x75, 0x90:  // appends, setItems, addItems
            guard let mark = popMark() else { return fail("APPENDS/SETITEMS/ADDITEMS without MARK", at: at) }
            guard mark >= 1 else { return fail("stack underflow: no container below MARK", at: at) }
            if op == PickleOp.setItems, (stack.count - mark) % 2 != 0 {
                return fail("odd number of items for SETITEMS", at: at)
            }
            let target = stack[mark - 1]
            let grew = stack.count > mark
            if op == PickleOp.setItems, case .dict = target { recordDictItems(target, from: mark) }
            stack.removeSubrange(mark...)
            if grew {
                use(target, op == PickleOp.appends ? Self.useAppend : op == PickleOp.setItems ? Self.useSetItem : Self.useAddItems)
            }
        case 0x73:  // setItem
            guard stack.count - fence >= 3 else { return fail("stack underflow in SETITEM", at: at) }
            if case .dict = stack[stack.count - 3] { recordDictItems(stack[stack.count - 3], from: stack.count - 2) }
            stack.removeLast(2)
            use(stack[stack.count - 1], Self.useSetItem)
        default: return unknownOpcode(op, at: at)
        }
        return nil
    }

    // MARK: Callables

    /// Opcodes that name a callable, where the unpickler imports: GLOBAL, INST, STACK_GLOBAL,
    /// and EXT1/2/4 (copyreg's extension registry, which can name anything).
    mutating func runGlobalOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x63, 0x69: return runGlobalLines(op, at: at)  // global, inst
        case 0x93: return runStackGlobal(at: at)
        case 0x82, 0x83, 0x84:  // ext1, ext2, ext4
            let width = op == PickleOp.ext1 ? 1 : op == PickleOp.ext2 ? 2 : 4
            guard need(width) else { return truncated(at: at) }
            input.pos += width
            extensions = (count: (extensions?.count ?? 0) + 1, offset: extensions?.offset ?? at)
            stack.append(.dynamic)
            return nil
        default: return unknownOpcode(op, at: at)
        }
    }

    /// GLOBAL and INST: the module and the name on two text lines. INST also calls the class
    /// with the arguments above the MARK.
    mutating func runGlobalLines(_ op: UInt8, at: Int64) -> PickleOutcome? {
        let moduleStart = input.offset
        guard let (moduleBytes, moduleLength) = input.readLine(keep: Self.nameLimit) else {
            return truncatedGlobal(module: nil, lineStart: moduleStart, at: at)
        }
        let nameStart = input.offset
        secondLineStart = nameStart
        guard let (nameBytes, nameLength) = input.readLine(keep: Self.nameLimit) else {
            return truncatedGlobal(module: (moduleBytes, moduleLength), lineStart: nameStart, at: at)
        }
        guard let module = String(validating: moduleBytes, as: UTF8.self),
            let name = String(validating: nameBytes, as: UTF8.self)
        else { return fail("\(op == PickleOp.global ? "GLOBAL" : "INST") operand is not UTF-8", at: at) }
        guard
            let value = callable(
                module: module, moduleLong: moduleLength > Self.nameLimit, name: name,
                nameLong: nameLength > Self.nameLimit, at: at)
        else { return fail("more than \(Self.maxCallables) distinct callables", at: at) }
        if op == PickleOp.global {
            stack.append(value)
        } else {
            guard let mark = popMark() else { return fail("INST without MARK", at: at) }
            stack.removeSubrange(mark...)
            use(value, Self.useInst)
            stack.append(result(of: value))
        }
        return nil
    }

    /// STACK_GLOBAL: module and name from the stack; when they are not constants, the callable
    /// is computed at load time and cannot be known.
    mutating func runStackGlobal(at: Int64) -> PickleOutcome? {
        guard stack.count - fence >= 2 else { return fail("stack underflow in STACK_GLOBAL", at: at) }
        let nameValue = stack.removeLast()
        let moduleValue = stack.removeLast()
        if moduleValue.isCertainlyNotString { return fail("STACK_GLOBAL requires str operands; the module is not a string", at: at) }
        if nameValue.isCertainlyNotString { return fail("STACK_GLOBAL requires str operands; the name is not a string", at: at) }
        if let (module, moduleLong) = stringValue(moduleValue), let (name, nameLong) = stringValue(nameValue) {
            guard let value = callable(module: module, moduleLong: moduleLong, name: name, nameLong: nameLong, at: at)
            else { return fail("more than \(Self.maxCallables) distinct callables", at: at) }
            stack.append(value)
        } else {
            dynamicGlobals = (count: (dynamicGlobals?.count ?? 0) + 1, offset: dynamicGlobals?.offset ?? at)
            importReached = true
            stack.append(.dynamic)
        }
        return nil
    }

    /// Opcodes that call or build an object: REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, BUILD. Each is
    /// recorded as a use of the callable it applies to.
    @inline(__always) mutating func runCallOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x52:  // reduce
            guard stack.count - fence >= 2 else { return fail("stack underflow in REDUCE", at: at) }
            let arguments = stack.removeLast()
            let function = stack.removeLast()
            use(function, Self.useReduce)
            stack.append(dtypeResult(function: function, arguments: arguments) ?? result(of: function))
        case 0x81:  // newObj
            guard stack.count - fence >= 2 else { return fail("stack underflow in NEWOBJ", at: at) }
            stack.removeLast()
            let type = stack.removeLast()
            use(type, Self.useNewObj)
            stack.append(result(of: type))
        case 0x92:  // newObjEx
            guard stack.count - fence >= 3 else { return fail("stack underflow in NEWOBJ_EX", at: at) }
            stack.removeLast(2)
            let type = stack.removeLast()
            use(type, Self.useNewObjEx)
            stack.append(result(of: type))
        case 0x6F:  // obj
            guard let mark = popMark() else { return fail("OBJ without MARK", at: at) }
            guard stack.count > mark else { return fail("stack underflow in OBJ: no class after MARK", at: at) }
            let type = stack[mark]
            stack.removeSubrange(mark...)
            use(type, Self.useObj)
            stack.append(result(of: type))
        case 0x62: return runBuild(at: at)
        default: return unknownOpcode(op, at: at)
        }
        return nil
    }

    /// BUILD: `__setstate__` on the object below the state. On a class or function object it
    /// rewires that object; on numpy's dtype or joblib's array wrapper it carries what the
    /// arrays that follow need.
    mutating func runBuild(at: Int64) -> PickleOutcome? {
        guard stack.count - fence >= 2 else { return fail("stack underflow in BUILD", at: at) }
        let state = stack.removeLast()
        let target = stack[stack.count - 1]
        use(target, Self.useBuild)
        switch target {
        case .global:
            stateOnGlobal = (count: (stateOnGlobal?.count ?? 0) + 1, offset: stateOnGlobal?.offset ?? at)
        case .dtype(let index):
            applyDTypeState(index, state: state)
        case .call(let index) where index == joblib.wrapperCallable:
            return readJoblibArray(state: state, at: at)
        default:
            break
        }
        return nil
    }

    // MARK: Persistent ids, framing

    /// PERSID, BINPERSID (torch storages), READONLY_BUFFER.
    mutating func runPersistentOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x50:  // persId
            guard input.readLine(keep: 0) != nil else { return truncated(at: at) }
            stack.append(.other)
        case 0x51:  // binPersId
            guard stack.count > fence else { return fail("stack underflow in BINPERSID", at: at) }
            stack[stack.count - 1] = .other
        case 0x98:  // readonlyBuffer
            guard stack.count > fence else { return fail("stack underflow in READONLY_BUFFER", at: at) }
        default: return unknownOpcode(op, at: at)
        }
        return nil
    }

    /// PROTO, FRAME and STOP, which ends the pickle.
    mutating func runFrameOp(_ op: UInt8, at: Int64) -> PickleOutcome? {
        switch op {
        case 0x80:  // proto
            guard need(1) else { return truncated(at: at) }
            let version = input.byte(0)
            input.pos += 1
            guard version <= 5 else { return fail("unsupported pickle protocol \(version)", at: at) }
        case 0x95:  // frame
            guard need(8) else { return truncated(at: at) }
            let length = input.uint(8)
            input.pos += 8
            guard length <= UInt64(input.remaining) else {
                return pastEnd("FRAME length \(length) runs past the end", at: at)
            }
            enterFrame(at: at, length: Int64(length))
        case 0x2E:  // stop
            guard stack.count > fence else { return fail("stack underflow at STOP", at: at) }
            return .stopped
        default: return unknownOpcode(op, at: at)
        }
        return nil
    }
}
