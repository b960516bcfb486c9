import PinDigest
import PinModel
import PinTestSupport
import PinTransport
import PinWorkspace
import Testing

@Suite("A by-name pull, in process")
struct InProcessPullTests {
    @Test func pullsEveryFileIntoTheDirectoryWithItsDigest() throws {
        try TestWorkspace.with { workspace in
            let summary = try workspace.pull("acme/tiny-model")
            #expect(summary.commit == TestWorkspace.commit)
            #expect(summary.files.map(\.path) == TestWorkspace.tinyFiles.map(\.path).sorted())
            for file in TestWorkspace.tinyFiles {
                guard case .bytes(let bytes) = file.content else { continue }
                #expect(try workspace.pulled(file.path) == bytes, "\(file.path)")
                #expect(summary.files.first { $0.path == file.path }?.sha256 == SHA256.hash(bytes))
                #expect(workspace.stores(bytes))
            }
            // Resolved and listed on the Hub, LFS bytes from its CDN, every request https.
            #expect(workspace.requests(containing: "/api/models/acme/tiny-model/revision/main").count == 1)
            #expect(workspace.requests(containing: "/tree/\(TestWorkspace.commit)").count == 1)
            #expect(workspace.requests(containing: "https://cdn.test/cdn/").count == 2)
            #expect(workspace.http.log.allSatisfy { $0.url.hasPrefix("https://") })
        }
    }

    /// The listing in pages (`Link: rel="next"`), small files through a relative redirect to
    /// `/api/resolve-cache/…`, as the real Hub serves them.
    @Test func followsListingPagesAndRelativeRedirects() throws {
        try TestWorkspace.with { workspace in
            workspace.hub.configure {
                $0.pageSize = 2
                $0.smallFilesViaResolveCache = true
            }
            _ = try workspace.pull("acme/tiny-model")
            #expect(workspace.requests(containing: "/tree/").count == 3)
            #expect(workspace.requests(containing: "https://hub.test/api/resolve-cache/models/acme/tiny-model/").count == 2)
            #expect(try workspace.pulled("tokenizer/tokenizer.json") == TestWorkspace.tokenizer)
        }
    }

    @Test func anOverloadedAPIIsAskedAgain() throws {
        try TestWorkspace.with { workspace in
            workspace.hub.configure {
                $0.failStatus = 503
                $0.failCount = 2
                $0.retryAfter = 0
            }
            _ = try workspace.pull("acme/tiny-model")
            #expect(workspace.requests(containing: "/revision/main").count == 3)
            #expect(try workspace.pulled("model.safetensors") == TestWorkspace.weights)
        }
    }

    @Test func aDownloadAnswered503TwiceIsRetriedAndReported() throws {
        try TestWorkspace.with { workspace in
            let failures = Countdown(2)
            workspace.http.intercept("https://cdn.test/") { _ in
                failures.fire() ? .text(503, "busy", headers: [("Retry-After", "0")]) : nil
            }
            _ = try workspace.pull("acme/tiny-model")
            let retries = workspace.reporter.retries
            #expect(retries.count == 2, "\(retries)")
            #expect(retries.allSatisfy { $0.reason.contains("503") })
            #expect(try workspace.pulled("model.safetensors") == TestWorkspace.weights)
            #expect(try workspace.pulled("weights/extra.safetensors") == TestWorkspace.extra)
        }
    }

    @Test func aServerThatIgnoresRangesIsReadAsOneStream() throws {
        let big = safetensorsFile(payloadBytes: (3 << 20) - 80, seed: 63)
        let repo = FakeHub.Repo(id: "acme/big", commit: TestWorkspace.commit, files: [
            FakeHub.File("config.json", TestWorkspace.config),
            FakeHub.File("model.safetensors", big, lfs: true),
        ])
        try TestWorkspace.with(repos: [repo], configure: { $0.partSize = 1 << 20 }) { workspace in
            workspace.hub.configure { $0.ignoreRange = true }
            _ = try workspace.pull("acme/big")
            #expect(workspace.reporter.retries.contains { $0.reason.contains("ignored a range request") })
            let cdn = workspace.requests(containing: "https://cdn.test/")
            #expect(cdn.contains { $0.range != nil })  // asked in parts first…
            // …then once, whole. (Not necessarily last in the log: another worker's ranged
            // request may be sent while the first answer is being read.)
            #expect(cdn.count { $0.range == nil } == 1, "\(cdn.map(\.range))")
            #expect(try workspace.pulled("model.safetensors") == big)
            #expect(try workspace.storedBlobsMatchTheirNames())
        }
    }

    @Test func aBodyThatEndsEarlyIsResumedWithARangeRequest() throws {
        try TestWorkspace.with { workspace in
            workspace.hub.configure {
                $0.dropAfter = 100 << 10
                $0.dropCount = 1
            }
            _ = try workspace.pull("acme/tiny-model")
            #expect(workspace.reporter.retries.count == 1)
            #expect(workspace.requests(containing: "https://cdn.test/").contains { $0.range?.hasPrefix("bytes=\(100 << 10)-") == true })
            #expect(try workspace.pulled("model.safetensors") == TestWorkspace.weights)
            #expect(try workspace.pulled("weights/extra.safetensors") == TestWorkspace.extra)
        }
    }

    @Test func aWrongByteIsRefusedAndNothingOfItIsStored() throws {
        try TestWorkspace.with { workspace throws in
            workspace.hub.configure { $0.corruptLFS = true }
            #expect {
                try workspace.pull("acme/tiny-model")
            } throws: { error in
                (error as? any ModelpinError)?.kind == .refused
            }
            #expect(!workspace.stores(TestWorkspace.weights) && !workspace.stores(TestWorkspace.extra))
            #expect(try workspace.storedBlobsMatchTheirNames())
        }
    }
}
