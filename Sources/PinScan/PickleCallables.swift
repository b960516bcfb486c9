import PinModel

// The lists a pickle callable is classified against. A callable is `module.name` as written in
// a GLOBAL / INST / STACK_GLOBAL; `name` may be dotted (attribute traversal).
//
// Order of the decision (PickleCallables.classify):
//   1. `--allow-global` exact match → safe (the user's explicit, per-callable decision);
//   2. exact match in `safeCallables` → safe (modelled on PyTorch's weights_only allowlist);
//   3. some dotted prefix of the path is in `unsafePaths`, or some attribute of the dotted name
//      starts a path in `unsafePaths`, or names a dangerous dunder → unsafe;
//   4. anything else → suspicious (blocked by default: unknown callables are how bypasses work).

enum PickleCallables {
    /// Python 2 module names that Python 3's unpickler maps (`fix_imports`) to their modern names.
    static let moduleAliases: [String: String] = [
        "__builtin__": "builtins",  // Python 2 builtins
        "copy_reg": "copyreg",  // Python 2 name
        "cPickle": "pickle",  // Python 2 C pickle
        "commands": "subprocess",  // Python 2 shell helpers
        "urllib2": "urllib.request",  // Python 2 HTTP client
        "httplib": "http.client",  // Python 2 HTTP client
        "exceptions": "builtins",  // Python 2 exception classes
        "UserDict": "collections",  // Python 2 name
        "__main__": "__main__",  // kept: the loading script's namespace (suspicious)
    ]

    /// Exactly these `module.name` callables are safe: what `torch.load(weights_only=True)` allows
    /// (torch/_weights_only_unpickler.py `_get_allowed_globals`), plus numpy array reconstruction.
    static let safeCallables: Set<String> = {
        var safe: Set<String> = [
            "collections.OrderedDict",  // state_dict container
            "collections.Counter",  // weights_only allows it: a dict subclass, no code
            "torch.nn.parameter.Parameter",  // Parameter wrapper around a tensor
            "torch.Tensor",  // the tensor class (subclass rebuild)
            "torch.Size",  // a tuple subclass of ints
            "torch.device",  // a device descriptor
            "torch.serialization._get_layout",  // maps a layout name to torch.layout
            "_codecs.encode",  // protocol-2 encoding of bytes: str → bytes, no code
            "builtins.bytearray",  // plain data
            "builtins.set",  // plain data
            "builtins.complex",  // plain data
            "torch._tensor._rebuild_from_type_v2",  // tensor subclasses; calls the rebuilders below
            "numpy.core.multiarray._reconstruct",  // ndarray.__reduce__ (numpy < 2)
            "numpy._core.multiarray._reconstruct",  // ndarray.__reduce__ (numpy ≥ 2)
            "numpy.ndarray",  // the array class, argument of _reconstruct
            "numpy.dtype",  // dtype descriptor
            "numpy.core.numeric._frombuffer",  // protocol-5 ndarray.__reduce_ex__: frombuffer + reshape (numpy < 2)
            "numpy._core.numeric._frombuffer",  // protocol-5 ndarray.__reduce_ex__: frombuffer + reshape (numpy ≥ 2)
            "builtins.frozenset",  // plain data, like set (protocols < 4 write it as a call)
            "numpy.core.multiarray.scalar",  // numpy scalar (numpy < 2)
            "numpy._core.multiarray.scalar",  // numpy scalar (numpy ≥ 2)
            // joblib's array placeholder: an attribute bag whose BUILD makes joblib read the array
            // bytes that follow it; PickleJoblib.swift follows that read exactly.
            "joblib.numpy_pickle.NumpyArrayWrapper",
        ]
        // torch._utils._rebuild_* helpers weights_only allows: rebuild a tensor from a storage.
        for helper in [
            "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
            "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_sparse_tensor",
            "_rebuild_meta_tensor_no_storage", "_rebuild_wrapper_subclass",
            "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor",
        ] {
            safe.insert("torch._utils." + helper)
        }
        // torch dtypes (str(dtype)): descriptors, no code.
        for dtype in [
            "float32", "float", "float64", "double", "float16", "half", "bfloat16", "complex32",
            "chalf", "complex64", "cfloat", "complex128", "cdouble", "uint8", "int8", "int16",
            "short", "int32", "int", "int64", "long", "bool", "qint8", "quint8", "qint32",
            "quint4x2", "quint2x4", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
            "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "uint16", "uint32", "uint64",
            "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2",
            "int1", "int2", "int3", "int4", "int5", "int6", "int7",
            "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7",
        ] {
            safe.insert("torch." + dtype)
        }
        // Quantization schemes: enum values.
        for scheme in [
            "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
            "per_channel_symmetric", "per_channel_affine_float_qparams",
        ] {
            safe.insert("torch." + scheme)
        }
        // Legacy typed tensor and storage classes (torch._tensor_classes, torch._storage_classes).
        let kinds = [
            "Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
            "ComplexDouble", "ComplexFloat", "QUInt8", "QInt8", "QInt32", "QUInt4x2", "QUInt2x4",
        ]
        for kind in kinds {
            safe.insert("torch.\(kind)Storage")  // legacy storage class
            safe.insert("torch.cuda.\(kind)Storage")  // legacy CUDA storage class
            safe.insert("torch.\(kind)Tensor")  // legacy tensor class
            safe.insert("torch.cuda.\(kind)Tensor")  // legacy CUDA tensor class
        }
        for storage in ["UntypedStorage", "TypedStorage"] {
            safe.insert("torch." + storage)  // storage classes
            safe.insert("torch.storage." + storage)  // same, by defining module
        }
        return safe
    }()

    /// Dotted paths (modules, or module.attribute) that make a callable unsafe. An entry covers
    /// itself and everything below it: `os` covers `os.path.join`.
    static let unsafePaths: [String: String] = [
        // Code execution through builtins.
        "builtins.eval": "evaluates Python code",
        "builtins.exec": "executes Python code",
        "builtins.execfile": "executes a Python file",
        "builtins.compile": "compiles Python code",
        "builtins.getattr": "reaches any attribute, e.g. os.system",
        "builtins.setattr": "rewrites attributes of live objects",
        "builtins.delattr": "deletes attributes of live objects",
        "builtins.__import__": "imports any module",
        "builtins.__build_class__": "builds classes from code",
        "builtins.__loader__": "the import machinery",
        "builtins.open": "opens any file",
        "builtins.breakpoint": "starts a debugger",
        "builtins.input": "reads the terminal",
        "builtins.apply": "calls any callable (Python 2)",
        "builtins.globals": "exposes a module namespace",
        "builtins.locals": "exposes a frame namespace",
        "builtins.vars": "exposes an object namespace",
        "builtins.reload": "re-imports a module",
        "builtins.exit": "exits the process",
        "builtins.quit": "exits the process",
        "builtins.help": "starts the interactive help (pager process)",
        "builtins.memoryview": "raw memory access",
        // OS and processes.
        "os": "runs commands and touches files",
        "posix": "runs commands and touches files",
        "nt": "runs commands and touches files",
        "subprocess": "runs commands",
        "_posixsubprocess": "runs commands",
        "pty": "spawns processes",
        "sys": "interpreter internals (modules, hooks, exit)",
        "signal": "installs signal handlers",
        "_winapi": "Windows process API",
        "msvcrt": "Windows runtime",
        "winreg": "Windows registry",
        "_winreg": "Windows registry",
        "platform.popen": "runs a command",
        "platform": "runs commands (popen, _syscmd_*)",
        "uuid": "runs commands (_get_command_stdout)",
        "_osx_support": "runs commands",
        "_aix_support": "runs commands",
        "_pyrepl": "runs a pager process",
        "imaplib": "IMAP4_stream runs a command",
        "asyncio": "runs subprocesses and network I/O",
        "multiprocessing": "spawns processes (util.spawnv_passfds)",
        "_multiprocessing": "process internals",
        "concurrent": "runs callables in workers",
        "threading": "runs callables in threads",
        "_thread": "runs callables in threads",
        "_interpreters": "runs code in a subinterpreter",
        "_xxsubinterpreters": "runs code in a subinterpreter",
        "interpreters": "runs code in a subinterpreter",
        "gc": "reaches every live object",
        // Files.
        "shutil": "copies, moves and deletes files",
        "io": "opens files",
        "_io": "opens files (FileIO)",
        "pathlib": "reads and writes files (Path.write_text)",
        "tempfile": "creates files",
        "fileinput": "reads files",
        "zipfile": "reads and writes archives",
        "tarfile": "extracts archives anywhere",
        "gzip": "opens files",
        "bz2": "opens files",
        "lzma": "opens files",
        "shelve": "opens pickle databases",
        "dbm": "opens database files",
        "sqlite3": "opens database files",
        "logging": "writes files (FileHandler) and evaluates config",
        "py_compile": "compiles and writes files",
        "compileall": "compiles and writes files",
        "distutils": "file utilities and builds",
        // Network.
        "socket": "opens network connections",
        "_socket": "opens network connections",
        "ssl": "network connections (get_server_certificate)",
        "http": "HTTP client and server",
        "urllib": "fetches URLs",
        "urllib3": "fetches URLs",
        "requests": "fetches URLs",
        "aiohttp": "fetches URLs",
        "httpx": "fetches URLs",
        "ftplib": "FTP client",
        "smtplib": "sends mail",
        "smtpd": "mail server",
        "telnetlib": "telnet client",
        "poplib": "mail client",
        "nntplib": "news client",
        "xmlrpc": "remote procedure calls",
        "socketserver": "network server",
        "asyncore": "network I/O",
        "asynchat": "network I/O",
        "webbrowser": "launches a browser (a process)",
        // Import machinery and code loading.
        "importlib": "imports any module",
        "imp": "imports any module",
        "pkgutil": "resolves any name (resolve_name)",
        "zipimport": "imports code from archives",
        "runpy": "runs modules",
        "code": "interactive interpreter (runcode)",
        "codeop": "compiles code",
        "site": "runs .pth files and imports",
        "ctypes": "calls native code",
        "_ctypes": "calls native code",
        "cffi": "calls native code",
        "marshal": "loads code objects",
        "types.CodeType": "builds code objects",
        "types.FunctionType": "builds functions from code",
        "types.LambdaType": "builds functions from code",
        "types.MethodType": "binds callables",
        "IPython": "interactive shell, runs code",
        // Nested deserialization.
        "pickle": "nested unpickling",
        "_pickle": "nested unpickling",
        "dill": "unpickles code",
        "cloudpickle": "builds functions from code",
        "joblib.load": "nested unpickling",
        "joblib.numpy_pickle.load": "nested unpickling",
        "yaml.load": "unsafe YAML loading",
        "yaml.unsafe_load": "unsafe YAML loading",
        "yaml.full_load": "unsafe YAML loading",
        "pandas.read_pickle": "nested unpickling",
        "pandas.io": "file and network readers (read_csv exfiltration)",
        "pandas.read_csv": "reads files and URLs",
        "pandas.read_json": "reads files and URLs",
        "pandas.read_html": "reads files and URLs",
        "pandas.read_sql": "database access",
        "pandas.eval": "evaluates expressions",
        "pandas.core.computation": "evaluates expressions",
        // Indirection: call anything, reach any attribute.
        "operator.attrgetter": "reaches any attribute",
        "operator.itemgetter": "indirect access",
        "operator.methodcaller": "calls any method",
        "operator.call": "calls any callable",
        "_operator.attrgetter": "reaches any attribute",
        "_operator.itemgetter": "indirect access",
        "_operator.methodcaller": "calls any method",
        "_operator.call": "calls any callable",
        "functools.partial": "calls any callable",
        "functools.reduce": "calls any callable",
        "_functools.partial": "calls any callable",
        "_functools.reduce": "calls any callable",
        "pydoc": "locate() resolves any name; pipepager runs commands",
        "inspect": "reaches frames and attributes",
        // Debuggers, profilers, test helpers: all run code.
        "pdb": "debugger runs code",
        "bdb": "debugger runs code",
        "profile": "profiler runs code",
        "cProfile": "profiler runs code",
        "timeit": "runs code",
        "trace": "runs code",
        "doctest": "runs code (debug_script)",
        "idlelib": "IDE internals that run code",
        "lib2to3": "grammar loading runs pickles",
        "test": "CPython test helpers",
        "unittest.mock": "calls arbitrary callables",
        // Package managers and environments.
        "pip": "installs packages (runs their code)",
        "setuptools": "builds and installs packages",
        "ensurepip": "runs pip",
        "venv": "creates environments and runs pip",
        // ML framework gadgets.
        "torch.load": "nested unpickling",
        "torch.hub": "downloads and runs code",
        "torch.jit": "loads and runs TorchScript (execWrapper)",
        "torch._C": "native internals",
        "torch.serialization": "nested loading",
        "torch.storage._load_from_bytes": "nested unpickling",
        "torch.fx": "code generation (ShapeEnv.evaluate_guards_expression)",
        "torch._dynamo": "guard evaluation runs code",
        "torch._inductor": "compiles and loads code (compile_file)",
        "torch.utils.collect_env": "runs commands",
        "torch.utils.bottleneck": "runs code",
        "torch.utils._config_module": "loads pickled config",
        "torch.utils.data.datapipes": "decoders unpickle data",
        "torch.utils.cpp_extension": "compiles and loads native code",
        "torch.package": "loads packaged code",
        "torch.distributed": "remote procedure calls",
        "torch.multiprocessing": "spawns processes",
        "torch.ops": "calls any registered operator",
        "torch._ops": "calls any registered operator",
        "torch.compile": "compiles code",
        "numpy.load": "nested unpickling (allow_pickle)",
        "numpy.lib.npyio": "file loading and nested unpickling",
        "numpy.lib.format": "array file reading (allow_pickle)",
        "numpy.loadtxt": "reads files",
        "numpy.genfromtxt": "reads files",
        "numpy.fromfile": "reads files",
        "numpy.save": "writes files",
        "numpy.savez": "writes files",
        "numpy.savetxt": "writes files",
        "numpy.memmap": "maps and writes files",
        "numpy.ndarray.tofile": "writes files",
        "numpy.testing": "test helpers that run commands",
        "numpy.f2py": "compiles and runs code",
        "numpy.distutils": "builds and runs code",
        "numpy.ctypeslib": "loads native libraries",
        "mlflow.projects": "runs entry points (_run_entry_point)",
        // TensorFlow and Keras: file and network access, Python functions inside graphs, nested
        // model loading, marshalled bytecode. Other tensorflow.* / keras.* names are unknown
        // (suspicious) like any other callable; Keras configs allow Keras's own layers by name
        // (KerasAllowlist.swift).
        "tensorflow.io.read_file": "reads any file",
        "tensorflow.io.write_file": "writes any file",
        "tensorflow.io.gfile": "reads, writes and deletes files",
        "tensorflow.io.matching_files": "lists files",
        "tensorflow.read_file": "reads any file",
        "tensorflow.write_file": "writes any file",
        "tensorflow.gfile": "reads, writes and deletes files",
        "tensorflow.py_function": "runs a Python function inside the graph",
        "tensorflow.numpy_function": "runs a Python function inside the graph",
        "tensorflow.py_func": "runs a Python function inside the graph",
        "tensorflow.print": "writes to any file (output_stream=file://…)",
        "tensorflow.raw_ops": "raw ops, among them ReadFile, WriteFile, PyFunc and Save",
        "tensorflow.load_op_library": "loads native code",
        "tensorflow.load_library": "loads native code",
        "tensorflow.saved_model": "loads and runs another model",
        "tensorflow.summary": "writes event files",
        "tensorflow.compat.v1.io": "reads and writes files",
        "tensorflow.compat.v1.gfile": "reads, writes and deletes files",
        "tensorflow.compat.v1.read_file": "reads any file",
        "tensorflow.compat.v1.write_file": "writes any file",
        "tensorflow.compat.v1.py_func": "runs a Python function inside the graph",
        "tensorflow.compat.v1.load_op_library": "loads native code",
        "tensorflow.python.ops.io_ops": "reads and writes files",
        "tensorflow.python.ops.script_ops": "runs Python functions inside the graph",
        "tensorflow.python.lib.io": "reads and writes files",
        "tensorflow.python.platform.gfile": "reads, writes and deletes files",
        "tensorflow.python.framework.load_library": "loads native code",
        "tensorflow.keras.utils.get_file": "downloads and extracts files",
        "tensorflow.keras.models.load_model": "loads and runs another model",
        "tensorflow.keras.saving": "loads and runs another model",
        "tensorflow.keras.layers.Lambda": "marshalled Python bytecode",
        "tensorflow.python.keras.utils": "downloads files, loads marshalled bytecode",
        "keras.utils.get_file": "downloads and extracts files",
        "keras.utils.data_utils": "downloads and extracts files (get_file)",
        "keras.utils.file_utils": "downloads and extracts files (get_file)",
        "keras.utils.generic_utils": "loads marshalled bytecode (func_load)",
        "keras.utils.load_img": "reads any file",
        "keras.src.utils.file_utils": "downloads and extracts files (get_file)",
        "keras.src.utils.python_utils": "loads marshalled bytecode (func_load)",
        "keras.src.utils.image_utils": "reads and writes files (load_img, save_img)",
        "keras.src.utils.io_utils": "writes files",
        "keras.src.legacy.saving": "loads models and marshalled bytecode",
        "keras.src.saving": "loads models, can switch safe mode off",
        "keras.saving": "loads models, can switch safe mode off",
        "keras.models.load_model": "loads and runs another model",
        "keras.config.enable_unsafe_deserialization": "switches Keras safe mode off",
        "keras.src.backend.common.global_state": "switches Keras safe mode off (set_global_attribute)",
        "keras.layers.Lambda": "marshalled Python bytecode",
        "keras.src.layers.core.lambda_layer": "marshalled Python bytecode",
        "keras.layers.TFSMLayer": "loads and runs a SavedModel from any path",
        "keras.src.export": "loads and runs a SavedModel from any path",
        "keras.layers.TorchModuleWrapper": "unpickles a torch module",
        "keras.src.utils.torch_utils": "unpickles a torch module",
        "tf_keras.utils.get_file": "downloads and extracts files",
        "tf_keras.src.utils.data_utils": "downloads and extracts files (get_file)",
        "tf_keras.src.utils.generic_utils": "loads marshalled bytecode (func_load)",
        "tf_keras.layers.Lambda": "marshalled Python bytecode",
        "tf_keras.models.load_model": "loads and runs another model",
        "tf_keras.src.saving": "loads models and marshalled bytecode",
    ]

    /// Attribute names that reach interpreter internals from any object.
    static let dangerousAttributes: Set<String> = [
        "__builtins__", "__globals__", "__getattribute__", "__getattr__", "__setattr__",
        "__delattr__", "__import__", "__subclasses__", "__class__", "__base__", "__bases__",
        "__mro__", "__dict__", "__code__", "__closure__", "__func__", "__self__", "__reduce__",
        "__reduce_ex__", "__loader__", "__spec__", "__init_subclass__", "__module__",
        "func_globals", "gi_frame", "f_globals", "f_locals", "f_back", "tb_frame", "cr_frame",
    ]

    /// The verdict and, for unsafe callables, why.
    static func classify(module rawModule: String, name: String, policy: ScanPolicy) -> (Verdict, String?) {
        let module = moduleAliases[rawModule] ?? rawModule
        let path = module + "." + name
        // Exact: `numpy.core` + `multiarray._reconstruct` is not the listed module and name.
        if !name.contains("."), safeCallables.contains(path) { return (.safe, nil) }

        let moduleParts = module.split(separator: ".", omittingEmptySubsequences: false)
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        // 3a. A dotted prefix of the whole path (module, submodule, attribute) is unsafe.
        if let reason = unsafePrefix(parts[...]) { return (.unsafe, reason) }
        // 3b. An attribute of the name reaches a dangerous module or dunder:
        //     `numpy` + `os.system`, `numpy` + `__builtins__`.
        for index in moduleParts.count..<parts.count {
            let part = String(parts[index])
            if dangerousAttributes.contains(part) { return (.unsafe, "`\(part)` reaches interpreter internals") }
            if let reason = unsafePrefix(parts[index...]) {
                return (.unsafe, reason)
            }
            if let alias = moduleAliases[part], alias != part,
                let reason = unsafePrefix([Substring(alias)] + parts[(index + 1)...])
            {
                return (.unsafe, reason)
            }
        }
        // Only now: `--allow-global` accepts a callable modelpin does not know, never one it
        // knows to be dangerous (`ScanPolicy.init(allowing:)` refuses to name those).
        if policy.allowedGlobals.contains(rawModule + "." + name) || policy.allowedGlobals.contains(path) {
            return (.safe, nil)
        }
        return (.suspicious, nil)
    }

    /// Why `path` (`module.name`, split anywhere) is dangerous, or nil if no split of it is.
    static func danger(of path: String) -> String? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        for split in 1..<parts.count {
            let module = parts[..<split].joined(separator: ".")
            let name = parts[split...].joined(separator: ".")
            let (verdict, reason) = classify(module: module, name: name, policy: ScanPolicy())
            if verdict == .unsafe { return reason ?? "dangerous" }
        }
        return nil
    }

    private static func unsafePrefix(_ parts: ArraySlice<Substring>) -> String? {
        var prefix = ""
        for part in parts {
            prefix = prefix.isEmpty ? String(part) : prefix + "." + part
            if let reason = unsafePaths[prefix] { return reason }
        }
        return nil
    }
}
