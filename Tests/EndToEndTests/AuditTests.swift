import Foundation
import PinTestSupport
import Testing

/// The audit log through the built binaries: `modelpin audit …` over a log `audit-append`
/// fills, the Python cross-check, concurrent appenders, and kill -9 mid-append.
@Suite struct AuditTests {
    static let appender = ModelpinProcess.binary.deletingLastPathComponent().appendingPathComponent("audit-append")
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Clients/tlog_check.py")

    /// Runs a program to completion: (status, stdout, stderr).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    static func append(_ audit: URL, count: Int, padding: Int = 0) throws {
        let (status, _, stderr) = try run(appender.path, [audit.path, String(count), String(padding)])
        #expect(status == 0, "\(stderr)")
    }

    static func python(_ arguments: [String]) throws -> (Int32, String, String) {
        try run("/usr/bin/env", ["python3", checker.path] + arguments)
    }

    @Test func commandsOverAFilledLog() throws {
        try withTemporaryDirectory { sandbox in
            let modelpin = ModelpinProcess(sandbox: sandbox)
            let audit = sandbox.appendingPathComponent("store/audit")
            try Self.append(audit, count: 20)
            let key = try modelpin.run(["audit", "key"])
            #expect(key.status == 0 && key.stdout.hasPrefix("modelpin-audit/"))
            let verify = try modelpin.run(["audit", "verify"])
            #expect(verify.status == 0 && verify.stdout.contains("ok: 20 entries verified"), "\(verify.stderr)")
            let show = try modelpin.run(["audit", "show", "--since", "1d"])
            #expect(show.status == 0 && show.stdout.split(separator: "\n").count == 20 && show.stdout.hasPrefix("#0 "))
            let none = try modelpin.run(["audit", "show", "--since", "2099-01-01", "--json"])
            #expect(none.status == 0 && none.stdout.contains("\"entries\" : [\n\n  ]") || none.stdout.contains("\"entries\" : []"))

            // A proof, checked by the independent helper from the proof and the entry alone.
            let prove = try modelpin.run(["audit", "prove", "7"])
            #expect(prove.status == 0 && prove.stdout.hasPrefix("c2sp.org/tlog-proof@v1\nindex 7\n"))
            let proofFile = try writeFile(sandbox.appendingPathComponent("7.tlog-proof"), Array(prove.stdout.utf8))
            let lines = try String(contentsOf: audit.appendingPathComponent("entries.jsonl"), encoding: .utf8).split(separator: "\n")
            let entryFile = try writeFile(sandbox.appendingPathComponent("7.json"), Array(lines[7].utf8))
            let checked = try Self.python(["inclusion", proofFile.path, entryFile.path])
            #expect(checked.0 == 0, "\(checked.2)")
            let wrongEntry = try writeFile(sandbox.appendingPathComponent("8.json"), Array(lines[8].utf8))
            #expect(try Self.python(["inclusion", proofFile.path, wrongEntry.path]).0 != 0)
            #expect(try modelpin.run(["audit", "prove", "20"]).status == 64)

            // Save a checkpoint, grow the log, prove consistency (and let Python check it).
            let saved = sandbox.appendingPathComponent("saved.checkpoint")
            try FileManager.default.copyItem(at: audit.appendingPathComponent("checkpoint"), to: saved)
            try Self.append(audit, count: 13)
            let consistency = try modelpin.run(["audit", "consistency", saved.path, "--json"])
            #expect(consistency.status == 0, "\(consistency.stderr)")
            let json = try writeFile(sandbox.appendingPathComponent("consistency.json"), Array(consistency.stdout.utf8))
            let pythonConsistency = try Self.python(["consistency", json.path])
            #expect(pythonConsistency.0 == 0 && pythonConsistency.1 == "ok 20 33\n", "\(pythonConsistency.2)")
            #expect(try modelpin.run(["audit", "verify", "--checkpoint", saved.path]).status == 0)
            let pythonRoot = try Self.python(["checkpoint", audit.path])
            #expect(pythonRoot.0 == 0 && pythonRoot.1 == "ok 33\n", "\(pythonRoot.2)")

            // Tamper: verify exits 1 naming the entry; rewritten history fails consistency.
            var edited = lines.map(String.init) + []
            let all = try String(contentsOf: audit.appendingPathComponent("entries.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
            edited = all
            edited[12] = edited[12].replacingOccurrences(of: "\"ok\"", with: "\"refused\"")
            try Data(edited.map { $0 + "\n" }.joined().utf8).write(to: audit.appendingPathComponent("entries.jsonl"))
            let tampered = try modelpin.run(["audit", "verify"])
            #expect(tampered.status == 1 && tampered.stderr.contains("entry 12 (line 13)"), "\(tampered.stderr)")
            for name in ["entries.jsonl", "offsets", "hashes", "checkpoint"] {
                try FileManager.default.removeItem(at: audit.appendingPathComponent(name))
            }
            try Self.append(audit, count: 40)
            let rewritten = try modelpin.run(["audit", "consistency", saved.path])
            #expect(rewritten.status == 1 && rewritten.stderr.contains("not an append-only extension"), "\(rewritten.stderr)")
        }
    }

    /// Proofs modelpin makes for every index and old size of a 37-entry log match the
    /// independent helper's, and so do the roots of every prefix.
    @Test func pythonCrossCheck() throws {
        try withTemporaryDirectory { sandbox in
            let modelpin = ModelpinProcess(sandbox: sandbox)
            let audit = sandbox.appendingPathComponent("store/audit")
            var checkpoints: [URL] = []
            for size in 1...37 {
                try Self.append(audit, count: 1)
                let copy = sandbox.appendingPathComponent("cp-\(size)")
                try FileManager.default.copyItem(at: audit.appendingPathComponent("checkpoint"), to: copy)
                checkpoints.append(copy)
            }
            let (status, out, err) = try Self.python(["proofs", audit.appendingPathComponent("entries.jsonl").path])
            #expect(status == 0, "\(err)")
            struct Reference: Decodable { let roots: [String]; let inclusion: [[String]]; let consistency: [[String]] }
            let reference = try JSONDecoder().decode(Reference.self, from: Data(out.utf8))
            for index in 0..<37 {
                let proof = try modelpin.run(["audit", "prove", String(index), "--json"])
                struct Proof: Decodable { let hashes: [String] }
                #expect(try JSONDecoder().decode(Proof.self, from: Data(proof.stdout.utf8)).hashes == reference.inclusion[index], "entry \(index)")
            }
            for (offset, checkpoint) in checkpoints.enumerated() {
                let old = offset + 1
                let text = try String(contentsOf: checkpoint, encoding: .utf8)
                #expect(text.split(separator: "\n")[2] == Substring(reference.roots[old]), "root of \(old)")
                let result = try modelpin.run(["audit", "consistency", checkpoint.path, "--json"])
                struct Consistency: Decodable { struct Proof: Decodable { let hashes: [String] }; let proof: Proof }
                #expect(try JSONDecoder().decode(Consistency.self, from: Data(result.stdout.utf8)).proof.hashes == reference.consistency[old], "\(old) → 37")
            }
        }
    }

    @Test func concurrentAppenders() throws {
        try withTemporaryDirectory { sandbox in
            let audit = sandbox.appendingPathComponent("store/audit")
            try Self.append(audit, count: 1)  // the key and name, made once
            let group = DispatchGroup()
            for _ in 0..<4 {
                DispatchQueue.global().async(group: group) {
                    let (status, _, stderr) = (try? Self.run(Self.appender.path, [audit.path, "50", "100"])) ?? (-1, "", "not run")
                    #expect(status == 0, "\(stderr)")
                }
            }
            group.wait()
            let verify = try ModelpinProcess(sandbox: sandbox).run(["audit", "verify"])
            #expect(verify.status == 0 && verify.stdout.contains("ok: 201 entries verified"), "\(verify.stdout) \(verify.stderr)")
        }
    }

    /// kill -9 at random points of appends of large entries: every reopen verifies or reports
    /// the torn tail precisely, and no acknowledged entry is ever lost.
    @Test func killDuringAppend() throws {
        try withTemporaryDirectory { sandbox in
            let modelpin = ModelpinProcess(sandbox: sandbox)
            let audit = sandbox.appendingPathComponent("store/audit")
            var generator = SystemRandomNumberGenerator()
            var acknowledged = 0
            for round in 0..<6 {
                let process = Process()
                process.executableURL = Self.appender
                process.arguments = [audit.path, "0", String(256 << 10), "1"]
                let out = Pipe()
                process.standardOutput = out
                process.standardError = FileHandle.nullDevice
                try process.run()
                usleep(UInt32.random(in: 50_000...400_000, using: &generator))
                kill(process.processIdentifier, SIGKILL)
                let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                if let last = output.split(separator: "\n").last(where: { $0.hasPrefix("appended ") }) {
                    acknowledged = max(acknowledged, Int(last.dropFirst("appended ".count))!)
                }
                let verify = try modelpin.run(["audit", "verify", "--json"])
                #expect(verify.status == 0, "round \(round): \(verify.stderr)")
                struct Result: Decodable { let entries: Int; let tornFiles: [String] }
                let result = try JSONDecoder().decode(Result.self, from: Data(verify.stdout.utf8))
                #expect(result.entries >= acknowledged, "round \(round): \(result.entries) entries, \(acknowledged) acknowledged")
                for file in result.tornFiles {
                    #expect(verify.stderr.contains(file), "round \(round): the torn file is named")
                    let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0
                    #expect(size > 0)
                }
                acknowledged = result.entries
            }
        }
    }
}
