import Foundation
import PinTestSupport
import Testing

/// A temp directory with a store inside it and a `modelpin` that runs against them.
struct Sandbox {
    let directory: URL
    var modelpin: ModelpinProcess

    var store: URL { URL(fileURLWithPath: modelpin.environment["MODELPIN_HOME"]!) }
    var blobs: URL { store.appendingPathComponent("blobs/sha256") }

    static func with<T>(store: URL? = nil, _ body: (Sandbox) throws -> T) throws -> T {
        try withTemporaryDirectory("modelpin-e2e") { directory throws in
            try body(Sandbox(directory: directory, modelpin: ModelpinProcess(sandbox: directory, store: store)))
        }
    }

    @discardableResult
    func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        try writeFile(directory.appendingPathComponent(name), bytes)
    }

    @discardableResult
    func run(_ arguments: String..., stdin: [UInt8]? = nil) throws -> ModelpinProcess.Outcome {
        try modelpin.run(arguments, stdin: stdin)
    }

    func names(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    /// Every blob's name matches the SHA-256 of its bytes: the store's core invariant.
    func expectEveryBlobMatchesItsName(sourceLocation: SourceLocation = #_sourceLocation) throws {
        for name in names(blobs) {
            let bytes = try Data(contentsOf: blobs.appendingPathComponent(name))
            #expect(sha256Hex(bytes) == name, "blob \(name) holds other bytes", sourceLocation: sourceLocation)
        }
    }
}

/// SHA-256 computed by a tool independent of modelpin (coreutils), so that end-to-end tests
/// do not check modelpin against itself.
func sha256Hex(_ data: Data) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try! process.run()
    DispatchQueue.global().async {
        try? input.fileHandleForWriting.write(contentsOf: data)
        try? input.fileHandleForWriting.close()
    }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return String(text.prefix(64))
}

func json(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
}
