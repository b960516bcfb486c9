public import Foundation
import PinDigest
import PinModel

#if canImport(Glibc)
import Glibc
#endif

/// The real Python clients (huggingface_hub, hf_xet, transformers, safetensors, tokenizers) in a
/// venv the tests create themselves, pinned by `Tests/Clients/requirements.txt`: `PythonVenv.huggingFace`.
public enum PythonClients {
    public typealias Failure = PythonVenv.Failure

    /// False only when `MODELPIN_SKIP_PYTHON_CLIENTS=1`: a machine without python3 or PyPI
    /// skips the client tests by saying so, never silently.
    public static var enabled: Bool { ProcessInfo.processInfo.environment["MODELPIN_SKIP_PYTHON_CLIENTS"] != "1" }

    public static var requirements: URL { PythonVenv.huggingFace.requirements }

    /// The venv's python, creating the venv first if this requirements file has none yet.
    public static func python() throws -> String { try PythonVenv.huggingFace.python() }

    /// `PythonVenv.run` in the Hugging Face clients' venv.
    public static func run(
        _ script: String, arguments: [String] = [], environment: [String: String] = [:]
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        try PythonVenv.huggingFace.run(script, arguments: arguments, environment: environment)
    }
}

/// A venv of real Python packages the tests create themselves, pinned by one requirements file.
/// Each set of clients has its own (their pins may conflict): the Hugging Face clients, and
/// OpenSSF's `model_signing`, and CycloneDX's validator.
///
/// The venv lives in the package's own `.build/<name>-<first 12 hex of the file's SHA-256>`:
/// made once per requirements file, kept across runs, shared by every test process (a file lock
/// serialises its creation) and used only when complete (a marker written last). Scripts and
/// tools run with only the environment a test gives, plus a PATH and a HOME inside a fresh temp
/// directory: a test can never read the user's home, their HF cache or their token, and never
/// sends telemetry.
public struct PythonVenv: Sendable {
    /// Why the clients are not available, with what to do about it.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The venv directory's name before its hash.
    public let name: String
    public let requirements: URL

    public static let huggingFace = PythonVenv(name: "clients-venv", requirements: "Tests/Clients/requirements.txt")
    /// `model_signing` (sigstore/model-transparency), for the `model.sig` tests.
    public static let modelSigning = PythonVenv(name: "model-signing-venv", requirements: "Tests/Clients/model-signing-requirements.txt")
    /// cyclonedx-python-lib and its validator's dependencies (the SBOM tests validate every BOM
    /// they write with it).
    public static let cycloneDX = PythonVenv(name: "cyclonedx-venv", requirements: "Tests/Clients/cyclonedx-requirements.txt")

    init(name: String, requirements: String) {
        self.name = name
        self.requirements = Self.packageRoot.appendingPathComponent(requirements)
    }

    /// The package root: this file is `<root>/Sources/PinTestSupport/PythonClients.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The venv's python, creating the venv first if this requirements file has none yet.
    public func python() throws -> String {
        let requirementsBytes: [UInt8]
        do {
            requirementsBytes = Array(try Data(contentsOf: requirements))
        } catch {
            throw Failure(description: "cannot read \(requirements.path): \(error)")
        }
        var hasher = SHA256()
        hasher.update(requirementsBytes)
        let tag = String(hasher.finalize().hex.prefix(12))
        let build = Self.packageRoot.appendingPathComponent(".build")
        let venv = build.appendingPathComponent("\(name)-\(tag)")
        let python = venv.appendingPathComponent("bin/python").path
        let marker = venv.appendingPathComponent(".modelpin-complete")
        if FileManager.default.fileExists(atPath: marker.path) { return python }

        try FileManager.default.createDirectory(at: build, withIntermediateDirectories: true)
        // Another test process may be creating the same venv: wait for it, then use its work.
        let lock = open(build.appendingPathComponent("\(name)-\(tag).lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw Failure(description: "cannot open the venv's lock file in \(build.path): errno \(errno)") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw Failure(description: "cannot lock the venv's lock file: errno \(errno)") }
        }
        if FileManager.default.fileExists(atPath: marker.path) { return python }

        // A venv without its marker is what a killed creation left: start over.
        removeTree(venv)
        guard let system = Self.findExecutable("python3") else {
            throw Failure(description: "python3 is not installed; the client tests need it (scripts/setup installs it)")
        }
        try Self.step([system, "-m", "venv", venv.path], "creating a venv with \(system)")
        try Self.step(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "-r", requirements.path],
            "installing \(requirements.path) from PyPI (is PyPI reachable? pip honours PIP_INDEX_URL and a proxy)")
        do {
            try Data(tag.utf8).write(to: marker)
        } catch {
            throw Failure(description: "cannot write \(marker.path): \(error)")
        }
        return python
    }

    /// Runs `script` (Python source, as `python -c`: `sys.argv[1:]` is `arguments`) with the
    /// venv's python, in the environment `tool` describes.
    public func run(
        _ script: String, arguments: [String] = [], environment: [String: String] = [:]
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let python = try python()
        return try Self.isolated(python, ["-c", script] + arguments, environment: environment)
    }

    /// Runs one of the venv's console scripts (`bin/NAME`, `model_signing` say) with `arguments`.
    /// The environment is `environment` plus `PATH` (the venv's bin, /usr/bin, /bin), a `HOME`
    /// in a fresh temp directory (removed afterwards) and `HF_HUB_DISABLE_TELEMETRY=1`; nothing
    /// of this process's environment leaks in.
    public func tool(
        _ name: String, _ arguments: [String], environment: [String: String] = [:]
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let bin = URL(fileURLWithPath: try python()).deletingLastPathComponent()
        return try Self.isolated(bin.appendingPathComponent(name).path, arguments, environment: environment)
    }

    static func isolated(
        _ executable: String, _ arguments: [String], environment: [String: String]
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        try withTemporaryDirectory("modelpin-python-home") { home in
            var variables = environment
            variables["PATH"] = URL(fileURLWithPath: executable).deletingLastPathComponent().path + ":/usr/bin:/bin"
            variables["HOME"] = home.path
            variables["HF_HUB_DISABLE_TELEMETRY"] = "1"
            return try execute([executable] + arguments, environment: variables)
        }
    }

    // MARK: Parts

    /// Runs one setup step; a failure carries the step and the end of its output.
    static func step(_ command: [String], _ what: String) throws {
        // pip needs this process's own settings (index, proxy, certificates).
        let outcome = try execute(command, environment: ProcessInfo.processInfo.environment)
        guard outcome.status == 0 else {
            let output = (outcome.stdout + outcome.stderr).split(separator: "\n").suffix(15).joined(separator: "\n")
            throw Failure(description: "\(what) failed (exit \(outcome.status)):\n\(output)")
        }
    }

    static func execute(_ command: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes drained at once, so a chatty child never blocks on a full one.
        nonisolated(unsafe) var stdout = Data()
        nonisolated(unsafe) var stderr = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { stdout = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { stderr = err.fileHandleForReading.readDataToEndOfFile() }
        process.waitUntilExit()
        group.wait()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
