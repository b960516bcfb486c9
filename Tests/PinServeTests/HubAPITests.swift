import Foundation
import PinDigest
import PinModel
import PinServe
import PinTestSupport
import Testing

/// The Hub API as huggingface_hub 2.x calls it, against a real store over a real socket.
@Suite("The Hub API over the store")
struct HubAPITests {
    static let commit = ServeFixture.commit

    @Test func modelInfoNamesTheCommitAndEveryFileAndNoXet() async throws {
        try await ServeFixture.with { fixture in
            for target in ["/api/models/acme/tiny-model", "/api/models/acme/tiny-model/revision/main",
                           "/api/models/acme/tiny-model/revision/\(Self.commit)"] {
                let response = try await fixture.request(target)
                #expect(response.status == 200, "\(target)")
                let info = try #require(try response.json() as? [String: Any])
                #expect(info["id"] as? String == "acme/tiny-model")
                #expect(info["sha"] as? String == Self.commit)
                #expect(info["private"] as? Bool == false)
                #expect(info["gated"] as? Bool == false)
                #expect(info["disabled"] as? Bool == false)
                let siblings = try #require(info["siblings"] as? [[String: Any]])
                #expect(siblings.compactMap { $0["rfilename"] as? String }
                    == ["config.json", "model.safetensors", "tokenizer/tokenizer.json", "weights/extra.safetensors"])
                #expect(!response.text.lowercased().contains("xet"))
            }
        }
    }

    /// A dataset the store holds is served at the dataset paths, apart from the model of the same
    /// id, and a dataset the store lacks is the Hub's RepoNotFound.
    @Test func datasetsAreServedAtTheirOwnPaths() async throws {
        let rows = Array("id,text\n1,hello\n".utf8)
        let commit = String(repeating: "da7a", count: 10)
        let dataset = FakeHub.Repo(id: "datasets/acme/tiny-model", commit: commit,
                                   files: [FakeHub.File("data/train.csv", rows)])
        try await ServeFixture.with(repos: [ServeFixture.repo, dataset]) { fixture in
            let info = try #require(try await fixture.request("/api/datasets/acme/tiny-model").json() as? [String: Any])
            #expect(info["id"] as? String == "acme/tiny-model")
            #expect(info["sha"] as? String == commit)
            #expect((info["siblings"] as? [[String: Any]])?.compactMap { $0["rfilename"] as? String } == ["data/train.csv"])
            let file = try await fixture.request("/datasets/acme/tiny-model/resolve/main/data/train.csv")
            #expect(file.status == 200)
            #expect(file.body == rows)
            #expect(file.header("X-Repo-Commit") == commit)
            // The model of the same id is still the model, and the dataset's file is not in it.
            let model = try #require(try await fixture.request("/api/models/acme/tiny-model").json() as? [String: Any])
            #expect(model["sha"] as? String == Self.commit)
            #expect(try await fixture.request("/acme/tiny-model/resolve/main/data/train.csv").status == 404)
            let missing = try await fixture.request("/api/datasets/acme/other")
            #expect(missing.status == 404 || missing.status == 401)
            #expect(missing.header("X-Error-Code") == "RepoNotFound")
        }
    }

    @Test func blobsAddSizesBlobIDsAndLFSData() async throws {
        try await ServeFixture.with { fixture in
            let info = try #require(try await fixture.request("/api/models/acme/tiny-model?blobs=true").json() as? [String: Any])
            let siblings = try #require(info["siblings"] as? [[String: Any]])
            let config = try #require(siblings.first { $0["rfilename"] as? String == "config.json" })
            #expect(config["size"] as? Int == ServeFixture.config.count)
            #expect(config["blobId"] as? String == GitBlobHasher.id(of: ServeFixture.config).hex)
            #expect(config["lfs"] == nil)
            let weights = try #require(siblings.first { $0["rfilename"] as? String == "model.safetensors" })
            let lfs = try #require(weights["lfs"] as? [String: Any])
            #expect(lfs["sha256"] as? String == SHA256.hash(ServeFixture.weights).hex)
            #expect(lfs["size"] as? Int == ServeFixture.weights.count)
            // The pointer file git-lfs writes: version, oid and size lines.
            let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:\(SHA256.hash(ServeFixture.weights).hex)\nsize \(ServeFixture.weights.count)\n"
            #expect(lfs["pointerSize"] as? Int == pointer.utf8.count)
        }
    }

    @Test func theTreeListsChildrenOrEverythingWithFoldersAndLFS() async throws {
        try await ServeFixture.with { fixture in
            let root = try #require(try await fixture.request("/api/models/acme/tiny-model/tree/main").json() as? [[String: Any]])
            #expect(root.map { $0["path"] as? String } == ["config.json", "model.safetensors", "tokenizer", "weights"])
            #expect(root.map { $0["type"] as? String } == ["file", "file", "directory", "directory"])
            let weights = try #require(root.first { $0["path"] as? String == "model.safetensors" })
            #expect(weights["oid"] as? String != nil)
            #expect((weights["lfs"] as? [String: Any])?["oid"] as? String == SHA256.hash(ServeFixture.weights).hex)
            #expect(weights["xetHash"] == nil)
            let config = try #require(root.first { $0["path"] as? String == "config.json" })
            #expect(config["oid"] as? String == GitBlobHasher.id(of: ServeFixture.config).hex)
            #expect(config["size"] as? Int == ServeFixture.config.count)

            let all = try #require(try await fixture.request("/api/models/acme/tiny-model/tree/\(Self.commit)?recursive=True").json() as? [[String: Any]])
            #expect(all.compactMap { $0["path"] as? String } == [
                "config.json", "model.safetensors", "tokenizer", "tokenizer/tokenizer.json", "weights", "weights/extra.safetensors",
            ])
            for target in ["/api/models/acme/tiny-model/tree/main/weights", "/api/models/acme/tiny-model/tree/\(Self.commit)/weights"] {
                let folder = try #require(try await fixture.request(target).json() as? [[String: Any]], "\(target)")
                #expect(folder.compactMap { $0["path"] as? String } == ["weights/extra.safetensors"], "\(target)")
            }
            let missing = try await fixture.request("/api/models/acme/tiny-model/tree/main/nope")
            #expect(missing.status == 404)
            #expect(missing.header("X-Error-Code") == "EntryNotFound")
        }
    }

    /// A folder's oid is git's tree id: `git mktree` over the same entries gives the same.
    @Test func aFolderHasItsGitTreeID() async throws {
        try await ServeFixture.with { fixture in
            let root = try #require(try await fixture.request("/api/models/acme/tiny-model/tree/main").json() as? [[String: Any]])
            let folder = try #require(root.first { $0["path"] as? String == "weights" })
            // git hash-object -t tree of one entry `100644 extra.safetensors\0<20-byte id>`, the
            // id of the LFS pointer git holds for the file.
            let digest = SHA256.hash(ServeFixture.extra).hex
            let blob = GitBlobHasher.id(of: Array("version https://git-lfs.github.com/spec/v1\noid sha256:\(digest)\nsize \(ServeFixture.extra.count)\n".utf8))
            let expected = try gitTreeID(entries: [("100644", "extra.safetensors", blob.hex)])
            #expect(folder["oid"] as? String == expected)
        }
    }

    /// Pages of `pageSize` entries, each with `Link: <…>; rel="next"` to the next until the last.
    @Test func theTreeIsPagedByCursor() async throws {
        try await ServeFixture.with(configure: { $0.pageSize = 2 }) { fixture in
            var target: String? = "/api/models/acme/tiny-model/tree/main?recursive=true"
            var paths: [String] = []
            var pages = 0
            while let next = target {
                let response = try await fixture.request(next)
                #expect(response.status == 200)
                let page = try #require(try response.json() as? [[String: Any]])
                #expect(page.count <= 2)
                paths += page.compactMap { $0["path"] as? String }
                pages += 1
                target = try response.header("Link").map { link in
                    let url = try #require(link.split(separator: ">").first?.dropFirst())
                    #expect(link.hasSuffix("rel=\"next\""))
                    #expect(url.hasPrefix("http://127.0.0.1:\(fixture.port)/api/models/acme/tiny-model/tree/\(Self.commit)"))
                    return String(url.dropFirst("http://127.0.0.1:\(fixture.port)".count))
                }
                if pages > 5 { break }
            }
            #expect(pages == 3)
            #expect(paths == ["config.json", "model.safetensors", "tokenizer", "tokenizer/tokenizer.json", "weights", "weights/extra.safetensors"])
            let bad = try await fixture.request("/api/models/acme/tiny-model/tree/main?cursor=%%%")
            #expect(bad.status == 400)
        }
    }

    @Test func pathsInfoTakesAFormOrJSONAndLeavesOutWhatIsMissing() async throws {
        try await ServeFixture.with { fixture in
            let form = Array("paths=config.json&paths=weights&paths=nope.bin&paths=..%2Fetc&expand=False".utf8)
            let fromForm = try await fixture.request(
                "POST", "/api/models/acme/tiny-model/paths-info/main",
                headers: ["Content-Type": "application/x-www-form-urlencoded"], body: form)
            #expect(fromForm.status == 200)
            let entries = try #require(try fromForm.json() as? [[String: Any]])
            #expect(entries.compactMap { $0["path"] as? String } == ["config.json", "weights"])
            #expect(entries.compactMap { $0["type"] as? String } == ["file", "directory"])

            let json = Array(#"{"paths": ["model.safetensors"], "expand": false}"#.utf8)
            let fromJSON = try await fixture.request(
                "POST", "/api/models/acme/tiny-model/paths-info/\(Self.commit)", headers: ["Content-Type": "application/json"], body: json)
            let one = try #require(try fromJSON.json() as? [[String: Any]])
            #expect(one.count == 1)
            #expect((one.first?["lfs"] as? [String: Any])?["size"] as? Int == ServeFixture.weights.count)

            let get = try await fixture.request("GET", "/api/models/acme/tiny-model/paths-info/main")
            #expect(get.status == 405)
        }
    }

    /// The headers huggingface_hub's get_hf_file_metadata reads, on HEAD and GET, for a plain
    /// file (ETag: git blob id) and an LFS file (ETag and X-Linked-Etag: sha256; X-Linked-Size).
    @Test(arguments: ["config.json", "tokenizer/tokenizer.json", "model.safetensors", "weights/extra.safetensors"])
    func resolveSendsTheHubsHeadersAndTheBytes(path: String) async throws {
        let file = try #require(ServeFixture.files.first { $0.path == path })
        let (bytes, lfs) = (ServeFixture.bytes(path), file.lfs)
        try await ServeFixture.with { fixture in
            let etag = lfs ? SHA256.hash(bytes).hex : GitBlobHasher.id(of: bytes).hex
            for method in ["HEAD", "GET"] {
                let response = try await fixture.request(method, "/acme/tiny-model/resolve/main/\(path)")
                #expect(response.status == 200)
                #expect(response.header("X-Repo-Commit") == Self.commit)
                #expect(response.header("ETag") == "\"\(etag)\"")
                #expect(response.header("Content-Length") == String(bytes.count))
                #expect(response.header("Accept-Ranges") == "bytes")
                #expect(response.header("X-Linked-Etag") == (lfs ? "\"\(etag)\"" : nil))
                #expect(response.header("X-Linked-Size") == (lfs ? String(bytes.count) : nil))
                #expect(!response.headers.contains { $0.name.lowercased().contains("xet") || $0.value.lowercased().contains("xet") })
                #expect(response.body == (method == "GET" ? bytes : []))
            }
            let byCommit = try await fixture.request("/acme/tiny-model/resolve/\(Self.commit)/\(path)")
            #expect(byCommit.body == bytes)
        }
    }

    static let ranges: [(range: String, status: Int, contentRange: String?, slice: Range<Int>?)] = [
        ("bytes=0-9", 206, "bytes 0-9/N", 0..<10),
        ("bytes=100-", 206, "bytes 100-LAST/N", 100..<Int.max),
        ("bytes=-16", 206, "bytes FROMEND-LAST/N", -16..<Int.max),
        ("bytes=5-5", 206, "bytes 5-5/N", 5..<6),
        ("bytes=10-99999999999", 206, "bytes 10-LAST/N", 10..<Int.max),
        ("bytes=99999999999-", 416, "bytes */N", nil),
        ("bytes=9-3", 416, "bytes */N", nil),
        ("bytes=0-1,5-9", 416, "bytes */N", nil),
        ("bytes=-0", 416, "bytes */N", nil),
        ("bytes=abc", 416, "bytes */N", nil),
        ("bytes=99999999999999999999999-", 416, "bytes */N", nil),
        ("items=0-9", 200, nil, 0..<Int.max),
    ]

    @Test(arguments: ranges)
    func rangesAreServedAsAsked(range: String, status: Int, contentRange: String?, slice: Range<Int>?) async throws {
        try await ServeFixture.with { fixture in
            let bytes = ServeFixture.weights
            let response = try await fixture.request("/acme/tiny-model/resolve/main/model.safetensors", headers: ["Range": range])
            #expect(response.status == status)
            let size = bytes.count
            let expectedRange = contentRange?.replacingOccurrences(of: "FROMEND", with: String(size - 16))
                .replacingOccurrences(of: "LAST", with: String(size - 1)).replacingOccurrences(of: "/N", with: "/\(size)")
            #expect(response.header("Content-Range") == expectedRange)
            if let slice {
                let lower = slice.lowerBound < 0 ? size + slice.lowerBound : slice.lowerBound
                let expected = Array(bytes[lower..<min(slice.upperBound, size)])
                #expect(response.body == expected)
                #expect(response.header("Content-Length") == String(expected.count))
            } else {
                #expect(response.body.isEmpty)
            }
        }
    }

    @Test func ifRangeAndIfNoneMatchFollowTheETag() async throws {
        try await ServeFixture.with { fixture in
            let path = "/acme/tiny-model/resolve/main/model.safetensors"
            let etag = "\"\(SHA256.hash(ServeFixture.weights).hex)\""
            let matching = try await fixture.request(path, headers: ["Range": "bytes=0-9", "If-Range": etag])
            #expect(matching.status == 206)
            #expect(matching.body == Array(ServeFixture.weights[0..<10]))
            let stale = try await fixture.request(path, headers: ["Range": "bytes=0-9", "If-Range": "\"0123\""])
            #expect(stale.status == 200)
            #expect(stale.body == ServeFixture.weights)
            let cached = try await fixture.request(path, headers: ["If-None-Match": etag])
            #expect(cached.status == 304)
            #expect(cached.body.isEmpty)
            #expect(cached.header("ETag") == etag)
            let weak = try await fixture.request(path, headers: ["If-None-Match": "\"other\", W/\(etag)"])
            #expect(weak.status == 304)
            let other = try await fixture.request(path, headers: ["If-None-Match": "\"other\""])
            #expect(other.status == 200)
        }
    }

    /// git's own tree hash, for the expected value.
    func gitTreeID(entries: [(mode: String, name: String, id: String)]) throws -> String {
        var body: [UInt8] = []
        for entry in entries {
            body += Array("\(entry.mode) \(entry.name)\0".utf8)
            var hex = Substring(entry.id)
            while !hex.isEmpty {
                body.append(try #require(UInt8(hex.prefix(2), radix: 16)))
                hex = hex.dropFirst(2)
            }
        }
        let object = Array("tree \(body.count)\0".utf8) + body
        return try withTemporaryDirectory("git-tree") { directory in
            let file = directory.appendingPathComponent("tree")
            try Data(object.dropFirst("tree \(body.count)\0".utf8.count)).write(to: file)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = ["hash-object", "-t", "tree", "--literally", file.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            process.waitUntilExit()
            return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}
