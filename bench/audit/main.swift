// audit-bench: the audit log's in-process timings for bench/audit-run.
//
//   audit-bench fill DIR COUNT PADDING     append COUNT entries (~PADDING bytes of reason each),
//                                          in batches of 10,000
//   audit-bench measure DIR                verify once, 10,000 inclusion proofs at random indices,
//                                          then 300 single-entry appends; prints one JSON object
//   audit-bench verify DIR                 verify once (for profiling)
import Dispatch
import PinAudit
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// CPU seconds this thread has used: on a machine shared with other work, the time the code
/// itself takes, whatever the wait for a core (reported beside the wall time).
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func entry(_ n: Int, padding: Int) -> CanonicalJSON {
    AuditEntry(
        time: AuditTime(secondsSinceEpoch: 1_796_000_000 + Int64(n)).description, user: "bench", command: "pull", kind: "pulled",
        outcome: "ok", repo: "org/model-\(n % 997)", commit: "0123456789abcdef0123456789abcdef01234567",
        digests: ["model.safetensors": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
        reasons: padding > 0 ? [String(repeating: "r", count: padding)] : [], extra: ["n": .integer(Int64(n))]
    ).json
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fatalError("usage: audit-bench fill DIR COUNT PADDING | measure DIR") }
let directory = FilePath(arguments[2])
let log = try AuditLog(directory: directory, signer: AuditKeys.signer(directory: directory, environment: [:]))

switch arguments[1] {
case "fill":
    let count = Int(arguments[3])!, padding = Int(arguments[4])!
    var done = try log.size()
    while done < count {
        let batch = min(10_000, count - done)
        try log.append((done..<done + batch).map { entry($0, padding: padding) })
        done += batch
    }
    print("{\"entries\": \(done)}")
case "measure":
    var start = DispatchTime.now()
    var cpu = cpuSeconds()
    let verified = try log.verify()
    let verify = seconds(since: start), verifyCPU = cpuSeconds() - cpu
    var generator = SystemRandomNumberGenerator()
    var proofs: [Double] = [], proofsCPU: [Double] = []
    for _ in 0..<10_000 {
        let index = Int.random(in: 0..<verified.size, using: &generator)
        start = DispatchTime.now()
        cpu = cpuSeconds()
        _ = try log.inclusionProof(index: index)
        proofs.append(seconds(since: start) * 1e3)
        proofsCPU.append((cpuSeconds() - cpu) * 1e3)
    }
    var appends: [Double] = [], appendsCPU: [Double] = []
    for n in 0..<300 {
        let value = entry(verified.size + n, padding: 20)
        start = DispatchTime.now()
        cpu = cpuSeconds()
        try log.append([value])
        appends.append(seconds(since: start) * 1e3)
        appendsCPU.append((cpuSeconds() - cpu) * 1e3)
    }
    print("""
        {"entries": \(verified.size), "verify_s": \(verify), "verify_cpu_s": \(verifyCPU), \
        "proof_ms_p50": \(percentile(proofs, 0.5)), "proof_ms_p99": \(percentile(proofs, 0.99)), \
        "proof_cpu_ms_p50": \(percentile(proofsCPU, 0.5)), "proof_cpu_ms_p99": \(percentile(proofsCPU, 0.99)), \
        "append_ms_p50": \(percentile(appends, 0.5)), "append_ms_p99": \(percentile(appends, 0.99)), \
        "append_cpu_ms_p50": \(percentile(appendsCPU, 0.5)), "append_cpu_ms_p99": \(percentile(appendsCPU, 0.99))}
        """)
case "verify":
    let start = DispatchTime.now()
    let verified = try log.verify()
    print("{\"entries\": \(verified.size), \"verify_s\": \(seconds(since: start))}")
default:
    fatalError("usage: audit-bench fill DIR COUNT PADDING | measure DIR | verify DIR")
}
