// audit-append: appends audit entries to a log in a loop, for the kill -9 tests and the
// benchmark (not shipped). Usage:
//
//   audit-append DIR COUNT [PADDING] [BATCH]
//
// appends COUNT entries (BATCH per append, default 1), each with a reason of PADDING bytes,
// to the log under DIR (its key made there on first use), and prints `appended N` (the log's
// size) after each append returns: those N entries are then durable. COUNT 0: until killed.
import PinAudit
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// One unbuffered line: a kill -9 right after it loses nothing already said.
func say(_ text: String, to descriptor: FileDescriptor = .standardOutput) {
    _ = try? Array((text + "\n").utf8).withUnsafeBytes { try descriptor.writeAll($0) }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let count = Int(arguments[2]) else {
    say("usage: audit-append DIR COUNT [PADDING] [BATCH]", to: .standardError)
    exit(64)
}
let padding = arguments.count > 3 ? Int(arguments[3]) ?? 0 : 0
let batch = max(1, arguments.count > 4 ? Int(arguments[4]) ?? 1 : 1)

do {
    let directory = FilePath(arguments[1])
    let log = try AuditLog(directory: directory, signer: AuditKeys.signer(directory: directory, environment: [:]))
    for tail in log.tornTails { say("torn \(tail.file) \(tail.byteCount) \(tail.entriesBefore)") }
    var written = 0
    let reason = String(repeating: "r", count: padding)
    while count == 0 || written < count {
        let entries = (0..<batch).map { offset in
            AuditEntry(
                time: AuditTime.now().description, user: "bench", command: "pull", kind: "pulled", outcome: "ok",
                repo: "org/model-\((written + offset) % 997)", commit: "0123456789abcdef0123456789abcdef01234567",
                digests: ["model.safetensors": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
                reasons: padding > 0 ? [reason] : [], extra: ["n": .integer(Int64(written + offset))]
            ).json
        }
        let checkpoint = try log.append(entries)
        written += batch
        say("appended \(checkpoint.size)")
    }
} catch {
    say("audit-append: \(error)", to: .standardError)
    exit(2)
}
