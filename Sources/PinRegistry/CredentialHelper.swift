import Foundation

/// A docker credential helper (`docker-credential-<name>`, found on `PATH`), asked as docker
/// asks it: `get` with the registry on stdin, JSON `{"ServerURL","Username","Secret"}` on
/// stdout. A `Username` of `<token>` means the secret is an identity token.
struct CredentialHelper {
    let name: String

    /// How long a helper may take (one that prompts, e.g. for a gpg passphrase, would hang the pull).
    static let timeout: TimeInterval = 60
    static let outputLimit = 64 << 10

    /// A helper name becomes part of an executable's name: no `/`, nothing odd.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        } && name.first != "."
    }

    var executableName: String { "docker-credential-" + name }

    private struct Answer: Decodable {
        var Username: String?
        var Secret: String?
    }

    /// The helper's credentials for `serverURL`; nil when it has none (it says
    /// "credentials not found").
    func get(serverURL: String, environment: [String: String]) throws(RegistryError) -> RegistryCredentials? {
        let source = "`\(executableName)`"
        guard let executable = locate(environment: environment) else {
            throw .credentials(source: source, reason: "it is not on PATH")
        }
        let (status, output) = try run(executable, input: serverURL, environment: environment, source: source)
        guard status == 0 else {
            // Helpers report a missing entry with this text (docker-credential-helpers'
            // credentials.errCredentialsNotFound) and exit 1.
            if String(decoding: output, as: UTF8.self).lowercased().contains("credentials not found") { return nil }
            throw .credentials(source: source, reason: "`get` exited with status \(status)")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(output)), let secret = answer.Secret, !secret.isEmpty else {
            throw .credentials(source: source, reason: "its answer is not JSON with a `Secret`")
        }
        if answer.Username == "<token>" {
            return RegistryCredentials(username: nil, password: nil, identityToken: secret, source: source)
        }
        guard let user = answer.Username, !user.isEmpty else {
            throw .credentials(source: source, reason: "its answer has no `Username`")
        }
        return RegistryCredentials(username: user, password: secret, source: source)
    }

    func locate(environment: [String: String]) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = directory + "/" + executableName
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs the helper; its stderr is discarded (it may echo what it was asked), its stdout
    /// (the secret) is never put into an error.
    private func run(_ executable: String, input: String, environment: [String: String], source: String) throws(RegistryError) -> (Int32, [UInt8]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .credentials(source: source, reason: "cannot run it: \(error.localizedDescription)")
        }
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(Self.timeout)
        // Read on this thread while the helper runs (a full pipe would block it); the
        // watchdog ends a helper that outlives the timeout, which ends the read too.
        let watchdog = Thread {
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { process.terminate() }
        }
        watchdog.start()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if Date() >= deadline { throw .credentials(source: source, reason: "it did not answer within \(Int(Self.timeout)) seconds") }
        guard data.count <= Self.outputLimit else { throw .credentials(source: source, reason: "its answer is larger than \(Self.outputLimit) bytes") }
        return (process.terminationStatus, Array(data))
    }
}
