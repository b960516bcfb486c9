public import Foundation

/// A fresh directory under the system temp folder, removed (read-only store blobs included)
/// when the body returns. Tests never touch the user's home or cache.
public func withTemporaryDirectory<T>(
    _ label: String = "modelpin-test", _ body: (URL) async throws -> T
) async rethrows -> T {
    let url = makeTemporaryDirectory(label)
    defer { removeTree(url) }
    return try await body(url)
}

public func withTemporaryDirectory<T>(_ label: String = "modelpin-test", _ body: (URL) throws -> T) rethrows -> T {
    let url = makeTemporaryDirectory(label)
    defer { removeTree(url) }
    return try body(url)
}

private func makeTemporaryDirectory(_ label: String) -> URL {
    let base = URL(fileURLWithPath: NSTemporaryDirectory()).standardizedFileURL
    var template = Array(base.appendingPathComponent("\(label).XXXXXX").path.utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer -> String in
        guard let result = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp failed: \(errno)") }
        return String(cString: result)
    }
    return URL(fileURLWithPath: path, isDirectory: true)
}

/// `rm -rf`, which also removes the read-only files a store is made of.
public func removeTree(_ url: URL) {
    _ = try? Foundation.FileManager.default.removeItem(at: url)
    if Foundation.FileManager.default.fileExists(atPath: url.path) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/rm")
        process.arguments = ["-rf", url.path]
        try? process.run()
        process.waitUntilExit()
    }
}

/// Deterministic pseudo-random bytes (SplitMix64), so that a failing test can be replayed.
public func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var bytes = [UInt8]()
    bytes.reserveCapacity(count + 8)
    while bytes.count < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        withUnsafeBytes(of: z.littleEndian) { bytes.append(contentsOf: $0) }
    }
    return Array(bytes.prefix(count))
}

/// Writes `bytes` to a new file at `url`.
@discardableResult
public func writeFile(_ url: URL, _ bytes: [UInt8]) throws -> URL {
    try Data(bytes).write(to: url)
    return url
}

/// Sets a file's modification time `seconds` into the past (to age blobs past GC's grace).
public func age(_ url: URL, bySeconds seconds: Int) {
    var times = [timespec](repeating: timespec(), count: 2)
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    times[0] = timespec(tv_sec: now.tv_sec - seconds, tv_nsec: 0)
    times[1] = times[0]
    let result = utimensat(AT_FDCWD, url.path, &times, AT_SYMLINK_NOFOLLOW)
    precondition(result == 0, "utimensat failed on \(url.path): \(errno)")
}

/// A valid safetensors file holding one `U8` tensor of `payloadBytes` pseudo-random bytes:
/// what test weights look like to the scan (random bytes under a `.safetensors` name would
/// rightly be refused as malformed).
public func safetensorsFile(payloadBytes: Int, seed: UInt64) -> [UInt8] {
    var header = Array(#"{"weight":{"dtype":"U8","shape":[\#(payloadBytes)],"data_offsets":[0,\#(payloadBytes)]}}"#.utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    let length = UInt64(header.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + header + pseudoRandomBytes(count: payloadBytes, seed: seed)
}
