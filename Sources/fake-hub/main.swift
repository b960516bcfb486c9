// fake-hub: the test suite's fake Hugging Face Hub as a standalone server, for benchmarks and
// manual runs. Serves directories as repositories; prints its URLs as one JSON line; runs until
// killed.
//
//   fake-hub --repo acme/tiny-model=./tiny [--repo …] [--cdn-base URL] [--lfs-threshold BYTES] [--port N]
//            [--last-modified ISO8601] [--card-data ID=JSON]
//
// --last-modified is the commit date every repo's revision answer gives (`lastModified`);
// --card-data the `cardData` object the repo ID's answer carries (the Hub's parsed card).
//
// `--repo datasets/acme/corpus=./corpus` serves a dataset, at the Hub's dataset paths
// (`/api/datasets/acme/corpus/…`, `/datasets/acme/corpus/resolve/…`).
//
// Each repo has one commit, `c0ffee…`, on `main`. --port fixes the API's port (the demo's
// lockfile names it); by default any free port is taken.
//
// --cdn-base points LFS redirects at another server holding the blobs as `cdn/<sha256>` (nginx
// in bench/pull-run); without it the fake's own CDN origin serves them.

import Foundation
import PinTestSupport

var repos: [FakeHub.Repo] = []
var cdnBase: String?
var lfsThreshold = 1 << 20
var port = 0
var lastModified: String?
var cardData: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
let lfsExtensions: Set<String> = ["safetensors", "bin", "gguf", "pt", "pth", "onnx", "msgpack", "h5", "ckpt", "parquet", "arrow"]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fake-hub: \(message)\n".utf8))
    exit(64)
}

while let argument = arguments.popFirst() {
    switch argument {
    case "--repo":
        guard let spec = arguments.popFirst(), let equals = spec.firstIndex(of: "=") else { fail("--repo needs ID=DIR") }
        let id = String(spec[..<equals])
        let directory = URL(fileURLWithPath: String(spec[spec.index(after: equals)...])).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey]) else {
            fail("cannot read \(directory.path)")
        }
        var files: [FakeHub.File] = []
        for case let url as URL in walker.sorted(by: { ($0 as! URL).path < ($1 as! URL).path }) {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values.isRegularFile == true else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(directory.path.count + 1))
            let lfs = (values.fileSize ?? 0) >= lfsThreshold || lfsExtensions.contains(url.pathExtension)
            if lfs {
                files.append(FakeHub.File(path, disk: url.path, lfs: true))
            } else {
                files.append(FakeHub.File(path, Array(try Data(contentsOf: url)), lfs: false))
            }
        }
        repos.append(FakeHub.Repo(id: id, commit: String(repeating: "c0ffee", count: 7).prefix(40).description, files: files))
    case "--last-modified":
        guard let value = arguments.popFirst() else { fail("--last-modified needs a date") }
        lastModified = value
    case "--card-data":
        guard let spec = arguments.popFirst(), let equals = spec.firstIndex(of: "=") else { fail("--card-data needs ID=JSON") }
        cardData[String(spec[..<equals])] = String(spec[spec.index(after: equals)...])
    case "--cdn-base":
        guard let value = arguments.popFirst() else { fail("--cdn-base needs a URL") }
        cdnBase = value
    case "--port":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), (0...65535).contains(value) else { fail("--port needs a port number") }
        port = value
    case "--lfs-threshold":
        guard let value = arguments.popFirst().flatMap({ Int($0) }) else { fail("--lfs-threshold needs a number of bytes") }
        lfsThreshold = value
    default:
        fail("unknown argument \(argument)")
    }
}

for index in repos.indices {
    if let lastModified { repos[index].lastModified = Dictionary(repos[index].commits.keys.map { ($0, lastModified) }, uniquingKeysWith: { first, _ in first }) }
    repos[index].cardData = cardData[repos[index].id]
}

let hub: FakeHub
do {
    hub = try FakeHub(repos: repos, hubPort: port)
} catch {
    fail("cannot listen on 127.0.0.1:\(port): \(error)")
}
if let cdnBase { hub.setPublicBases(hub: hub.hub.baseURL, cdn: cdnBase) }
let blobs = repos.flatMap { repo in repo.commits.values.joined().filter(\.lfs).map { file -> [String: String] in
    var entry = ["path": file.path, "sha256": hub.sha256(of: file)]
    if case .disk(let path) = file.content { entry["disk"] = path }
    return entry
} }
let info: [String: Any] = ["endpoint": hub.endpoint, "cdn": hub.cdn.baseURL, "lfs": blobs]
FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys]) + Data("\n".utf8))
while true { sleep(3600) }
