public import Foundation

/// Debian's skopeo against a test registry: plain http (`--tls-verify=false`), `--creds` when
/// the registry has auth, and confined to `sandbox` (its own HOME, XDG dirs, temp dir, an
/// accept-anything policy and an empty registries.d), so nothing of the user's is read.
public struct RegistrySkopeo: Sendable {
    public static let binary = "/usr/bin/skopeo"
    public let sandbox: URL
    /// `user:password` for the registry, or nil.
    public let credentials: String?

    public init(sandbox: URL, credentials: String? = nil) {
        self.sandbox = sandbox
        self.credentials = credentials
    }

    public struct Outcome: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// `skopeo inspect [--raw] docker://AUTHORITY/REPO:TAG`.
    public func inspect(_ image: String, raw: Bool = false) throws -> Outcome {
        try run(["inspect", "--tls-verify=false"] + (raw ? ["--raw"] : []) + credentialArguments("--creds") + [image])
    }

    /// `skopeo copy SOURCE DESTINATION`, either side `docker://…` (the test registry) or a
    /// local `oci:DIR[:TAG]` / `oci-archive:FILE`. `preserveDigests`: byte-for-byte (skopeo
    /// would otherwise gzip uncompressed layers on the way, changing every digest).
    public func copy(_ source: String, _ destination: String, preserveDigests: Bool = true) throws -> Outcome {
        var arguments = ["copy", "--src-tls-verify=false", "--dest-tls-verify=false"] + (preserveDigests ? ["--preserve-digests"] : [])
        if source.hasPrefix("docker://") { arguments += credentialArguments("--src-creds") }
        if destination.hasPrefix("docker://") { arguments += credentialArguments("--dest-creds") }
        return try run(arguments + [source, destination])
    }

    private func credentialArguments(_ flag: String) -> [String] {
        credentials.map { [flag, $0] } ?? []
    }

    /// Runs skopeo with `arguments` after the global sandboxing flags. Fails clearly when it is
    /// not installed (scripts/setup installs it).
    public func run(_ arguments: [String]) throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw Tmpfs.CommandFailed(command: Self.binary, output: "skopeo is not installed: run scripts/setup")
        }
        let home = sandbox.appendingPathComponent("skopeo-home")
        for name in ["config", "runtime", "tmp", "registries.d"] {
            try FileManager.default.createDirectory(at: home.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        let policy = home.appendingPathComponent("policy.json")
        try Data(#"{"default": [{"type": "insecureAcceptAnything"}]}"#.utf8).write(to: policy)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--policy", policy.path, "--registries.d", home.appendingPathComponent("registries.d").path] + arguments
        process.environment = [
            "PATH": "/usr/bin:/bin", "HOME": home.path, "XDG_CONFIG_HOME": home.appendingPathComponent("config").path,
            "XDG_RUNTIME_DIR": home.appendingPathComponent("runtime").path, "TMPDIR": home.appendingPathComponent("tmp").path,
        ]
        let stdout = home.appendingPathComponent("tmp/stdout")
        let stderr = home.appendingPathComponent("tmp/stderr")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        // Files, not pipes: nothing to drain concurrently, and no deadlock on a chatty run.
        let out = try FileHandle(forWritingTo: stdout)
        let err = try FileHandle(forWritingTo: stderr)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
    }
}
