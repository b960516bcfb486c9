import Foundation
import PinTestSupport
import Testing

/// 64 readers at once over the same blobs, each with its own keep-alive connection and its own
/// ranges (plain, open-ended, suffix, `If-Range`): every byte compared with the file's.
@Suite(.tags(.pythonClients), .enabled(if: PythonClients.enabled)) struct ServeConcurrencyTests {
    /// Python's standard library only (http.client), so the readers are plain HTTP clients and
    /// not huggingface_hub's download logic. Prints {"checked": bytes, "problems": [...], "statuses": {...}}.
    static let script = """
        import http.client, json, random, sys, threading, urllib.parse
        base = urllib.parse.urlparse(sys.argv[1])
        blobs = []
        for spec in sys.argv[2:]:
            path, expected = spec.split("=", 1)
            with open(expected, "rb") as f:
                blobs.append((path, f.read()))
        readers, rounds = 64, 6
        barrier = threading.Barrier(readers)
        lock = threading.Lock()
        problems, statuses, checked = [], {}, [0]
        def reader(index):
            rng = random.Random(index)
            connection = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
            barrier.wait()
            for round in range(rounds):
                path, data = blobs[(index + round) % len(blobs)]
                size = len(data)
                kind = round % 4
                if kind == 0:
                    start = rng.randrange(size); end = min(size - 1, start + rng.randrange(1, 1 << 20))
                    header, want = "bytes=%d-%d" % (start, end), data[start:end + 1]
                elif kind == 1:
                    start = rng.randrange(size)
                    header, want = "bytes=%d-" % start, data[start:]
                elif kind == 2:
                    count = rng.randrange(1, size)
                    header, want = "bytes=-%d" % count, data[size - count:]
                else:
                    start = rng.randrange(size)
                    header, want = "bytes=%d-%d" % (start, start), data[start:start + 1]
                headers = {"Range": header}
                if round >= 4:
                    headers["If-Range"] = etags.get(path, '"none"')
                try:
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                except Exception as error:
                    with lock: problems.append("%d %s %s: %r" % (index, path, header, error))
                    connection = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
                    continue
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    checked[0] += len(body)
                    if response.status != 206 or body != want:
                        problems.append("%d %s %s: status %d, %d bytes, want %d" % (index, path, header, response.status, len(body), len(want)))
            connection.close()
        # The ETag of each blob, for If-Range (as a client resuming a download sends it).
        etags = {}
        for path, _ in blobs:
            connection = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
            connection.request("HEAD", path)
            response = connection.getresponse(); response.read()
            etags[path] = response.getheader("ETag")
            connection.close()
        threads = [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        print(json.dumps({"checked": checked[0], "problems": problems[:20], "statuses": statuses, "etags": etags}))
        """

    @Test func sixtyFourParallelRangeReadersGetEveryByteRight() throws {
        try MirrorSandbox.with(repos: [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: HubSandbox.files)],
                               pulls: ["acme/tiny-model"]) { mirror in
            // The expected bytes, written apart from the store, as the test made them.
            var specs: [String] = []
            for file in HubSandbox.files where file.lfs {
                let expected = try mirror.sandbox.file("expected-\(specs.count)", bytes(of: file))
                specs.append("/acme/tiny-model/resolve/main/\(file.path)=\(expected.path)")
            }
            let result = try PythonClients.run(Self.script, arguments: [mirror.server.url] + specs)
            try #require(result.status == 0, "\(result.stderr)\nserver: \(mirror.server.stderr)")
            let facts = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect((facts["problems"] as? [String])?.isEmpty == true, "\(facts["problems"] ?? "")")
            #expect(facts["statuses"] as? [String: Int] == ["206": 64 * 6])
            #expect((facts["checked"] as? Int ?? 0) > 64 << 20, "the readers read less than 64 MiB in all")
            let etags = try #require(facts["etags"] as? [String: String])
            for file in HubSandbox.files where file.lfs {
                #expect(etags["/acme/tiny-model/resolve/main/\(file.path)"] == "\"\(sha256Hex(Data(bytes(of: file))))\"")
            }

            // Every request logged with its status, none left in flight but the /metrics
            // request asking.
            let ranged = mirror.server.accessEntries(atLeast: 64 * 6 + 2).filter { $0["status"] as? Int == 206 }
            #expect(ranged.count == 64 * 6)
            #expect(try mirror.server.metric("modelpin_serve_in_flight_requests") == 1)
        }
    }
}
