import Foundation
import PinTestSupport
import Testing

@Suite("Crashes, races, full disks and read-only stores")
struct RobustnessTests {
    @Test func aKilledIngestLeavesNothingUnderAFinalNameAndARerunSucceeds() throws {
        try Sandbox.with { sandbox throws in
            let data = pseudoRandomBytes(count: 64 << 20, seed: 21)
            let running = try sandbox.modelpin.start(["store", "add", "-"], stdinPipe: true)
            let stdin = try #require(running.stdinHandle)
            // Feed half of a large stream, wait until it is being written, then SIGKILL.
            try stdin.write(contentsOf: Data(data[0..<(32 << 20)]))
            let tmp = sandbox.store.appendingPathComponent("tmp")
            var partial: UInt64 = 0
            for _ in 0..<500 where partial < 16 << 20 {
                for name in sandbox.names(tmp) {
                    let size = (try? FileManager.default.attributesOfItem(atPath: tmp.appendingPathComponent(name).path)[.size] as? UInt64) ?? 0
                    partial = max(partial, size)
                }
                usleep(10_000)
            }
            #expect(partial >= 16 << 20, "the ingest never got going")
            running.kill(signal: SIGKILL)
            try? stdin.close()
            let killed = running.wait()
            #expect(killed.signaled)

            #expect(sandbox.names(sandbox.blobs).isEmpty)
            #expect(sandbox.names(tmp).allSatisfy { $0.hasSuffix(".part") })
            let verify = try sandbox.run("store", "verify", "--contents")
            #expect(verify.status == 0)
            #expect(verify.stderr.contains("1 temp file"))

            let rerun = try sandbox.run("store", "add", "-", stdin: data)
            #expect(rerun.status == 0)
            #expect(rerun.stdout == "sha256:\(sha256Hex(Data(data)))  -\n")
            try sandbox.expectEveryBlobMatchesItsName()
            // The interrupted write's leftovers go with the next GC past the grace period.
            #expect(try sandbox.run("store", "gc", "--grace", "0").status == 0)
            #expect(sandbox.names(tmp).isEmpty)
        }
    }

    @Test(arguments: [true, false])
    func twoProcessesAddingTheSameContentBothSucceed(withExpectedDigest: Bool) throws {
        try Sandbox.with { sandbox throws in
            let data = pseudoRandomBytes(count: 48 << 20, seed: 22)
            try sandbox.file("big.bin", data)
            let digest = "sha256:" + sha256Hex(Data(data))
            let arguments = ["store", "add", "big.bin"] + (withExpectedDigest ? ["--expect", digest] : [])
            let processes = try (0..<3).map { _ in try sandbox.modelpin.start(arguments) }
            for outcome in processes.map({ $0.wait() }) {
                #expect(outcome.status == 0, "\(outcome.stderr)")
                #expect(outcome.stdout == "\(digest)  big.bin\n")
            }
            #expect(sandbox.names(sandbox.blobs) == [String(digest.dropFirst(7))])
            #expect(sandbox.names(sandbox.store.appendingPathComponent("tmp")).isEmpty)
            try sandbox.expectEveryBlobMatchesItsName()
        }
    }

    @Test func aFullDiskGivesACleanErrorAndLeavesNoTempFile() throws {
        try Tmpfs.with(sizeKiB: 8 * 1024) { tmpfs throws in
            try Sandbox.with(store: tmpfs.mountPoint.appendingPathComponent("store")) { sandbox throws in
                let small = pseudoRandomBytes(count: 1 << 20, seed: 23)
                try sandbox.file("small.bin", small)
                #expect(try sandbox.run("store", "add", "small.bin").status == 0)

                // Known size: refused before a byte is written.
                try sandbox.file("big.bin", pseudoRandomBytes(count: 16 << 20, seed: 24))
                let upfront = try sandbox.run("store", "add", "big.bin")
                #expect(upfront.status == 2)
                #expect(upfront.stderr.contains("error: not enough free space in `\(sandbox.store.path)/tmp`"))
                #expect(upfront.stderr.contains("hint: nothing was stored"))

                // Unknown size (a pipe): the disk fills mid-write.
                let streamed = try sandbox.run("store", "add", "-", stdin: pseudoRandomBytes(count: 16 << 20, seed: 25))
                #expect(streamed.status == 2)
                #expect(streamed.stderr.contains("error: the filesystem holding `\(sandbox.store.path)` is full"))
                #expect(streamed.stderr.contains("caused by: No space left on device"))

                #expect(sandbox.names(sandbox.store.appendingPathComponent("tmp")).isEmpty)
                #expect(sandbox.names(sandbox.blobs) == [sha256Hex(Data(small))])
                #expect(try sandbox.run("store", "verify", "--contents").status == 0)
            }
        }
    }

    @Test func aReadOnlyStoreCanBeReadButNotWritten() throws {
        try Tmpfs.with(sizeKiB: 4 * 1024) { tmpfs throws in
            try Sandbox.with(store: tmpfs.mountPoint.appendingPathComponent("store")) { sandbox throws in
                try sandbox.file("a.bin", Array("kept".utf8))
                try sandbox.file("b.bin", Array("refused".utf8))
                #expect(try sandbox.run("store", "add", "a.bin").status == 0)
                try tmpfs.makeReadOnly()

                let add = try sandbox.run("store", "add", "b.bin")
                #expect(add.status == 2)
                #expect(add.stderr.contains("error: the store at `\(sandbox.store.path)` is not writable"))
                #expect(add.stderr.contains("caused by: Read-only file system"))
                #expect(add.stderr.contains("hint: use a writable location"))

                #expect(try sandbox.run("store", "ls").stdout.contains("sha256:\(sha256Hex(Data("kept".utf8)))"))
                #expect(try sandbox.run("store", "verify", "--contents").status == 0)
                #expect(try sandbox.run("store", "gc").status == 2)
            }
        }
    }
}
