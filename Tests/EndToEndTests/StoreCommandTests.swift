import Foundation
import PinTestSupport
import Testing

@Suite("modelpin store")
struct StoreCommandTests {
    @Test func addPathListPinVerifyAndCollect() throws {
        try Sandbox.with { sandbox throws in
            let weights = pseudoRandomBytes(count: 1 << 20, seed: 11)
            let config = Array(#"{"model_type": "bert"}"#.utf8)
            try sandbox.file("model.safetensors", weights)
            try sandbox.file("config.json", config)
            let weightsDigest = "sha256:" + sha256Hex(Data(weights))
            let configDigest = "sha256:" + sha256Hex(Data(config))

            let add = try sandbox.run("store", "add", "model.safetensors", "config.json")
            #expect(add.status == 0)
            #expect(add.stdout == "\(weightsDigest)  model.safetensors\n\(configDigest)  config.json\n")
            #expect(add.stderr.contains("added 2 blobs (1.0 MiB)"))

            let again = try sandbox.run("store", "add", "config.json", "--expect", configDigest, "--json")
            let added = try #require(try json(again.stdout) as? [[String: Any]])
            #expect(added.first?["outcome"] as? String == "present")

            let path = try sandbox.run("store", "path", weightsDigest)
            #expect(path.status == 0)
            let blob = path.stdout.trimmingCharacters(in: .newlines)
            #expect(blob == sandbox.blobs.appendingPathComponent(String(weightsDigest.dropFirst(7))).path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: blob)) == Data(weights))
            #expect((try FileManager.default.attributesOfItem(atPath: blob)[.posixPermissions] as? Int) == 0o444)

            #expect(try sandbox.run("store", "pin", weightsDigest).stdout == "pinned  \(weightsDigest)\n")
            let list = try #require(try json(sandbox.run("store", "ls", "--json").stdout) as? [[String: Any]])
            #expect(Set(list.compactMap { $0["digest"] as? String }) == [weightsDigest, configDigest])
            #expect(list.first { $0["digest"] as? String == weightsDigest }?["pinned"] as? Bool == true)
            #expect(list.first { $0["digest"] as? String == configDigest }?["pinned"] as? Bool == false)

            let verify = try sandbox.run("store", "verify", "--contents")
            #expect(verify.status == 0)
            #expect(verify.stderr.contains("re-hashed 2 blobs"))
            #expect(verify.stderr.contains("no problems found"))

            // Within the grace period nothing goes; with none, only the unpinned blob does.
            #expect(try sandbox.run("store", "gc").stderr.contains("removed 0 files"))
            let dry = try sandbox.run("store", "gc", "--grace", "0", "--dry-run")
            #expect(dry.stdout == "would remove  \(configDigest)  22 B\n")
            #expect(sandbox.names(sandbox.blobs).count == 2)
            let gc = try #require(try json(sandbox.run("store", "gc", "--grace", "0", "--json").stdout) as? [String: Any])
            #expect((gc["removed"] as? [[String: Any]])?.map { $0["digest"] as? String } == [configDigest])
            #expect(sandbox.names(sandbox.blobs) == [String(weightsDigest.dropFirst(7))])

            #expect(try sandbox.run("store", "unpin", weightsDigest).status == 0)
            let unpinAgain = try sandbox.run("store", "unpin", weightsDigest)
            #expect(unpinAgain.status == 1)
            #expect(unpinAgain.stderr.contains("is not pinned"))
        }
    }

    @Test func detectsTampering() throws {
        try Sandbox.with { sandbox throws in
            let data = pseudoRandomBytes(count: 300_000, seed: 12)
            try sandbox.file("weights.bin", data)
            let digest = sha256Hex(Data(data))
            #expect(try sandbox.run("store", "add", "weights.bin").status == 0)

            // Someone makes the blob writable and changes one byte.
            let blob = sandbox.blobs.appendingPathComponent(digest)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: blob.path)
            var tampered = data
            tampered[1000] ^= 1
            try Data(tampered).write(to: blob)

            // The fast check sees the changed bytes too: the blob's stamp no longer matches.
            let fast = try sandbox.run("store", "verify")
            #expect(fast.status == 1)
            #expect(fast.stdout.contains("writable  \(blob.path): blob is writable"))
            #expect(fast.stdout.contains("corrupt  \(blob.path): contents changed since the blob was admitted"), "\(fast.stdout)")
            #expect(fast.stderr.contains("error: the store has 2 problems"))

            let deep = try sandbox.run("store", "verify", "--contents")
            #expect(deep.status == 1)
            #expect(deep.stdout.contains("corrupt  \(blob.path): contents do not match the blob's name"))
            #expect(deep.stdout.contains("  expected: sha256:\(digest)\n    actual: sha256:\(sha256Hex(Data(tampered)))"))

            let report = try #require(try json(sandbox.run("store", "verify", "--contents", "--json").stdout) as? [String: Any])
            let kinds = (report["problems"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
            #expect(Set(kinds ?? []) == ["corrupt", "writable"])

            // Adding the genuine file again repairs the store.
            let repair = try sandbox.run("store", "add", "weights.bin", "--expect", "sha256:" + digest)
            #expect(repair.status == 0)
            #expect(repair.stderr.contains("replaced 1 damaged blob with verified bytes"))
            #expect(try sandbox.run("store", "verify", "--contents").status == 0)
        }
    }

    @Test func refusesAMismatchAndStoresNothing() throws {
        try Sandbox.with { sandbox throws in
            try sandbox.file("a.bin", Array("real bytes".utf8))
            let wrong = "sha256:" + String(repeating: "ab", count: 32)
            let outcome = try sandbox.run("store", "add", "a.bin", "--expect", wrong)
            #expect(outcome.status == 1)
            #expect(outcome.stdout.isEmpty)
            #expect(outcome.stderr.contains("error: digest mismatch for `a.bin`"))
            #expect(outcome.stderr.contains("  expected: \(wrong)\n"))
            #expect(outcome.stderr.contains("    actual: sha256:\(sha256Hex(Data("real bytes".utf8)))\n"))
            #expect(sandbox.names(sandbox.blobs).isEmpty)
            #expect(sandbox.names(sandbox.store.appendingPathComponent("tmp")).isEmpty)
        }
    }

    @Test func explainsMissingBlobsAndBadStorePaths() throws {
        try Sandbox.with { sandbox throws in
            let missing = try sandbox.run("store", "path", "sha256:" + String(repeating: "0", count: 64))
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("is not in the store"))

            try sandbox.file("not-a-dir", Array("x".utf8))
            for arguments in [["store", "add", "not-a-dir"], ["store", "ls"], ["store", "verify"]] {
                let outcome = try sandbox.modelpin.run(arguments + ["--home", "not-a-dir"])
                #expect(outcome.status == 2)
                #expect(outcome.stderr.contains("error: the store path `\(sandbox.directory.path)/not-a-dir` is not a directory"))
                #expect(outcome.stderr.contains("hint:"))
            }
            // A missing file given to add names the file.
            let add = try sandbox.run("store", "add", "nope.bin")
            #expect(add.status == 2)
            #expect(add.stderr.contains("error: no such file: `nope.bin`"))
        }
    }

    @Test func gcRefusesToDeleteWhenARootIsUnreadable() throws {
        try Sandbox.with { sandbox throws in
            try sandbox.file("a", Array("a".utf8))
            #expect(try sandbox.run("store", "add", "a").status == 0)
            try Data("garbage".utf8).write(to: sandbox.store.appendingPathComponent("roots/broken.json"))
            let outcome = try sandbox.run("store", "gc", "--grace", "0")
            #expect(outcome.status == 2)
            #expect(outcome.stderr.contains("error: garbage collection aborted: a root could not be read"))
            #expect(outcome.stderr.contains("caused by: `\(sandbox.store.path)/roots/broken.json`"))
            #expect(outcome.stderr.contains("hint: nothing was deleted"))
            #expect(sandbox.names(sandbox.blobs).count == 1)
        }
    }
}
