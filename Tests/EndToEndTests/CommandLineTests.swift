import Foundation
import PinTestSupport
import Testing

@Suite("modelpin hash, help, version and usage errors")
struct CommandLineTests {
    @Test func hashPrintsDigestsInOrderLikeSha256sum() throws {
        try Sandbox.with { sandbox throws in
            let files = try (0..<5).map { index in
                try sandbox.file("f\(index).bin", pseudoRandomBytes(count: 200_000 * index + 1, seed: UInt64(index)))
            }
            let outcome = try sandbox.modelpin.run(["hash"] + files.map(\.lastPathComponent))
            #expect(outcome.status == 0)
            let expected = try files.map { "sha256:\(sha256Hex(try Data(contentsOf: $0)))  \($0.lastPathComponent)" }
            #expect(outcome.stdout == expected.joined(separator: "\n") + "\n")
            #expect(outcome.stderr.isEmpty)
        }
    }

    @Test func hashReportsUnreadableFilesAndStillHashesTheRest() throws {
        try Sandbox.with { sandbox throws in
            try sandbox.file("good", Array("good".utf8))
            try FileManager.default.createDirectory(at: sandbox.directory.appendingPathComponent("dir"), withIntermediateDirectories: false)
            let outcome = try sandbox.run("hash", "missing", "good", "dir")
            #expect(outcome.status == 2)
            #expect(outcome.stdout == "sha256:\(sha256Hex(Data("good".utf8)))  good\n")
            #expect(outcome.stderr.contains("error: no such file: `missing`"))
            #expect(outcome.stderr.contains("error: `dir` is a directory, not a file"))
            #expect(!outcome.stderr.contains("\u{1B}["))
        }
    }

    @Test func hashReadsStandardInputAndSpeaksJSON() throws {
        try Sandbox.with { sandbox throws in
            let data = pseudoRandomBytes(count: 3 << 20, seed: 4)
            let plain = try sandbox.run("hash", "-", stdin: data)
            #expect(plain.stdout == "sha256:\(sha256Hex(Data(data)))  -\n")

            try sandbox.file("a", data)
            let outcome = try sandbox.run("hash", "--json", "a")
            let entries = try #require(try json(outcome.stdout) as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(entries[0]["path"] as? String == "a")
            #expect(entries[0]["digest"] as? String == "sha256:" + sha256Hex(Data(data)))
            #expect(entries[0]["size"] as? Int == data.count)
        }
    }

    @Test func versionAndHelpSayWhatUsersNeed() throws {
        try Sandbox.with { sandbox throws in
            let version = try sandbox.run("--version")
            #expect(version.status == 0)
            #expect(version.stdout.hasPrefix("modelpin "))
            for library in ["libcurl", "OpenSSL", "gpgme"] { #expect(version.stdout.contains(library)) }

            let help = try sandbox.run("--help")
            #expect(help.status == 0)
            #expect(help.stdout.contains("64  usage error"))
            #expect(help.stdout.contains("store"))
        }
    }

    @Test func malformedDigestsAreUsageErrorsWithAHint() throws {
        try Sandbox.with { sandbox throws in
            try sandbox.file("a", Array("a".utf8))
            let hex = String(repeating: "0", count: 64)
            let bare = try sandbox.run("store", "add", "a", "--expect", hex)
            #expect(bare.status == 64)
            #expect(bare.stderr.contains("error: invalid digest for --expect"))
            #expect(bare.stderr.contains("hint: did you mean `sha256:\(hex)`?"))

            let short = try sandbox.run("store", "path", "sha256:abc")
            #expect(short.status == 64)
            #expect(short.stderr.contains("expected 64 hex digits after `sha256:`, found 3"))

            let unknown = try sandbox.run("store", "add", "--frobnicate")
            #expect(unknown.status == 64)
            // Nothing was created for a command that never ran.
            #expect(!FileManager.default.fileExists(atPath: sandbox.store.path))
        }
    }

    @Test func coloursErrorsOnATerminalUnlessNoColorIsSet() throws {
        try Sandbox.with { sandbox throws in
            func onTerminal(_ environment: [String: String]) throws -> String {
                // script(1) runs the command on a pseudo-terminal.
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
                process.arguments = ["-qec", "\(ModelpinProcess.binary.path) hash does-not-exist", "/dev/null"]
                process.environment = sandbox.modelpin.environment.merging(environment) { $1 }
                process.currentDirectoryURL = sandbox.directory
                let output = Pipe()
                process.standardOutput = output
                process.standardInput = FileHandle.nullDevice
                try process.run()
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                return text
            }
            #expect(try onTerminal(["TERM": "xterm"]).contains("\u{1B}[1;31merror:"))
            let plain = try onTerminal(["TERM": "xterm", "NO_COLOR": "1"])
            #expect(plain.contains("error: no such file"))
            #expect(!plain.contains("\u{1B}["))
        }
    }
}
