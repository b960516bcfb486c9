public import Foundation

/// Runs the built `modelpin` binary the way a user does, with an environment that points
/// every path (store, home, cache) into the test's own directory.
public struct ModelpinProcess: Sendable {
    public struct Outcome: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        /// Whether the process was killed by a signal rather than exiting.
        public let signaled: Bool
    }

    /// The binary SwiftPM built next to the test bundle (EndToEndTests depends on it), or
    /// `$MODELPIN_BINARY` when set.
    public static let binary: URL = {
        if let override = ProcessInfo.processInfo.environment["MODELPIN_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("modelpin"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("modelpin"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("modelpin"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    public var environment: [String: String]
    public var currentDirectory: URL

    /// A clean environment: PATH, a HOME and MODELPIN_HOME inside `sandbox`, no colour.
    public init(sandbox: URL, store: URL? = nil) {
        currentDirectory = sandbox
        environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": sandbox.appendingPathComponent("home").path,
            "MODELPIN_HOME": (store ?? sandbox.appendingPathComponent("store")).path,
            "LANG": "C.UTF-8",
        ]
    }

    /// A child that stops reading its input early (it refused it, or it was killed) must
    /// give the test an EPIPE to ignore, not a SIGPIPE that kills the whole test run.
    private static let ignoreBrokenPipes: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// Runs `modelpin arguments…` to completion. `stdin` is written in full unless modelpin
    /// exits before reading it all.
    @discardableResult
    public func run(_ arguments: [String], stdin: [UInt8]? = nil) throws -> Outcome {
        let process = try start(arguments, stdinPipe: stdin != nil)
        if let stdin, let handle = process.stdinHandle {
            try? handle.write(contentsOf: Data(stdin))
            try? handle.close()
        }
        return process.wait()
    }

    /// Starts `modelpin arguments…` without waiting.
    public func start(_ arguments: [String], stdinPipe: Bool = false) throws -> Running {
        Self.ignoreBrokenPipes
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = currentDirectory
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        if stdinPipe {
            process.standardInput = Pipe()
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return Running(process: process, stdout: stdout, stderr: stderr)
    }

    /// A started process; its output is collected on background threads so that a chatty
    /// process never blocks on a full pipe.
    public final class Running: @unchecked Sendable {
        // @unchecked: the collectors write their buffers once, before `done` is signalled,
        // and `wait()` reads them only after waiting for it.
        public let process: Process
        private var out = Data()
        private var err = Data()
        private let done = DispatchGroup()

        init(process: Process, stdout: Pipe, stderr: Pipe) {
            self.process = process
            done.enter()
            done.enter()
            DispatchQueue.global().async {
                self.out = stdout.fileHandleForReading.readDataToEndOfFile()
                self.done.leave()
            }
            DispatchQueue.global().async {
                self.err = stderr.fileHandleForReading.readDataToEndOfFile()
                self.done.leave()
            }
        }

        public var stdinHandle: FileHandle? { (process.standardInput as? Pipe)?.fileHandleForWriting }

        public func kill(signal: Int32) {
            Foundation.kill(process.processIdentifier, signal)
        }

        public func wait() -> Outcome {
            process.waitUntilExit()
            done.wait()
            return Outcome(
                status: process.terminationStatus,
                stdout: String(decoding: out, as: UTF8.self),
                stderr: String(decoding: err, as: UTF8.self),
                signaled: process.terminationReason == .uncaughtSignal)
        }
    }
}
