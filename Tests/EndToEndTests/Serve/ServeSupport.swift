import Foundation
import PinTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A running `modelpin serve --listen 127.0.0.1:0` (the built binary), its access log in a file
/// and its stdout and stderr in files, so a test can read them while it runs. Stopped with
/// SIGTERM by `stop()`, or by `with`'s cleanup when a test fails first.
final class MirrorServer {
    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    let process: Process
    /// `http://127.0.0.1:PORT`, as the server printed it.
    let url: String
    let accessLog: URL
    let stdoutFile: URL
    let stderrFile: URL

    /// Starts `modelpin serve --listen 127.0.0.1:0 --access-log FILE ARGS…` with `sandbox`'s
    /// environment (its store) plus `environment`, and waits for `listening on URL`.
    init(_ sandbox: Sandbox, name: String = "serve", arguments: [String] = [], environment: [String: String] = [:]) throws {
        accessLog = sandbox.directory.appendingPathComponent("\(name)-access.jsonl")
        stdoutFile = sandbox.directory.appendingPathComponent("\(name).stdout")
        stderrFile = sandbox.directory.appendingPathComponent("\(name).stderr")
        for file in [stdoutFile, stderrFile] {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
        let process = Process()
        process.executableURL = ModelpinProcess.binary
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--access-log", accessLog.path] + arguments
        process.environment = sandbox.modelpin.environment.merging(environment) { $1 }
        process.currentDirectoryURL = sandbox.directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        self.process = process

        // The bound address is the first stdout line; a server that exits first says why on stderr.
        let deadline = Date().addingTimeInterval(60)
        var found: String?
        while found == nil {
            let text = (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                found = String(line.dropFirst("listening on ".count))
            } else if !process.isRunning || Date() > deadline {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                let stderr = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
                throw StartFailure(description: "modelpin serve did not start (exit \(process.terminationStatus)):\n\(stderr)")
            } else {
                usleep(20_000)
            }
        }
        url = found!
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// SIGTERM, then waits: a server drains and exits 0.
    @discardableResult
    func stop() -> (status: Int32, stderr: String) {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return (process.terminationStatus, stderr)
    }

    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    /// The access log's lines, parsed. The server writes them off its event loops, so a line
    /// can land a moment after its answer: this waits until `atLeast` lines are there (1 s at most).
    func accessEntries(atLeast: Int = 0) -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(1)
        while true {
            let text = (try? String(contentsOf: accessLog, encoding: .utf8)) ?? ""
            let entries = text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            if entries.count >= atLeast || Date() > deadline { return entries }
            usleep(20_000)
        }
    }

    /// `GET path` with curl (independent of modelpin and of the Python clients).
    func get(_ path: String, headers: [String] = []) throws -> (status: Int, body: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", "30"]
            + headers.flatMap { ["-H", $0] } + [url + path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let newline = data.lastIndex(of: UInt8(ascii: "\n")) else { return (0, data) }
        let status = Int(String(decoding: data[(newline + 1)...], as: UTF8.self)) ?? 0
        return (status, data[..<newline])
    }

    /// The value of the Prometheus sample `name{labels}` in /metrics (0 when absent).
    func metric(_ name: String, labels: [String: String] = [:], headers: [String] = []) throws -> Double {
        let text = String(decoding: try get("/metrics", headers: headers).body, as: UTF8.self)
        var total = 0.0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            let seriesName = series.split(separator: "{").first.map(String.init) ?? ""
            guard seriesName == name else { continue }
            let matches = labels.allSatisfy { series.contains("\($0.key)=\"\($0.value)\"") }
            if matches { total += Double(line[line.index(after: space)...]) ?? 0 }
        }
        return total
    }
}

/// A fake Hub, a sandbox whose store was filled by a real `modelpin pull` from it, and a
/// `modelpin serve` over that store.
struct MirrorSandbox {
    let env: HubSandbox
    let server: MirrorServer

    var sandbox: Sandbox { env.sandbox }
    var directory: URL { env.directory }

    /// Pulls each of `pulls` (`repo` or `repo@rev`) from the fake Hub, then serves the store.
    static func with<T>(
        repos: [FakeHub.Repo], pulls: [String], serveArguments: [String] = [], serveEnvironment: [String: String] = [:],
        _ body: (MirrorSandbox) throws -> T
    ) throws -> T {
        try HubSandbox.with(repos: repos) { env throws in
            for (index, name) in pulls.enumerated() {
                let pulled = try env.pull(name, "--to", "pulled-\(index)")
                try #require(pulled.status == 0, "pull \(name): \(pulled.stderr)")
            }
            let server = try MirrorServer(env.sandbox, arguments: serveArguments, environment: serveEnvironment)
            defer { server.stop() }
            return try body(MirrorSandbox(env: env, server: server))
        }
    }

    /// The store's blob named by the SHA-256 of `bytes`: the bytes a client must receive.
    func storeBlob(for bytes: [UInt8]) throws -> Data {
        try Data(contentsOf: sandbox.blobs.appendingPathComponent(sha256Hex(Data(bytes))))
    }
}

/// Bytes of a `FakeHub.File` held in memory.
func bytes(of file: FakeHub.File) -> [UInt8] {
    if case .bytes(let bytes) = file.content { return bytes }
    return []
}

/// A Python helper every serve client script starts with: `facts` collects results, `catch`
/// names the huggingface_hub exception a call raised (the most specific of the Hub's 404
/// family), and an audit hook records every socket connection and name lookup the process
/// makes, so a test can check that nothing left 127.0.0.1.
let pythonPrelude = """
    import json, os, sys, socket
    connections = []
    def audit(event, args):
        if event == "socket.connect":
            address = args[1]
            connections.append(address[0] if isinstance(address, tuple) else str(address))
        elif event == "socket.getaddrinfo":
            connections.append("lookup:" + str(args[0]))
    sys.addaudithook(audit)
    import huggingface_hub, hf_xet
    from huggingface_hub import errors
    facts = {"hf_xet": hf_xet.__name__}
    def catch(call):
        try:
            call()
        except errors.GatedRepoError:
            return "GatedRepoError"
        except errors.RepositoryNotFoundError:
            return "RepositoryNotFoundError"
        except errors.RevisionNotFoundError:
            return "RevisionNotFoundError"
        except errors.EntryNotFoundError:
            return "EntryNotFoundError"
        except errors.HfHubHTTPError as error:
            return "HfHubHTTPError %s" % (error.response.status_code if error.response is not None else "")
        except Exception as error:
            return type(error).__name__
        return "ok"
    def done():
        facts["connections"] = sorted(set(connections))
        print(json.dumps(facts))

    """

/// Runs `script` (after `pythonPrelude`) with `HF_ENDPOINT` at `server` and a client cache in
/// `cache`, and parses the JSON object it printed last.
func runClient(
    _ script: String, server: MirrorServer, cache: URL, arguments: [String] = [], environment: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> [String: Any] {
    var variables = ["HF_ENDPOINT": server.url, "HF_HUB_CACHE": cache.path, "HF_HUB_DISABLE_PROGRESS_BARS": "1"]
    variables.merge(environment) { $1 }
    let result = try PythonClients.run(pythonPrelude + script, arguments: arguments, environment: variables)
    try #require(result.status == 0, "python: \(result.stderr)\nserver: \(server.stderr)", sourceLocation: sourceLocation)
    let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
    return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "\(result.stdout)", sourceLocation: sourceLocation)
}

/// Every address a client script connected to or looked up is the loopback.
func expectOnlyLoopback(_ facts: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
    let connections = facts["connections"] as? [String] ?? ["missing"]
    #expect(!connections.isEmpty, "the script made no connection at all", sourceLocation: sourceLocation)
    for address in connections {
        #expect(address == "127.0.0.1" || address == "lookup:127.0.0.1", "a request left the loopback: \(address)", sourceLocation: sourceLocation)
    }
}
