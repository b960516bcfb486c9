import ArgumentParser
import PinModel
import PinStore
import SystemPackage
import Testing

@testable import PinCLI

@Suite("Command-line values")
struct ParseTests {
    @Test(arguments: [("0", 0), ("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172_800)] as [(String, Int64)])
    func readsDurations(_ text: String, _ seconds: Int64) throws {
        #expect(try Parse.duration(text, for: "--grace") == seconds)
    }

    @Test(arguments: ["", "h", "-1h", "1w", "1.5h", "99999999999999999999d"])
    func refusesBadDurationsAsUsageErrors(_ text: String) {
        #expect {
            try Parse.duration(text, for: "--grace")
        } throws: { error in
            (error as? UsageError)?.kind == .usage && (error as? UsageError)?.hint?.contains("30m") == true
        }
    }

    @Test func suggestsTheRightDigestSpelling() throws {
        let hex = String(repeating: "ab", count: 32)
        let error = try #require(throws: UsageError.self) { try Parse.digest(hex, for: "--expect") }
        #expect(error.description.contains("--expect"))
        #expect(error.hint == "did you mean `sha256:\(hex)`?")
        let other = try #require(throws: UsageError.self) { try Parse.digest("md5:abc", for: "--expect") }
        #expect(other.hint?.contains("modelpin hash") == true)
    }
}

@Suite("Output")
struct OutputTests {
    @Test(arguments: [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (2 << 30, "2.0 GiB"), (5 << 40, "5.0 TiB")] as [(Int64, String)])
    func formatsByteCounts(_ count: Int64, _ text: String) {
        #expect(Format.bytes(count) == text)
    }

    @Test func rendersErrorCausesAndHintsWithoutColour() {
        let console = Console(json: false, colorErrors: false)
        let error = StoreError.notWritable("/ro/store", .readOnlyFileSystem)
        #expect(console.render(error) == """
            error: the store at `/ro/store` is not writable
              caused by: Read-only file system
            hint: use a writable location: set MODELPIN_HOME or pass --home

            """)
    }

    @Test func coloursOnlyWhenAskedAndNeverWithNoColor() {
        let coloured = Console(json: false, colorErrors: true).render(UsageError(message: "bad", hint: "fix"))
        #expect(coloured.contains("\u{1B}[1;31merror:\u{1B}[0m bad"))
        #expect(!Console.wantsColor(descriptor: 0, environment: ["NO_COLOR": "1"]))
        #expect(!Console.wantsColor(descriptor: 0, environment: ["TERM": "dumb"]))
    }

    @Test func mapsErrorKindsToExitCodes() {
        #expect(ExitStatus(for: StoreError.blobNotFound(SHA256Digest(bytes: Array(repeating: 0, count: 32))!)) == .refused)
        #expect(ExitStatus(for: StoreError.diskFull(directory: "/s", .noSpace)) == .failure)
        #expect(ExitStatus(for: UsageError(message: "x", hint: nil)) == .usage)
        #expect(ExitStatus(for: CancellationError()) == .failure)
        #expect(max(ExitStatus.refused, .failure) == .failure)
    }
}

@Suite("Command structure")
struct CommandTests {
    @Test func parsesNestedStoreCommands() throws {
        let command = try Modelpin.parseAsRoot(["store", "add", "a.bin", "--expect", "sha256:00", "--home", "/s", "--json"])
        let add = try #require(command as? StoreAddCommand)
        #expect(add.files == ["a.bin"])
        #expect(add.expect == "sha256:00")
        #expect(add.store.home == "/s")
        #expect(add.output.json)
    }

    @Test func documentsExitCodesInHelp() {
        let help = Modelpin.helpMessage()
        for line in ["0   success", "1   refused by a check", "2   operational error", "64  usage error", "MODELPIN_HOME", "NO_COLOR"] {
            #expect(help.contains(line))
        }
    }

    @Test func versionNamesTheLinkedLibraries() {
        let version = Modelpin.versionText()
        #expect(version.hasPrefix("modelpin \(Modelpin.version)\n"))
        #expect(version.contains("libcurl 7.") || version.contains("libcurl 8."))
        #expect(version.contains("OpenSSL 3"))
        #expect(version.contains("gpgme 1."))
    }
}
