import ArgumentParser
import PinDigest
import PinModel
import PinScan
import PinStore
import PinWorkspace
import SystemPackage

/// `modelpin scan PATH... [--json] [--allow-global MODULE.NAME]`
struct ScanCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan model files for code that runs on load and for invalid structure.",
        discussion: """
            Each file is recognised by its content, never its name: pickles and everything that \
            carries them (PyTorch zip and legacy checkpoints, .npy/.npz object arrays, joblib), \
            safetensors, GGUF, ONNX and Keras. Pickles are analysed without executing anything: \
            every callable they would call is named and judged safe (PyTorch's weights_only \
            allowlist and numpy arrays), unsafe (code execution, processes, files, network, \
            imports…) or suspicious (anything else). Directories are scanned recursively. \
            Chat templates (GGUF, tokenizer_config.json, *.jinja) are checked for sandbox escapes, \
            Hydra/NeMo `_target_` like pickle callables, TensorFlow graphs for PyFunc, ReadFile and \
            WriteFile; *.py files and `auto_map` are `remote-code` (suspicious unless \
            --allow-remote-code). Content in no format modelpin knows is `unsupported`: not \
            checked, listed, and exit 0 unless --strict. Exits 0 only if every file is safe (or \
            unsupported, without --strict).
            """)

    @Argument(help: ArgumentHelp("Files or directories.", valueName: "path"))
    var paths: [String]

    @Option(name: .customLong("allow-global"), help: ArgumentHelp("Accept this callable (exact MODULE.NAME) as safe (repeatable).", valueName: "module.name"))
    var allowedGlobals: [String] = []

    @Flag(help: "Exit 1 for files in no format modelpin recognises (`unsupported`: not checked), too ($MODELPIN_STRICT).")
    var strict = false

    @Flag(help: "Report the repository's own Python (`*.py`, `auto_map`) as `suspicious` without failing on it.")
    var allowRemoteCode = false

    static let remoteCodeWarning = "--allow-remote-code: the repository's own Python (`*.py`, `auto_map`) is admitted; it runs with your privileges when a loader trusts remote code"

    @OptionGroup var concurrency: ConcurrencyOptions
    @OptionGroup var output: OutputOptions

    /// `--allow-global` values: exact `module.name` pairs, never patterns, never a dangerous one.
    static func policy(_ globals: [String]) throws -> ScanPolicy {
        do {
            return try ScanPolicy(allowing: globals)
        } catch {
            throw UsageError(
                message: "cannot accept --allow-global `\(error.global.escapedForDisplay)`: \(error.reason)",
                hint: "--allow-global lifts a `suspicious` verdict for one callable you trust; an `unsafe` file must not be loaded")
        }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        var configured = try Self.policy(allowedGlobals)
        configured.strict = strict || ProjectOptions.environmentFlag("MODELPIN_STRICT")
        configured.allowRemoteCode = allowRemoteCode
        let policy = configured
        if allowRemoteCode { console.warn(Self.remoteCodeWarning) }
        let cwd = ProcessEnvironment.currentDirectory
        var files: [FilePath] = []
        var skipped: [String] = []
        for path in paths {
            try Self.collectNamed(cwd.pushing(FilePath(path)).lexicallyNormalized(), shown: FilePath(path), into: &files, skipped: &skipped)
        }
        if !skipped.isEmpty {
            console.note("skipped \(Format.plural(skipped.count, "entry", "entries")) that \(skipped.count == 1 ? "is" : "are") neither a regular file nor a directory (not followed, not scanned): " + skipped.joined(separator: "; "))
        }
        let reports = DigestConcurrency.map(files, width: concurrency.width) { path -> Result<ScanReport, ScanReadError> in
            Result { () throws(ScanReadError) in
                Scanner.scan(try FileSource(cwd.pushing(path).lexicallyNormalized()), path: path.string, policy: policy)
            }
        }
        var worst = ExitStatus.success
        var results: [ScanReport] = []
        for (file, result) in zip(files, reports) {
            switch result {
            case .success(let report): results.append(report)
            case .failure(let error):
                console.report(ConfigFileError(path: file, what: "file to scan", errno: .ioError))
                console.note("  caused by: \(error)")
                worst = max(worst, .failure)
            }
        }
        if console.json {
            console.out(try Format.json(results))
        } else {
            for report in results {
                console.out("\(report.verdict.rawValue.padding(12))\(report.format.padding(16))\(report.path)")
                for finding in report.findings where finding.verdict != .safe || report.verdict == .safe {
                    var line = "  \(finding.verdict.rawValue): \(finding.detail)"
                    if let member = finding.member { line += " [in \(member)]" }
                    if let offset = finding.offset, !finding.detail.contains("offset \(offset)") { line += " at offset \(offset)" }
                    console.out(line)
                }
            }
            let blocked = results.filter { !policy.admits($0) }.count
            let unchecked = policy.strict ? 0 : results.filter { $0.verdict == .unsupported }.count
            let remoteCode = results.filter { $0.verdict == .suspicious && policy.admits($0) }.count
            var summary = blocked > 0 ? "\(blocked) would be refused" : unchecked + remoteCode == 0 ? "all safe" : "none refused"
            if unchecked > 0 { summary += "; \(unchecked) unsupported (not checked, admitted without --strict)" }
            if remoteCode > 0 { summary += "; \(remoteCode) remote code admitted by --allow-remote-code" }
            console.note("scanned \(Format.plural(results.count, "file")) with \(ScannerIdentity.description): " + summary)
        }
        if results.contains(where: { !policy.admits($0) }) { worst = max(worst, .refused) }
        return worst
    }

    /// A path named on the command line: a regular file or a directory, or an error saying what
    /// it is instead. A symbolic link named here is followed (the user chose it); a FIFO or a
    /// device is refused, never opened for a read that would block or never end.
    static func collectNamed(_ path: FilePath, shown: FilePath, into files: inout [FilePath], skipped: inout [String]) throws {
        let status: Stat
        do {
            status = try Stat(path, followTargetSymlink: true)
        } catch {
            throw ConfigFileError(path: shown, what: "file to scan", errno: error)
        }
        switch status.type {
        case .regular: files.append(shown)
        case .directory: try collectDirectory(path, shown: shown, into: &files, skipped: &skipped)
        default:
            var error = ConfigFileError(path: shown, what: "file to scan", errno: .invalidArgument)
            error.notRegular = RegularFile.label(status.type)
            throw error
        }
    }

    /// Regular files under `path` (recursively; symbolic links are not followed), in order.
    /// Everything else is listed in `skipped`, so the summary says what was not scanned.
    static func collect(_ path: FilePath, shown: FilePath, into files: inout [FilePath], skipped: inout [String]) throws {
        let status: Stat
        do {
            status = try Stat(path, followTargetSymlink: false)
        } catch {
            throw ConfigFileError(path: shown, what: "file to scan", errno: error)
        }
        switch status.type {
        case .regular:
            files.append(shown)
        case .directory:
            try collectDirectory(path, shown: shown, into: &files, skipped: &skipped)
        default:
            // Links, FIFOs, devices, sockets inside a directory: nothing a loader reads as a
            // model there, and a FIFO would block the open. Named, so nothing passes unseen.
            skipped.append("`\(shown)`: \(RegularFile.label(status.type))")
        }
    }

    private static func collectDirectory(_ path: FilePath, shown: FilePath, into files: inout [FilePath], skipped: inout [String]) throws {
        let names: [String]
        do {
            names = try FileSystem.listDirectory(path)
        } catch {
            throw ConfigFileError(path: shown, what: "directory to scan", errno: error)
        }
        for name in names {
            try collect(path.appending(name), shown: shown.appending(name), into: &files, skipped: &skipped)
        }
    }
}
