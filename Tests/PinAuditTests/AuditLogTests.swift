import Foundation
@testable import PinAudit
import PinTestSupport
import SystemPackage
import Testing

/// A log in a temporary directory with entries the tests can edit on disk.
struct LogFixture {
    let directory: URL
    var path: FilePath { FilePath(directory.path) }
    var entriesFile: URL { directory.appendingPathComponent("entries.jsonl") }

    func open(environment: [String: String] = [:]) throws -> AuditLog {
        try AuditLog(directory: path, signer: AuditKeys.signer(directory: path, environment: environment))
    }

    static func entry(_ n: Int, padding: Int = 0) -> CanonicalJSON {
        AuditEntry(
            time: AuditTime(secondsSinceEpoch: 1_796_000_000 + Int64(n)).description, user: "ci", command: "pull", kind: "pulled", outcome: "ok",
            repo: "org/model", commit: String(repeating: "a", count: 40), digests: ["model.safetensors": "sha256:" + String(repeating: "b", count: 64)],
            reasons: padding > 0 ? [String(repeating: "x", count: padding)] : [], extra: ["n": .integer(Int64(n))]
        ).json
    }

    func lines() throws -> [String] {
        try String(contentsOf: entriesFile, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func write(lines: [String]) throws {
        try Data((lines.map { $0 + "\n" }.joined()).utf8).write(to: entriesFile)
    }

    /// The error `verify` of a freshly opened log throws; nil (and a recorded issue) if it passes.
    func verifyFailure(_ label: String) throws -> AuditError? {
        do {
            _ = try open().verify()
            Issue.record("\(label): verify passed")
            return nil
        } catch let error as AuditError {
            return error
        }
    }
}

@Suite struct AuditLogTests {
    @Test func appendsAndVerifies() throws {
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            let log = try fixture.open()
            var last: Checkpoint?
            for n in 0..<10 { last = try log.append([LogFixture.entry(n)]) }
            try log.append([LogFixture.entry(10), LogFixture.entry(11)])
            let checkpoint = try #require(try log.latestCheckpoint())
            #expect(checkpoint.size == 12 && last?.size == 10)
            #expect(checkpoint.text.hasPrefix(log.signer.name + "\n12\n"))
            let result = try fixture.open().verify()
            #expect(result.size == 12 && result.rootHash == checkpoint.rootHash && result.tornFiles.isEmpty)
            var read: [Int] = []
            try log.forEachEntry(from: 3) { index, value throws(AuditError) in
                #expect(value == LogFixture.entry(index))
                read.append(index)
            }
            #expect(read == Array(3..<12))
            // Every entry's proof verifies from the proof text and the entry's bytes alone.
            let lines = try fixture.lines()
            for index in 0..<12 {
                let text = try log.inclusionProof(index: index).text
                let proof = try InclusionProof(parsing: text, verifier: log.verifier)
                #expect(proof.proves(entry: Array(lines[index].utf8)))
                #expect(!proof.proves(entry: Array(lines[(index + 1) % 12].utf8)))
            }
            // An old checkpoint is consistent with the grown log.
            let proof = try log.consistencyProof(from: try #require(last))
            #expect(proof.oldSize == 10 && proof.checkpoint.size == 12)
        }
    }

    /// The tamper table: each edit is caught and the first bad entry named.
    @Test(arguments: [("edited", 3), ("deleted", 4), ("reordered", 2), ("truncated", 8)])
    func namesFirstTamperedEntry(_ label: String, _ first: Int) throws {
        func edit(_ lines: inout [String]) {
            switch label {
            case "edited": lines[3] = lines[3].replacingOccurrences(of: "\"ok\"", with: "\"no\"")
            case "deleted": lines.remove(at: 4)
            case "reordered": lines.swapAt(2, 6)
            default: lines.removeLast(2)
            }
        }
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            try fixture.open().append((0..<10).map { LogFixture.entry($0) })
            var lines = try fixture.lines()
            edit(&lines)
            try fixture.write(lines: lines)
            guard let error = try fixture.verifyFailure(label) else { return }
            guard case .tampered(_, let index, _) = error else { Issue.record("\(label): \(error)"); return }
            #expect(index == first, "\(label): \(error.causes)")
        }
    }

    @Test func namesNonCanonicalLine() throws {
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            try fixture.open().append((0..<6).map { LogFixture.entry($0) })
            var lines = try fixture.lines()
            lines[4] = lines[4].replacingOccurrences(of: "\"v\":1", with: "\"v\": 1")
            try fixture.write(lines: lines)
            guard let error = try fixture.verifyFailure("non-canonical") else { return }
            guard case .badEntry(_, 4, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("whitespace outside a string"))
        }
    }

    /// Entries and hashes rewritten together (the hashes recomputed from edited entries) still
    /// fail against the signed checkpoint, though no single entry can be named.
    @Test func rewrittenHashesFailAgainstCheckpoint() throws {
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            try fixture.open().append((0..<5).map { LogFixture.entry($0) })
            var lines = try fixture.lines()
            lines[1] = lines[1].replacingOccurrences(of: "\"ci\"", with: "\"me\"")
            try fixture.write(lines: lines)
            try FileManager.default.removeItem(at: directory.appendingPathComponent("hashes"))
            guard let error = try fixture.verifyFailure("rewritten hashes") else { return }
            guard case .tampered(_, nil, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("rewritten together"))
        }
    }

    @Test func refusesCheckpointByAnotherKey() throws {
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            let log = try fixture.open()
            try log.append([LogFixture.entry(0)])
            let stranger = try CheckpointSigner(name: log.signer.name, key: .generate())
            let forged = Checkpoint.signed(size: 1, rootHash: try log.root(size: 1), by: stranger)
            #expect(throws: AuditError.self) { _ = try Checkpoint(parsing: forged.text, verifier: log.verifier) }
            try Data(forged.text.utf8).write(to: directory.appendingPathComponent("checkpoint"))
            guard let error = try fixture.verifyFailure("another key") else { return }
            guard case .signature(_, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("not by this log's key"))
        }
    }

    @Test func consistencyCatchesRewrittenHistory() throws {
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            let log = try fixture.open()
            let old = try log.append((0..<7).map { LogFixture.entry($0) })
            // Rewrite the whole log (entries, index, hashes) and re-sign with the same key.
            for name in ["entries.jsonl", "offsets", "hashes", "checkpoint"] {
                try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            }
            let rewritten = try fixture.open()
            try rewritten.append((0..<9).map { LogFixture.entry($0 == 2 ? 99 : $0) })
            #expect(throws: AuditError.self) { _ = try rewritten.consistencyProof(from: old) }
            _ = try rewritten.verify()  // the rewritten log is consistent with itself: only a saved checkpoint shows it
        }
    }

    @Test func tornTailIsMovedAsideAndReported() throws {
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            try fixture.open().append((0..<5).map { LogFixture.entry($0) })
            let handle = try FileHandle(forWritingTo: fixture.entriesFile)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(#"{"command":"pu"#.utf8))
            try handle.close()
            let log = try fixture.open()
            let torn = try #require(log.tornTails.first)
            #expect(torn.entriesBefore == 5 && torn.byteCount == 14 && torn.file.lastComponent?.string == "torn-1")
            #expect(try String(contentsOfFile: torn.file.string, encoding: .utf8) == #"{"command":"pu"#)
            #expect(try fixture.open().tornTails.isEmpty)
            try log.append([LogFixture.entry(5)])
            let result = try log.verify()
            #expect(result.size == 6 && result.tornFiles == [torn.file])
        }
    }

    /// A crash after the entries' fsync leaves index and hashes behind: they are rebuilt.
    @Test func rebuildsIndexAndHashesFromEntries() throws {
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            let log = try fixture.open()
            try log.append((0..<9).map { LogFixture.entry($0) })
            let root = try log.root(size: 9)
            let extra = String(decoding: LogFixture.entry(9).canonicalBytes, as: UTF8.self)
            try fixture.write(lines: try fixture.lines() + [extra])
            let offsets = directory.appendingPathComponent("offsets")
            try Data(try Data(contentsOf: offsets).prefix(8 * 4 + 3)).write(to: offsets)
            let hashes = directory.appendingPathComponent("hashes")
            try Data(try Data(contentsOf: hashes).prefix(32 * 5 + 7)).write(to: hashes)
            let reopened = try fixture.open()
            #expect(try reopened.size() == 10)
            #expect(try reopened.root(size: 9) == root)
            let checkpoint = try reopened.append([LogFixture.entry(10)])
            #expect(checkpoint.size == 11)
            #expect(try reopened.verify().size == 11)
        }
    }

    @Test func keysAndName() throws {
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            let log = try fixture.open()
            let key = directory.appendingPathComponent("key.pem")
            let mode = try FileManager.default.attributesOfItem(atPath: key.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(log.signer.name.hasPrefix("modelpin-audit/"))
            #expect(try fixture.open().verifier == log.verifier)
            // An operator's key, named by the environment.
            let own = directory.appendingPathComponent("own.pem")
            let generated = try Ed25519PrivateKeyFile.write(to: own)
            let other = try fixture.open(environment: [AuditKeys.variable: own.path])
            #expect(other.verifier.publicKey == generated && other.signer.name == log.signer.name)
            // Readable by others: refused.
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: own.path)
            #expect(throws: AuditError.self) { _ = try fixture.open(environment: [AuditKeys.variable: own.path]) }
        }
    }

    @Test func refusesSymlinkedDirectoryAndFiles() throws {
        try withTemporaryDirectory { directory in
            let elsewhere = directory.appendingPathComponent("elsewhere")
            try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
            let linked = directory.appendingPathComponent("audit")
            try FileManager.default.createSymbolicLink(at: linked, withDestinationURL: elsewhere)
            let signer = try AuditKeys.signer(directory: FilePath(elsewhere.path), environment: [:])
            #expect(throws: AuditError.self) { _ = try AuditLog(directory: FilePath(linked.path), signer: signer) }
            // A planted link in place of the entries file is refused, not followed.
            let real = LogFixture(directory: elsewhere)
            try FileManager.default.createSymbolicLink(at: real.entriesFile, withDestinationURL: directory.appendingPathComponent("target"))
            #expect(throws: AuditError.self) { _ = try real.open() }
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("target").path))
        }
    }

    @Test func refusesAppendToTruncatedLog() throws {
        try withTemporaryDirectory { directory in
            let fixture = LogFixture(directory: directory)
            let log = try fixture.open()
            try log.append((0..<4).map { LogFixture.entry($0) })
            try fixture.write(lines: Array(try fixture.lines().prefix(2)))
            #expect(throws: AuditError.truncated(file: FilePath(fixture.entriesFile.path), indexed: 4, present: 2)) {
                try log.append([LogFixture.entry(4)])
            }
        }
    }

    @Test func entrySchemaAndTimes() throws {
        let entry = try AuditEntry(json: LogFixture.entry(3))
        #expect(entry.command == "pull" && entry.extra["n"] == .integer(3))
        #expect(AuditTime(rfc3339: "2026-12-02T16:40:05Z")?.description == "2026-12-02T16:40:05Z")
        #expect(AuditTime(rfc3339: "1970-01-01T00:00:00Z")?.secondsSinceEpoch == 0)
        #expect(AuditTime(rfc3339: "2024-02-29T23:59:59Z") != nil)
        for bad in ["2026-02-29T00:00:00Z", "2026-12-02T16:40:05+01:00", "2026-12-02 16:40:05Z", "2026-13-01T00:00:00Z"] {
            #expect(AuditTime(rfc3339: bad) == nil, "\(bad)")
        }
        #expect(throws: EntrySchemaError.self) { try AuditEntry(json: .object(["v": .integer(1)])) }
    }
}

import PinDigest

enum Ed25519PrivateKeyFile {
    /// A fresh key written as PEM with mode 0600; returns its public key.
    static func write(to url: URL) throws -> Ed25519PublicKey {
        let key = try Ed25519PrivateKey.generate()
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(try key.pem()), attributes: [.posixPermissions: 0o600])
        return key.publicKey
    }
}
