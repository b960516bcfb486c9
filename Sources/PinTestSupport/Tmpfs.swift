public import Foundation

/// A small tmpfs mounted for the duration of a test, to run modelpin on a filesystem that
/// fills up or is read-only. Needs CAP_SYS_ADMIN (root), as on the CI machine; without it the
/// test fails rather than silently skipping, because the behaviour it checks matters.
public struct Tmpfs: Sendable {
    public let mountPoint: URL

    public static func with<T>(sizeKiB: Int, _ body: (Tmpfs) throws -> T) throws -> T {
        try withTemporaryDirectory("modelpin-tmpfs") { directory in
            let mount = Tmpfs(mountPoint: directory)
            try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeKiB)k,mode=0755", "tmpfs", directory.path])
            defer { _ = try? run("/bin/umount", ["-l", directory.path]) }
            return try body(mount)
        }
    }

    /// Remounts read-only: every write then fails with EROFS, for root too.
    public func makeReadOnly() throws {
        try Self.run("/bin/mount", ["-o", "remount,ro", mountPoint.path])
    }

    public struct CommandFailed: Error, CustomStringConvertible {
        public let command: String
        public let output: String
        public var description: String { "`\(command)` failed: \(output)" }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(command: ([executable] + arguments).joined(separator: " "), output: output)
        }
        return output
    }
}
