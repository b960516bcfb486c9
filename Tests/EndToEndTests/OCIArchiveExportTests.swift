import Foundation
import PinTestSupport
import Testing

/// `modelpin export --oci-archive` through the built binary: a pulled snapshot becomes one
/// tar whose index.json names the store's own manifest, and a second export is byte-identical.
@Suite struct OCIArchiveExportTests {
    @Test func aPulledSnapshotExportsAsOneDeterministicOCIArchive() throws {
        try HubSandbox.with { env throws in
            #expect(try env.pull("acme/tiny-model").status == 0)
            let first = env.directory.appendingPathComponent("bundle.tar")
            let second = env.directory.appendingPathComponent("again.tar")
            let exported = try env.sandbox.run("export", "--oci-archive", first.path, "acme/tiny-model", "--json")
            #expect(exported.status == 0, "\(exported.stderr)")
            #expect(try env.sandbox.run("export", "--oci-archive", second.path, "acme/tiny-model").status == 0)
            #expect(try Data(contentsOf: first) == Data(contentsOf: second))
            let result = try #require(try JSONSerialization.jsonObject(with: Data(exported.stdout.utf8)) as? [String: Any])
            let model = try #require((result["models"] as? [[String: Any]])?.first)
            #expect(model["reference"] as? String == "acme/tiny-model:\(HubSandbox.commit)")
            // The manifest in the archive is the store's, byte for byte.
            let manifest = try #require(model["manifest"] as? String)
            let stored = env.sandbox.store.appendingPathComponent("blobs/sha256/\(manifest.dropFirst("sha256:".count))")
            let listing = Process()
            listing.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            listing.arguments = ["-c", """
                import sys, tarfile, hashlib
                t = tarfile.open(sys.argv[1])
                m = t.extractfile("blobs/sha256/" + sys.argv[2]).read()
                print(hashlib.sha256(m).hexdigest() == sys.argv[2], m == open(sys.argv[3], "rb").read())
                print(sys.argv[2] in t.extractfile("index.json").read().decode())
                """, first.path, String(manifest.dropFirst("sha256:".count)), stored.path]
            let pipe = Pipe()
            listing.standardOutput = pipe
            try listing.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            listing.waitUntilExit()
            #expect(output == "True True\nTrue\n", "\(output)")
        }
    }

    @Test func aNameTheStoreHasNotRecordedIsAnErrorSayingToPull() throws {
        try HubSandbox.with { env throws in
            let archive = env.directory.appendingPathComponent("bundle.tar")
            let outcome = try env.sandbox.run("export", "--oci-archive", archive.path, "acme/never-pulled")
            #expect(outcome.status != 0)
            #expect(!FileManager.default.fileExists(atPath: archive.path))
        }
    }
}
