import Foundation
import PinTestSupport
import Testing

/// `modelpin mirror s3://…` and `pull --mirror s3://…` end to end: the built binary against the
/// fake Hub and a real S3 server (SeaweedFS, PinTestSupport's S3Server) on 127.0.0.1, one
/// server for the suite and a bucket per test.
@Suite(.serialized) struct S3MirrorTests {
    let server: S3Server
    let bucket: String
    var mirror: String { "s3://\(bucket)/models" }
    var weightsHex: String { sha256Hex(Data(HubSandbox.weights)) }

    init() throws {
        server = try S3Server.shared
        bucket = try server.makeBucket("e2e")
    }

    /// `modelpin ARGS…` in the project, with the S3 server's variables and another store.
    func run(_ project: ProjectSandbox, _ arguments: [String], store: String? = nil,
             environment: [String: String] = [:]) throws -> ModelpinProcess.Outcome {
        var modelpin = project.env.sandbox.modelpin
        modelpin.environment.merge(server.environment) { $1 }
        modelpin.environment.merge(environment) { $1 }
        if let store { modelpin.environment["MODELPIN_HOME"] = project.directory.appendingPathComponent(store).path }
        return try modelpin.run(arguments)
    }

    /// A project with `acme/tiny-model` added and mirrored into the bucket.
    func mirrored(_ body: (ProjectSandbox) throws -> Void) throws {
        try ProjectSandbox.with { project throws in
            let added = try project.run("add", "acme/tiny-model")
            try #require(added.status == 0, "\(added.stderr)")
            let written = try run(project, ["mirror", mirror, "--json"])
            try #require(written.status == 0, "\(written.stderr)\n\(server.log.suffix(2000))")
            let outcome = try #require(try json(written.stdout) as? [String: Any])
            #expect(outcome["blobs"] as? Int == 4 && outcome["uploaded"] as? Int == 4, "\(written.stdout)")
            try body(project)
        }
    }

    @Test func mirrorThenPullIntoAFreshStoreWithTheHubStopped() throws {
        try mirrored { project throws in
            try FileManager.default.removeItem(at: project.model)
            project.env.hub.hub.stop()
            project.env.hub.cdn.stop()
            project.env.hub.clearLog()
            // Not --frozen: an s3:// mirror is a network source, which --offline refuses by design.
            let pulled = try run(project, ["pull", "--locked", "--mirror", mirror, "--json", "--retries", "1"], store: "fresh-store")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            #expect(project.env.hub.log.isEmpty)
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
            #expect(try project.contents("weights/extra.bin") == Data(HubSandbox.extra))
            #expect(try project.contents("config.json") == Data(HubSandbox.config))
            let summary = try #require(try json(pulled.stdout) as? [String: Any], "\(pulled.stdout)")
            // `pull --locked --json`: per model, which source served each file.
            let models = try #require(summary["models"] as? [[String: Any]], "\(pulled.stdout)")
            let servedBy = try #require(models.first?["servedBy"] as? [String: String], "\(pulled.stdout)")
            #expect(summary["fetched"] as? Int == 4, "\(pulled.stdout)")
            #expect(servedBy.count == 4 && servedBy.values.allSatisfy { $0 == mirror }, "\(pulled.stdout)")

            // A second mirror run finds everything there (HEAD, same size) and sends nothing.
            let again = try run(project, ["mirror", mirror, "--json"])
            let outcome = try #require(try json(again.stdout) as? [String: Any], "\(again.stderr)")
            #expect(outcome["skipped"] as? Int == 4 && outcome["uploaded"] as? Int == 0 && outcome["bytes"] as? Int == 0)
        }
    }

    @Test func aReplacedObjectIsRefusedAndTheHubServesItOrThePullFails() throws {
        try mirrored { project throws in
            let key = "models/blobs/sha256/\(weightsHex)"
            let other = pseudoRandomBytes(count: HubSandbox.weights.count, seed: 77)
            try server.replaceObject(bucket: bucket, key: key, with: other)
            #expect(try server.storedObject(bucket: bucket, key: key) == other)
            try FileManager.default.removeItem(at: project.model)
            project.env.hub.clearLog()

            let fallback = try run(project, ["pull", "--locked", "--mirror", mirror, "--retries", "1"], store: "second-store")
            #expect(fallback.status == 0, "\(fallback.stderr)")
            #expect(fallback.stderr.contains("`model.safetensors` refused, trying the next source"), "\(fallback.stderr)")
            #expect(fallback.stderr.contains(weightsHex.prefix(12)), "the warning names the digest: \(fallback.stderr)")
            #expect(project.env.cdnRequests.count == 1, "only the refused blob comes from the Hub")
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
            #expect(!Self.storeHolds(other, project, store: "second-store"))

            // The Hub gone: nothing else to try, the pull fails and keeps nothing wrong.
            try FileManager.default.removeItem(at: project.model)
            project.env.hub.hub.stop()
            project.env.hub.cdn.stop()
            let stuck = try run(project, ["pull", "--locked", "--mirror", mirror, "--retries", "1"], store: "third-store")
            #expect(stuck.status != 0, "\(stuck.stderr)")
            #expect(stuck.stderr.contains("`model.safetensors` refused"), "\(stuck.stderr)")
            #expect(!FileManager.default.fileExists(atPath: project.model.appendingPathComponent("model.safetensors").path))
            #expect(!Self.storeHolds(other, project, store: "third-store"))
        }
    }

    @Test func wrongCredentialsNameTheBucketAndKeyIDButNeverTheSecret() throws {
        try ProjectSandbox.with { project throws in
            #expect(try project.run("add", "acme/tiny-model").status == 0)
            let secret = "WrongSecretModelpinE2E/abcdefghijklmnopqrstu"
            for arguments in [["mirror", mirror], ["mirror", mirror, "--json"]] {
                let refused = try run(project, arguments, environment: ["AWS_SECRET_ACCESS_KEY": secret])
                #expect(refused.status != 0)
                #expect(refused.stderr.contains(bucket), "\(refused.stderr)")
                #expect(refused.stderr.contains(server.accessKeyID), "\(refused.stderr)")
                for text in [refused.stdout, refused.stderr] {
                    #expect(!text.contains(secret) && !text.contains(String(secret.prefix(16))), "\(text)")
                }
            }
            #expect(try server.storedObject(bucket: bucket, key: "models/modelpin.lock") == nil)
        }
    }

    @Test func s3cmdReadsBackWhatModelpinWrote() throws {
        try mirrored { project throws in
            let config = project.directory.appendingPathComponent("s3cmd.cfg")
            try Data("""
                [default]
                access_key = \(server.accessKeyID)
                secret_key = \(server.secretAccessKey)
                host_base = 127.0.0.1:\(server.port)
                host_bucket = 127.0.0.1:\(server.port)
                bucket_location = \(server.region)
                use_https = False
                signature_v2 = False

                """.utf8).write(to: config)
            let copy = project.directory.appendingPathComponent("weights-from-s3cmd")
            let got = try Self.s3cmd(config, ["get", "\(mirror)/blobs/sha256/\(weightsHex)", copy.path])
            #expect(got.status == 0, "\(got.output)")
            #expect(try Data(contentsOf: copy) == Data(HubSandbox.weights))

            let listed = try Self.s3cmd(config, ["ls", "--recursive", "\(mirror)/"])
            #expect(listed.status == 0, "\(listed.output)")
            // The lock goes under projects/<project directory name>/, beside the blobs.
            let lockKey = "\(mirror)/projects/\(project.directory.lastPathComponent)/modelpin.lock"
            #expect(listed.output.contains(lockKey), "\(listed.output)")
            #expect(listed.output.contains("\(mirror)/blobs/sha256/\(weightsHex)"), "\(listed.output)")
            let lock = project.directory.appendingPathComponent("lock-from-s3cmd")
            #expect(try Self.s3cmd(config, ["get", lockKey, lock.path]).status == 0)
            #expect(try Data(contentsOf: lock) == Data(contentsOf: project.lockfile))
        }
    }

    /// A blob above the 64 MiB multipart threshold, whose earlier upload was interrupted: the
    /// server holds an unfinished multipart upload with one of its parts (made here with
    /// curl's own SigV4 signing, as another client or a killed `mirror` leaves it). The CLI's
    /// run finds it, sends only the missing part, and the completed object is the blob's bytes.
    @Test func anUnfinishedMultipartUploadOfAnotherClientIsResumed() throws {
        let big = safetensorsFile(payloadBytes: (64 << 20) + (1 << 20), seed: 41)
        let repo = FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit,
                                files: [FakeHub.File("config.json", HubSandbox.config), FakeHub.File("model.safetensors", big, lfs: true)])
        try ProjectSandbox.with(repos: [repo]) { project throws in
            let added = try project.run("add", "acme/tiny-model")
            try #require(added.status == 0, "\(added.stderr)")
            let key = "models/blobs/sha256/\(sha256Hex(Data(big)))"
            // The 64 MiB plan's last part (number 2: what is left after 64 MiB), already stored.
            let tail = project.directory.appendingPathComponent("part-2")
            try Data(big[(64 << 20)...]).write(to: tail)
            // `?uploads=`, not `?uploads`: curl 7.88 signs the bare form differently from how
            // the server canonicalises it (403); the two mean the same request.
            let created = try curl(["-X", "POST", "\(server.endpoint)/\(bucket)/\(key)?uploads="])
            let uploadID = try #require(created.firstMatch(of: /<UploadId>([^<]+)<\/UploadId>/)?.1, "\(created)")
            _ = try curl(["-X", "PUT", "--upload-file", tail.path, "\(server.endpoint)/\(bucket)/\(key)?partNumber=2&uploadId=\(uploadID)"])
            let parts = try curl(["\(server.endpoint)/\(bucket)/\(key)?uploadId=\(uploadID)"])
            try #require(parts.contains("<PartNumber>2</PartNumber>"), "\(parts)")

            let resumed = try run(project, ["mirror", mirror, "--json"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            let outcome = try #require(try json(resumed.stdout) as? [String: Any], "\(resumed.stdout)")
            #expect(outcome["resumedParts"] as? Int == 1, "\(resumed.stdout)")
            // Only part 1 (64 MiB) and config.json were sent now.
            #expect(outcome["bytes"] as? Int == (64 << 20) + HubSandbox.config.count, "\(resumed.stdout)")
            #expect(try server.storedObject(bucket: bucket, key: key) == big)
        }
    }

    /// `mirror` itself killed (SIGKILL: nothing of it gets to clean up) halfway through a
    /// multipart upload, then run again: the second run sends only the parts the first did not
    /// store. The first run goes through a proxy that holds the third part's PUT open, so the
    /// kill lands at a known point: parts 1 and 2 stored, 3 in flight, the rest not started.
    @Test func aMirrorKilledMidUploadResumesWithTheMissingPartsOnly() throws {
        let partSize = 5 << 20
        let big = safetensorsFile(payloadBytes: 6 * partSize, seed: 43)
        let parts = (big.count + partSize - 1) / partSize
        let repo = FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit,
                                files: [FakeHub.File("config.json", HubSandbox.config), FakeHub.File("model.safetensors", big, lfs: true)])
        let reached = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let proxy = try RegistryProxy(upstream: server.endpoint, keepsHost: true) { request, _ in
            guard request.method == "PUT", request.query?.contains("partNumber=3") == true else { return nil }
            reached.signal()
            release.wait()
            return .text(500, "the test released a held part")
        }
        defer {
            release.signal()
            proxy.stop()
        }
        try ProjectSandbox.with(repos: [repo]) { project throws in
            let added = try project.run("add", "acme/tiny-model")
            try #require(added.status == 0, "\(added.stderr)")
            let arguments = ["mirror", mirror, "--json", "--jobs", "1", "--part-size", "5M"]
            var modelpin = project.env.sandbox.modelpin
            modelpin.environment.merge(server.environment) { $1 }
            modelpin.environment["AWS_ENDPOINT_URL_S3"] = proxy.baseURL
            let first = try modelpin.start(arguments)
            guard reached.wait(timeout: .now() + 120) == .success else {
                first.kill(signal: SIGKILL)
                Issue.record("the first mirror never sent part 3: \(first.wait().stderr)")
                return
            }
            first.kill(signal: SIGKILL)
            #expect(first.wait().signaled)

            let resumed = try run(project, arguments)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            let outcome = try #require(try json(resumed.stdout) as? [String: Any], "\(resumed.stdout)")
            #expect(outcome["resumedParts"] as? Int == 2, "\(resumed.stdout)")
            // Of the big blob, only parts 3… went up again (config.json may have gone up in the
            // first run or this one).
            let sent = try #require(outcome["bytes"] as? Int, "\(resumed.stdout)")
            let rest = big.count - 2 * partSize
            #expect(sent == rest || sent == rest + HubSandbox.config.count, "\(resumed.stdout)")
            #expect(parts == 7)
            #expect(try server.storedObject(bucket: bucket, key: "models/blobs/sha256/\(sha256Hex(Data(big)))") == big)
        }
    }

    // MARK: Helpers

    /// Whether any blob in that store has these bytes.
    static func storeHolds(_ bytes: [UInt8], _ project: ProjectSandbox, store: String) -> Bool {
        let root = project.directory.appendingPathComponent(store)
        let wanted = sha256Hex(Data(bytes))
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return false }
        return walker.contains { ($0 as? String)?.hasSuffix(wanted) == true }
    }

    static func s3cmd(_ config: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let binary = "/usr/bin/s3cmd"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("s3cmd is missing: scripts/setup installs the Debian package")
            return (127, "")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config", config.path, "--no-progress", "--force"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
    /// curl with its own SigV4 signing (`--aws-sigv4`), an S3 client independent of PinS3.
    func curl(_ arguments: [String]) throws -> String {
        let binary = "/usr/bin/curl"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("curl is missing: scripts/setup installs it")
            return ""
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--silent", "--show-error", "--fail-with-body", "--aws-sigv4", "aws:amz:\(server.region):s3",
                             "--user", "\(server.accessKeyID):\(server.secretAccessKey)"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "curl \(arguments): \(output)")
        return output
    }
}
