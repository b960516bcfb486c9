import Foundation
import PinDigest
import PinModel
@testable import PinStore
import SystemPackage
import Testing

/// Runs `/usr/bin/skopeo` (scripts/setup installs it) in a sandbox of its own: HOME, XDG dirs,
/// a policy accepting anything (nothing here is signed), an empty registries.d.
private func skopeo(_ sandbox: FilePath, _ arguments: String...) throws -> (status: Int32, output: String) {
    let binary = "/usr/bin/skopeo"
    try #require(FileManager.default.isExecutableFile(atPath: binary), "skopeo is missing: run scripts/setup (it installs the Debian package)")
    let home = URL(fileURLWithPath: sandbox.appending("skopeo-home").string)
    for name in ["config", "runtime", "tmp", "registries.d"] {
        try FileManager.default.createDirectory(at: home.appendingPathComponent(name), withIntermediateDirectories: true)
    }
    let policy = home.appendingPathComponent("policy.json")
    try Data(#"{"default": [{"type": "insecureAcceptAnything"}]}"#.utf8).write(to: policy)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["--policy", policy.path, "--registries.d", home.appendingPathComponent("registries.d").path] + arguments
    process.environment = [
        "PATH": "/usr/bin:/bin", "HOME": home.path, "XDG_CONFIG_HOME": home.appendingPathComponent("config").path,
        "XDG_RUNTIME_DIR": home.appendingPathComponent("runtime").path, "TMPDIR": home.appendingPathComponent("tmp").path,
    ]
    let log = home.appendingPathComponent("output.txt")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    return (process.terminationStatus, try String(contentsOf: log, encoding: .utf8))
}

@Suite struct OCIArchiveTests {
    private static let commit = String(repeating: "d", count: 40)

    /// A store with one recorded snapshot of two files; its artifacts with a lock attached.
    private static func artifacts(_ fixture: StoreFixture) throws -> SnapshotArtifacts {
        var files: [StoredSnapshot.File] = []
        for (path, text) in [("model.safetensors", String(repeating: "w", count: 3000)), ("config.json", "{\"a\": 1}")] {
            let bytes = Array(text.utf8)
            let result = try fixture.store.ingest(file: try fixture.file(UUID().uuidString, bytes))
            files.append(.init(path: path, sha256: result.digest, size: Int64(bytes.count), gitBlobID: nil, lfs: false))
        }
        let repo = try RepoID(parsing: "org/model")
        try fixture.store.recordSnapshot(StoredSnapshot(repo: repo, commit: commit, endpoint: nil, files: files), revision: "main")
        let lock = Attachment(artifactType: Attachment.Kind.lock, name: "modelpin.lock", payload: Array("version = 1\n".utf8))
        return try #require(try fixture.store.snapshotArtifacts(repo: repo, revision: "main", attachments: [lock]))
    }

    @Test func theSameSnapshotGivesTheSameArchiveByteForByte() throws {
        try StoreFixture.with { fixture in
            let artifacts = try Self.artifacts(fixture)
            let first = FilePath(fixture.directory.path).appending("one.tar")
            let second = FilePath(fixture.directory.path).appending("two.tar")
            let size = try OCIArchive.write([artifacts], to: first)
            try OCIArchive.write([artifacts], to: second)
            let bytes = try fixture.contents(first)
            #expect(Int64(bytes.count) == size)
            #expect(bytes == (try fixture.contents(second)))
            #expect(bytes.count % 512 == 0)
            // No temp file left beside it.
            #expect(try fixture.names(in: FilePath(fixture.directory.path)).filter { $0.hasPrefix(".") }.isEmpty)
        }
    }

    @Test func skopeoInspectsAndCopiesTheArchive() throws {
        try StoreFixture.with { fixture in
            let artifacts = try Self.artifacts(fixture)
            let archive = FilePath(fixture.directory.path).appending("bundle.tar")
            try OCIArchive.write([artifacts], to: archive)
            let inspect = try skopeo(FilePath(fixture.directory.path), "inspect", "--raw", "oci-archive:\(archive.string):org/model:\(Self.commit)")
            #expect(inspect.status == 0, "\(inspect.output)")
            #expect(inspect.output.contains(SnapshotManifest.artifactType), "\(inspect.output)")
            let copy = FilePath(fixture.directory.path).appending("copied")
            let result = try skopeo(
                FilePath(fixture.directory.path), "copy", "oci-archive:\(archive.string):org/model:\(Self.commit)", "oci:\(copy.string):copied")
            #expect(result.status == 0, "\(result.output)")
            for layer in artifacts.layers {
                let blob = copy.appending("blobs/sha256/\(layer.descriptor.digest.hex)")
                #expect(SHA256.hash(try fixture.contents(blob)) == layer.descriptor.digest)
            }
        }
    }

    /// Python's tarfile, an independent reader, sees exactly the layout: marker, index, the
    /// blob directories and every blob once.
    @Test func anIndependentTarReaderSeesTheLayout() throws {
        try StoreFixture.with { fixture in
            let artifacts = try Self.artifacts(fixture)
            let archive = FilePath(fixture.directory.path).appending("bundle.tar")
            try OCIArchive.write([artifacts], to: archive)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", "import sys, tarfile; [print(m.name, m.size, m.mtime, m.uid) for m in tarfile.open(sys.argv[1])]", archive.string]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let names = output.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
            let blobs = Set(artifacts.blobsBottomUp.map { "blobs/sha256/\($0.descriptor.digest.hex)" })
            #expect(names.prefix(4) == ["oci-layout", "index.json", "blobs", "blobs/sha256"])
            #expect(Set(names.dropFirst(4)) == blobs)
            #expect(names.count == 4 + blobs.count)
            #expect(output.split(separator: "\n").allSatisfy { $0.hasSuffix(" 0 0") })
        }
    }

    @Test func longNamesGetAPaxHeader() throws {
        try StoreFixture.with { fixture in
            let path = FilePath(fixture.directory.path).appending("long.tar")
            let descriptor = try FileDescriptor.open(path, .writeOnly, options: [.create], permissions: .ownerReadWrite)
            var tar = TarWriter(output: descriptor)
            let name = String(repeating: "n", count: 150) + "/file"
            try tar.addFile(name, bytes: Array("hi".utf8))
            try tar.finish()
            try descriptor.close()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", "import sys, tarfile; t = tarfile.open(sys.argv[1]); m = t.getmembers()[0]; print(m.name); print(t.extractfile(m).read().decode())", path.string]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(output == name + "\nhi\n")
        }
    }
}
