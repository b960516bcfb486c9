import PinModel
import Foundation
import PinScan
import SystemPackage
import Testing

// MARK: Helpers

/// Bytes from a Swift string literal, each scalar ≤ 0xFF taken as one byte (so "\u{80}" is 0x80).
func pickleBytes(_ text: String) -> [UInt8] {
    text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
}

func littleEndian(_ value: UInt64, width: Int) -> [UInt8] {
    (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
}

/// Runs `python3 -c script` and returns what it writes to stdout (nil when python3 or a module
/// it needs is missing: such tests are skipped, not failed).
func python(_ script: String) -> [UInt8]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return [UInt8](data)
}

func scan(_ bytes: [UInt8], policy: ScanPolicy = ScanPolicy(), member: String? = nil) -> [Finding] {
    PickleScanner.scan(MemorySource(bytes), member: member, policy: policy)
}

func worst(_ findings: [Finding]) -> Verdict { findings.map(\.verdict).max() ?? .safe }

func callables(_ findings: [Finding]) -> Set<String> { Set(findings.compactMap(\.callable)) }

/// A fake `torch` / `torch._utils` registered in sys.modules so stdlib pickle writes the same
/// globals torch.save does, with storages as persistent ids.
let fakeTorchPrelude = """
    import pickle, sys, types, collections, io
    torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')
    sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils
    def _rebuild_tensor_v2(*a): pass
    _rebuild_tensor_v2.__module__ = 'torch._utils'; utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    def _rebuild_parameter(*a): pass
    _rebuild_parameter.__module__ = 'torch._utils'; utils._rebuild_parameter = _rebuild_parameter
    class FloatStorage: pass
    FloatStorage.__module__ = 'torch'; torch.FloatStorage = FloatStorage
    class Storage:
        def __init__(self, key): self.key = key
    class Tensor:
        def __init__(self, key): self.key = key
        def __reduce__(self):
            return (_rebuild_tensor_v2, (Storage(self.key), 0, (2, 2), (2, 1), False, collections.OrderedDict()))
    class Param:
        def __init__(self, key): self.key = key
        def __reduce__(self): return (_rebuild_parameter, (Tensor(self.key), True, collections.OrderedDict()))
    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage): return ('storage', FloatStorage, str(obj.key), 'cpu', 4)
            return None
    def dump(obj, protocol):
        buffer = io.BytesIO(); P(buffer, protocol=protocol).dump(obj); sys.stdout.buffer.write(buffer.getvalue())

    """

// MARK: Benign

@Suite struct PickleBenignTests {
    @Test(arguments: [1, 2, 3, 4, 5])
    func torchStyleStateDictHasNoFindings(protocolVersion: Int) throws {
        let script = fakeTorchPrelude + """
            sd = collections.OrderedDict((f'layer{i}.weight', Tensor(i)) for i in range(5))
            sd['p'] = Param(9)
            sd._metadata = collections.OrderedDict([('', {'version': 1})])
            dump(sd, \(protocolVersion))
            """
        let bytes = try #require(python(script))
        #expect(scan(bytes) == [])
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func plainDataHasNoFindings(protocolVersion: Int) throws {
        let script = """
            import pickle, sys
            data = {'a': [1, 2.5, 'x', b'yz', bytearray(b'q'), (1,), (1, 2), (1, 2, 3), {3}, frozenset({4}), None, True,
                          False, 10**30, -10**30, complex(1, 2), -5, 'é' * 3, 'line\\nbreak', "q'uote"], 'b': {'nested': [[[]]]}}
            shared = ['shared']; data['c'] = [shared, shared]
            sys.stdout.buffer.write(pickle.dumps(data, protocol=\(protocolVersion)))
            """
        let bytes = try #require(python(script))
        #expect(scan(bytes) == [])
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func numpyArraysHaveNoFindings(protocolVersion: Int) throws {
        let script = """
            import pickle, sys
            try:
                import numpy as np
            except ImportError:
                sys.exit(0)
            data = [np.arange(12.0).reshape(3, 4), np.int64(4), np.float32(1.5), np.dtype('f4'),
                    np.array(['a', None], dtype=object), np.zeros(3, dtype=np.uint8)]
            sys.stdout.buffer.write(pickle.dumps(data, protocol=\(protocolVersion)))
            """
        let bytes = try #require(python(script))
        if bytes.isEmpty { return }  // numpy not installed
        #expect(scan(bytes) == [])
    }

    @Test func largeListOfMemoizedStringsIsClean() throws {
        let bytes = try #require(
            python("import pickle, sys; sys.stdout.buffer.write(pickle.dumps([str(i) for i in range(200_000)] + [1.5] * 1000, protocol=4))"))
        #expect(scan(bytes) == [])
    }
}

// MARK: Malicious

@Suite struct PickleMaliciousTests {
    @Test func osSystemProtocol0() throws {
        let findings = scan(pickleBytes("cos\nsystem\n(S'echo hi'\ntR."))
        let finding = try #require(findings.first)
        #expect(findings.count == 1)
        #expect(finding.verdict == .unsafe)
        #expect(finding.kind == "global")
        #expect(finding.callable == "os.system")
        #expect(finding.uses == ["REDUCE"])
        #expect(finding.offset == 0)
        #expect(finding.detail.contains("`os.system`"))
    }

    @Test func osSystemProtocol2WithMemo() throws {
        let findings = scan(pickleBytes("\u{80}\u{02}cos\nsystem\nq\u{00}X\u{02}\u{00}\u{00}\u{00}idq\u{01}\u{85}q\u{02}Rq\u{03}."))
        #expect(callables(findings) == ["os.system"])
        #expect(worst(findings) == .unsafe)
        #expect(findings.first?.offset == 2)
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func reduceGeneratedByPython(protocolVersion: Int) throws {
        let script = """
            import pickle, sys, os
            class Evil:
                def __reduce__(self): return (os.system, ('id',))
            sys.stdout.buffer.write(pickle.dumps({'x': [1, Evil()]}, protocol=\(protocolVersion)))
            """
        let bytes = try #require(python(script))
        let findings = scan(bytes, member: "archive/data.pkl")
        #expect(worst(findings) == .unsafe)
        #expect(callables(findings).contains { $0.hasSuffix(".system") })
        #expect(findings.allSatisfy { $0.member == "archive/data.pkl" })
    }

    @Test func stackGlobalWithMemoizedStrings() {
        // 'os' memoized with BINPUT 7, 'system' with MEMOIZE, both fetched back with BINGET.
        let bytes = pickleBytes(
            "\u{80}\u{04}\u{8C}\u{02}osq\u{07}0\u{8C}\u{06}system\u{94}0h\u{07}h\u{01}\u{93}\u{8C}\u{02}id\u{85}R.")
        let findings = scan(bytes)
        #expect(callables(findings) == ["os.system"])
        #expect(findings.first?.uses == ["REDUCE"])
        #expect(worst(findings) == .unsafe)
    }

    @Test func binputMemoizeDesynchronisation() {
        // Bypass 1: a naive memo sees BINGET 0/1 as torch._utils/_rebuild_tensor_v2.
        let bytes = pickleBytes(
            "\u{80}\u{04}\u{8C}\u{0C}torch._utilsq\u{00}\u{8C}\u{12}_rebuild_tensor_v2q\u{01}00"
                + "\u{8C}\u{02}os\u{94}\u{8C}\u{06}system\u{94}0" + "0h\u{02}h\u{03}\u{93}\u{8C}\u{02}id\u{85}R.")
        // MEMOIZE after two BINPUTs stores at index 2 ('os') and 3 ('system').
        let findings = scan(bytes)
        #expect(callables(findings) == ["os.system"])
        #expect(worst(findings) == .unsafe)
    }

    @Test func stackGlobalWithComputedStringsIsDynamic() throws {
        // module = str('os') computed by a call: the name is not known before load.
        let bytes = pickleBytes("\u{80}\u{04}cbuiltins\nstr\n\u{8C}\u{02}os\u{85}R\u{8C}\u{06}system\u{93}\u{8C}\u{02}id\u{85}R.")
        let findings = scan(bytes)
        #expect(findings.contains { $0.kind == "dynamic-global" && $0.verdict == .unsafe })
        #expect(findings.contains { $0.callable == "builtins.str" && $0.verdict == .suspicious })
    }

    @Test func stackGlobalWithNonStringOperandsIsMalformed() {
        // Python's unpickler raises "STACK_GLOBAL requires str" here: the stream is invalid.
        let findings = scan(pickleBytes("\u{80}\u{04}K\u{01}K\u{02}\u{93}."))
        #expect(findings.map(\.kind) == ["malformed"])
        #expect(findings.first?.detail.contains("STACK_GLOBAL requires str") == true)
        #expect(findings.first?.offset == 6)
    }

    @Test func importlibGetattrJoinBypass() {
        // Bypass 20: importlib.import_module + builtins.getattr + str.join, no literal 'os'.
        let bytes = pickleBytes(
            "cbuiltins\ngetattr\n(cimportlib\nimport_module\n(cbuiltins\nstr.join\n(S''\n(lS'o'\naS's'\natRtRS'system'\ntR(S'id'\ntR.")
        let findings = scan(bytes)
        #expect(callables(findings).isSuperset(of: ["builtins.getattr", "importlib.import_module"]))
        #expect(findings.first { $0.callable == "builtins.getattr" }?.uses == ["REDUCE"])
        #expect(worst(findings) == .unsafe)
    }

    @Test func getattrChainOnCallResult() {
        // getattr(globals(), 'x')() — the result of a call is called again.
        let findings = scan(pickleBytes("cbuiltins\ngetattr\n(cbuiltins\nglobals\n)RS'x'\ntR)R."))
        #expect(callables(findings) == ["builtins.getattr", "builtins.globals"])
        #expect(worst(findings) == .unsafe)
    }

    @Test func instForm() throws {
        let findings = scan(pickleBytes("(S'id'\nios\nsystem\n."))
        let finding = try #require(findings.first)
        #expect(finding.callable == "os.system")
        #expect(finding.uses == ["INST"])
        #expect(finding.offset == 7)
    }

    @Test func objForm() {
        let findings = scan(pickleBytes("(cos\nsystem\nS'id'\no."))
        #expect(findings.first?.uses == ["OBJ"])
        #expect(worst(findings) == .unsafe)
    }

    @Test func newObjAndNewObjEx() {
        let newObj = scan(pickleBytes("\u{80}\u{02}cfoo\nBar\n)\u{81}."))
        #expect(newObj.first?.uses == ["NEWOBJ"])
        #expect(worst(newObj) == .suspicious)
        let newObjEx = scan(pickleBytes("\u{80}\u{04}\u{8C}\u{03}foo\u{8C}\u{03}Bar\u{93})}\u{92}."))
        #expect(newObjEx.first?.uses == ["NEWOBJ_EX"])
        #expect(newObjEx.first?.callable == "foo.Bar")
        #expect(worst(newObjEx) == .suspicious)
    }

    @Test func buildOnUnknownClassIsSuspicious() throws {
        let findings = scan(pickleBytes("\u{80}\u{02}cmylib\nModel\n)\u{81}}(U\u{01}aK\u{01}ub."))
        let finding = try #require(findings.first)
        #expect(findings.count == 1)
        #expect(finding.callable == "mylib.Model")
        #expect(finding.uses == ["NEWOBJ", "BUILD"], "\(findings)")
        #expect(finding.verdict == .suspicious)
    }

    @Test func extensionRegistryIsUnsafe() {
        for ext in ["\u{82}\u{01}", "\u{83}\u{01}\u{00}", "\u{84}\u{01}\u{00}\u{00}\u{00}"] {
            let findings = scan(pickleBytes("\u{80}\u{02}" + ext + ")R."))
            #expect(findings.map(\.kind) == ["extension-code"])
            #expect(worst(findings) == .unsafe)
        }
    }

    @Test func nestedPickleInBytes() throws {
        let inner = pickleBytes("cos\nsystem\n(S'id'\ntR.")
        let outer = pickleBytes("\u{80}\u{03}c_pickle\nloads\nC") + [UInt8(inner.count)] + inner + pickleBytes("\u{85}R.")
        let findings = scan(outer, member: "m")
        #expect(callables(findings) == ["_pickle.loads", "os.system"])
        let nested = try #require(findings.first { $0.callable == "os.system" })
        #expect(nested.offset == 17)  // the SHORT_BINBYTES opcode
        #expect(nested.member == "m")
        #expect(nested.verdict == .unsafe)
    }

    @Test func nestedPickleInBinBytesAndBinString() {
        let inner = pickleBytes("\u{80}\u{04}\u{8C}\u{02}os\u{8C}\u{06}system\u{93}\u{8C}\u{02}id\u{85}R.")
        let binBytes = pickleBytes("\u{80}\u{03}B") + littleEndian(UInt64(inner.count), width: 4) + inner + pickleBytes(".")
        #expect(callables(scan(binBytes)) == ["os.system"])
        let binString = pickleBytes("\u{80}\u{02}T") + littleEndian(UInt64(inner.count), width: 4) + inner + pickleBytes(".")
        #expect(callables(scan(binString)) == ["os.system"])
        let bytes8 = pickleBytes("\u{80}\u{04}\u{8E}") + littleEndian(UInt64(inner.count), width: 8) + inner + pickleBytes(".")
        #expect(callables(scan(bytes8)) == ["os.system"])
    }

    @Test func picklesNestedTooDeep() {
        var pickle = pickleBytes("\u{80}\u{02}cos\nsystem\n.")
        for _ in 0..<10 {
            pickle = pickleBytes("\u{80}\u{03}C") + [UInt8(pickle.count)] + pickle + pickleBytes(".")
        }
        let findings = scan(pickle)
        #expect(findings.contains { $0.kind == "malformed" && $0.detail.contains("nested deeper than 8") })
    }

    @Test func secondOfTwoPicklesIsMalicious() throws {
        let bytes = pickleBytes("\u{80}\u{02}N.cos\nsystem\n(S'id'\ntR.")
        let findings = scan(bytes)
        #expect(findings.count == 1)
        #expect(findings.first?.callable == "os.system")
        #expect(findings.first?.offset == 4)
    }

    @Test func payloadBeforeAnErrorIsStillReported() {
        // Bypass 7: the payload runs, then a GET of a never-set memo index raises.
        let findings = scan(pickleBytes("cos\nsystem\n(S'id'\ntRh\u{09}."))
        #expect(callables(findings) == ["os.system"])
        #expect(findings.contains { $0.kind == "malformed" && $0.detail.contains("memo index 9 was never set") })
        #expect(worst(findings) == .unsafe)
    }

    @Test func truncatedPayloadIsReportedToo() {
        let findings = scan(pickleBytes("\u{80}\u{02}cos\nsystem\nX\u{02}\u{00}\u{00}\u{00}id\u{85}R"))
        #expect(callables(findings) == ["os.system"])
        #expect(findings.contains { $0.kind == "malformed" && $0.detail.contains("truncated") })
    }

    @Test func buildOnAGlobalObject() {
        // Bypass 3: BUILD slot state setattr's onto a function object, then a dotted name reads it.
        let bytes = pickleBytes("\u{80}\u{02}cnumpy\nprod\n(N}S'a'\ncos\nsystem\nstb0cnumpy\nprod.a\n(S'id'\ntR.")
        let findings = scan(bytes)
        #expect(findings.contains { $0.kind == "state-on-global" })
        #expect(callables(findings).isSuperset(of: ["numpy.prod", "numpy.prod.a", "os.system"]))
        #expect(worst(findings) == .unsafe)
    }

    @Test func numpyBuiltinsThroughStackGlobal() {
        let findings = scan(pickleBytes("\u{80}\u{04}\u{8C}\u{05}numpy\u{8C}\u{0C}__builtins__\u{93}."))
        #expect(findings.first?.callable == "numpy.__builtins__")
        #expect(worst(findings) == .unsafe)
    }

    @Test func python2BuiltinModuleName() {
        let findings = scan(pickleBytes("c__builtin__\neval\n(S'1'\ntR."))
        #expect(findings.first?.callable == "__builtin__.eval")
        #expect(worst(findings) == .unsafe)
    }

    @Test func oneFindingPerCallableWithMergedUses() {
        let findings = scan(pickleBytes("cos\nsystem\n(S'a'\ntR0(S'b'\nios\nsystem\n0cos\nsystem\n."))
        #expect(findings.count == 1)
        #expect(findings.first?.uses == ["REDUCE", "INST"])
        #expect(findings.first?.offset == 0)
    }

    @Test func allowGlobalAcceptsExactCallables() {
        let suspicious = pickleBytes("\u{80}\u{02}cfoo\nBar\n)\u{81}.")
        #expect(worst(scan(suspicious)) == .suspicious)
        let accepted = scan(suspicious, policy: ScanPolicy(allowedGlobals: ["foo.Bar"]))
        #expect(worst(accepted) == .safe)
        #expect(accepted.map(\.kind) == ["accepted"], "the user's decision stays on record")
        #expect(accepted.first?.callable == "foo.Bar")
        #expect(worst(scan(suspicious, policy: ScanPolicy(allowedGlobals: ["foo.Baz", "foo"]))) == .suspicious)
        // Accepting a callable lifts `suspicious` only: a dangerous one stays unsafe even if listed.
        let unsafe = pickleBytes("cos\nsystem\n(S'id'\ntR.")
        #expect(worst(scan(unsafe, policy: ScanPolicy(allowedGlobals: ["os.system"]))) == .unsafe)
        #expect(worst(scan(unsafe, policy: ScanPolicy(allowedGlobals: ["os.*", "os"]))) == .unsafe)
    }

    @Test func theUsersPolicyRefusesDangerousOrVagueCallables() throws {
        #expect(try ScanPolicy(allowing: ["acme.layers.CustomLayer", "foo.Bar"]).allowedGlobals.count == 2)
        for global in ["os.system", "builtins.eval", "numpy.os.system", "torch.load", "os", "os.*", "a..b", "a b.c"] {
            #expect(throws: ScanPolicyError.self, "\(global) accepted") { try ScanPolicy(allowing: [global]) }
        }
    }

    @Test func longNamesAreNotSafe() {
        let name = String(repeating: "a", count: 300)
        let findings = scan(pickleBytes("cfoo\n\(name)\n)R."))
        #expect(findings.first?.verdict == .suspicious)
        #expect(findings.first?.detail.contains("longer than 256") == true)
    }
}

// MARK: Published bypasses (§2 of the scanning note)

@Suite struct PickleBypassTests {
    static let unsafeCallables: [(String, String)] = [
        ("builtins", "eval"), ("builtins", "exec"), ("builtins", "compile"), ("builtins", "getattr"),
        ("builtins", "__import__"), ("builtins", "open"), ("builtins", "breakpoint"), ("__builtin__", "apply"),
        ("builtins", "setattr"), ("builtins", "globals"),
        ("os", "system"), ("posix", "system"), ("nt", "system"), ("os.path", "join"), ("subprocess", "Popen"),
        ("subprocess", "check_output"), ("pty", "spawn"), ("sys", "exit"), ("shutil", "rmtree"),
        ("socket", "create_connection"), ("ssl", "get_server_certificate"), ("webbrowser", "open"),
        ("pip", "main"),  // bypass 8
        ("pickle", "loads"), ("_pickle", "loads"), ("cPickle", "loads"),  // bypass 16
        ("asyncio.unix_events", "_UnixSubprocessTransport._start"),  // bypass 14
        ("ensurepip", "_run_pip"), ("idlelib.pyshell", "ModifiedInterpreter.runcode"),
        ("idlelib.debugobj", "ObjectTreeItem.SetText"), ("lib2to3.pgen2.pgen", "ParserGenerator.make_label"),
        ("lib2to3.pgen2.grammar", "Grammar.loads"), ("doctest", "debug_script"), ("cProfile", "run"),
        ("cProfile", "runctx"), ("profile", "run"), ("timeit", "timeit"), ("trace", "Trace.run"),
        ("code", "InteractiveInterpreter.runcode"), ("pydoc", "locate"), ("pydoc", "pipepager"),
        ("pkgutil", "resolve_name"), ("_operator", "attrgetter"), ("_operator", "itemgetter"),
        ("_operator", "methodcaller"), ("operator", "attrgetter"), ("operator", "methodcaller"),
        ("functools", "partial"), ("_io", "FileIO"), ("io", "open"), ("urllib.request", "urlopen"),
        ("logging", "FileHandler"), ("types", "CodeType"), ("types", "FunctionType"),
        ("cloudpickle.cloudpickle", "_make_function"), ("cloudpickle.cloudpickle", "_builtin_type"),
        ("uuid", "_get_command_stdout"), ("imaplib", "IMAP4_stream"), ("_osx_support", "_read_output"),
        ("_aix_support", "_read_cmd_output"), ("_pyrepl.pager", "pipe_pager"), ("venv", "create"),
        ("ctypes", "CDLL"), ("platform", "popen"), ("runpy", "run_path"), ("importlib", "import_module"),
        ("marshal", "loads"), ("dill", "loads"), ("bdb", "Bdb.run"), ("pdb", "run"), ("site", "main"),
        ("torch.utils.collect_env", "run"), ("torch.utils.bottleneck.__main__", "run_autograd_prof"),
        ("torch._inductor.codecache", "compile_file"), ("torch.jit.unsupported_tensor_ops", "execWrapper"),
        ("torch.serialization", "load"), ("torch", "load"), ("torch.hub", "load"),
        ("torch.storage", "_load_from_bytes"), ("torch.utils._config_module", "ConfigModule.load_config"),
        ("torch.utils.data.datapipes.utils.decoder", "basichandlers"), ("torch._dynamo.guards", "GuardBuilder.get"),
        ("torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression"),
        ("multiprocessing.util", "spawnv_passfds"), ("mlflow.projects.backend.local", "_run_entry_point"),
        ("pandas.io.parsers.readers", "read_csv"), ("pandas", "read_pickle"), ("numpy", "load"),
        ("numpy.lib.npyio", "load"), ("numpy.f2py", "compile"), ("numpy.testing._private.utils", "runstring"),
        ("numpy", "__builtins__"), ("numpy", "os.system"), ("genericpath", "os.system"),
        ("_interpreters", "run_string"), ("_interpreters", "create"), ("_xxsubinterpreters", "run_string"),
        ("joblib", "load"), ("requests.api", "get"), ("aiohttp.client", "ClientSession"), ("httplib", "HTTPConnection"),
        ("distutils.file_util", "write_file"), ("test.support.script_helper", "assert_python_ok"), ("commands", "getoutput"),
    ]

    @Test func everyPublishedGadgetIsUnsafe() {
        for (module, name) in Self.unsafeCallables {
            #expect(PickleScanner.classify(module: module, name: name, policy: ScanPolicy()) == .unsafe, "\(module).\(name)")
        }
    }

    @Test func everyPublishedGadgetIsCaughtInAPickle() {
        for (module, name) in Self.unsafeCallables {
            // Through STACK_GLOBAL with memoized operands, the form older scanners missed.
            let bytes: [UInt8] =
                pickleBytes("\u{80}\u{04}\u{8C}") + [UInt8(module.utf8.count)] + Array(module.utf8) + pickleBytes("\u{94}\u{8C}")
                + [UInt8(name.utf8.count)] + Array(name.utf8) + pickleBytes("\u{94}\u{93})R.")
            let findings = scan(bytes)
            #expect(worst(findings) == .unsafe, "\(module).\(name)")
            #expect(findings.first?.callable == "\(module).\(name)")
        }
    }

    @Test func safeListIsExact() {
        let policy = ScanPolicy()
        for (module, name) in [
            ("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"), ("torch", "FloatStorage"),
            ("torch", "BFloat16Storage"), ("torch._utils", "_rebuild_parameter"), ("torch", "Size"), ("_codecs", "encode"),
            ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
            ("numpy", "dtype"), ("numpy._core.multiarray", "scalar"), ("builtins", "set"), ("__builtin__", "set"),
            ("torch", "float16"), ("torch.nn.parameter", "Parameter"), ("torch._tensor", "_rebuild_from_type_v2"),
        ] {
            #expect(PickleScanner.classify(module: module, name: name, policy: policy) == .safe, "\(module).\(name)")
        }
        for (module, name) in [
            ("collections", "OrderedDict.fromkeys"), ("torch._utils", "_rebuild_tensor_v2x"), ("torch", "Storage"),
            ("numpy", "prod"), ("builtins", "list"), ("collections", "defaultdict"), ("numpy.core", "multiarray._reconstruct"),
        ] {
            #expect(PickleScanner.classify(module: module, name: name, policy: policy) == .suspicious, "\(module).\(name)")
        }
        #expect(PickleScanner.classify(module: "numpy", name: "prod", policy: ScanPolicy(allowedGlobals: ["numpy.prod"])) == .safe)
    }
}

// MARK: Malformed and resource limits

@Suite struct PickleMalformedTests {
    func expectMalformed(_ bytes: [UInt8], _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let findings = scan(bytes)
        #expect(
            findings.contains { $0.kind == "malformed" && $0.verdict == .malformed && $0.detail.contains(reason) && $0.offset != nil },
            "\(findings)", sourceLocation: sourceLocation)
    }

    @Test func empty() { expectMalformed([], "empty") }
    @Test func truncated() {
        expectMalformed(pickleBytes("\u{80}\u{02}N"), "truncated")
        expectMalformed(pickleBytes("\u{80}\u{02}J\u{01}"), "truncated")
        expectMalformed(pickleBytes("cos\nsys"), "truncated")
    }
    @Test func unknownOpcode() { expectMalformed(pickleBytes("\u{80}\u{02}\u{FF}."), "unknown opcode 0xff") }
    @Test func memoIndexNeverSet() {
        expectMalformed(pickleBytes("\u{80}\u{02}h\u{05}."), "memo index 5 was never set")
        expectMalformed(pickleBytes("g12\n."), "memo index 12 was never set")
        expectMalformed(pickleBytes("\u{80}\u{02}j\u{00}\u{00}\u{00}\u{01}."), "memo index 16777216 was never set")
    }
    @Test func lengthPastEnd() {
        expectMalformed(pickleBytes("\u{80}\u{03}B\u{FF}\u{FF}\u{00}\u{00}abc."), "runs past the end")
        expectMalformed(pickleBytes("\u{80}\u{04}\u{8C}\u{09}abc."), "runs past the end")
        expectMalformed(pickleBytes("\u{80}\u{04}\u{95}\u{FF}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}N."), "FRAME length")
    }
    @Test func hugeLengthFields() {
        expectMalformed(pickleBytes("\u{80}\u{04}\u{8E}") + littleEndian(1 << 63, width: 8) + pickleBytes("."), "runs past the end")
        expectMalformed(pickleBytes("\u{80}\u{04}\u{8D}") + littleEndian(UInt64.max, width: 8) + pickleBytes("."), "runs past the end")
        expectMalformed(pickleBytes("\u{80}\u{05}\u{96}") + littleEndian((1 << 63) - 1, width: 8) + pickleBytes("."), "runs past the end")
        expectMalformed(pickleBytes("\u{80}\u{02}T\u{FF}\u{FF}\u{FF}\u{FF}."), "negative length")
    }
    @Test func stackUnderflowAndMissingMark() {
        expectMalformed(pickleBytes("\u{80}\u{02}R."), "underflow")
        expectMalformed(pickleBytes("\u{80}\u{02}."), "underflow")
        expectMalformed(pickleBytes("\u{80}\u{02}Nt."), "without MARK")
        expectMalformed(pickleBytes("\u{80}\u{02}(."), "underflow")
        expectMalformed(pickleBytes("(N\u{93}."), "underflow")
    }
    @Test func invalidTextOperands() {
        expectMalformed(pickleBytes("I am text\n."), "invalid integer")
        expectMalformed(pickleBytes("Sunquoted\n."), "quoted")
        expectMalformed(pickleBytes("\u{80}\u{06}N."), "unsupported pickle protocol")
    }
    @Test func trailingData() {
        let findings = scan(pickleBytes("\u{80}\u{02}N.hello, world"))
        #expect(findings.map(\.kind) == ["trailing-data"])
        #expect(findings.first?.verdict == .suspicious)
        #expect(findings.first?.offset == 4)
    }
    @Test func millionMarksAreCapped() {
        expectMalformed([UInt8](repeating: 0x28, count: 1_000_000) + pickleBytes("N."), "nesting deeper than 100000")
    }
    @Test func millionDeepListsDoNotOverflow() {
        let depth = 1_000_000
        var bytes = pickleBytes("\u{80}\u{02}")
        bytes += [UInt8](repeating: 0x5D, count: depth)  // EMPTY_LIST × depth
        bytes += [UInt8](repeating: 0x61, count: depth - 1)  // APPEND: each list into its parent
        bytes += pickleBytes(".")
        #expect(scan(bytes) == [])
    }
    @Test func memoFloodIsBounded() {
        // LONG_BINPUT at widely spaced indices: the memo stays small.
        var bytes = pickleBytes("\u{80}\u{02}N")
        for index in stride(from: UInt64(0), to: 4_000_000_000, by: 40_000_000) {
            bytes += [0x72] + littleEndian(index, width: 4)
        }
        bytes += pickleBytes("j") + littleEndian(3_960_000_000, width: 4) + pickleBytes(".")
        #expect(scan(bytes) == [])
    }
}

// MARK: Sniffing

@Suite struct PickleSniffTests {
    @Test func looksLikePickle() {
        #expect(PickleScanner.looksLikePickle(pickleBytes("\u{80}\u{04}\u{95}\u{00}")))
        #expect(PickleScanner.looksLikePickle(pickleBytes("\u{80}\u{02}}q\u{00}")))
        #expect(PickleScanner.looksLikePickle(pickleBytes("(dp0\nS'a'\np1\nI1\ns.")))
        #expect(PickleScanner.looksLikePickle(pickleBytes("cos\nsystem\n(S'id'\ntR.")))
        #expect(PickleScanner.looksLikePickle(pickleBytes("]q\u{00}(K\u{01}K\u{02}e.")))
        #expect(!PickleScanner.looksLikePickle(pickleBytes("\u{80}\u{09}N.")))
        #expect(!PickleScanner.looksLikePickle(pickleBytes("hello world")))
        #expect(!PickleScanner.looksLikePickle(pickleBytes("I am a text file\n")))
        #expect(!PickleScanner.looksLikePickle(pickleBytes("{\"a\": 1}")))
        #expect(!PickleScanner.looksLikePickle(pickleBytes("No pickle here")))
        #expect(!PickleScanner.looksLikePickle(pickleBytes("PK\u{03}\u{04}")))
        #expect(!PickleScanner.looksLikePickle([]))
    }
}

// MARK: Speed (opt-in: PICKLE_BENCH=1 swift test -c release --filter PickleSpeed)

@Suite struct PickleSpeedTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PICKLE_BENCH"] != nil))
    func opcodeHeavyPickle() throws {
        let path = NSTemporaryDirectory() + "pickle-bench-\(UUID().uuidString).pkl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try #require(
            python(
                "import pickle, random; pickle.dump([x for i in range(4_500_000) for x in (random.random(), 'name%d' % i)], open('\(path)', 'wb'), protocol=4)"
            ))
        let source = try FileSource(FilePath(path))
        let start = ContinuousClock.now
        let findings = PickleScanner.scan(source, policy: ScanPolicy())
        let elapsed = ContinuousClock.now - start
        print("opcode-heavy pickle: \(source.size) bytes in \(elapsed)")
        #expect(findings == [])
    }
}
