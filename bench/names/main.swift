// names-bench: builds a NameIndex from an allowlist file and times queries against it.
// Run by bench/names-run, which puts a brute-force edit-distance baseline beside it.
//
// Usage: names-bench ALLOWLIST QUERIES [VERDICTS]   (one query a line) — prints one JSON object;
// with VERDICTS, also writes each query's verdict, technique and time (ms) there, one a line, in order, so
// names-run can score labelled queries (false alarms, detections).

import Dispatch
import PinNames

#if canImport(Glibc)
import Glibc
#endif

func readFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { fatalError("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count == 0 { return bytes }
        bytes += chunk[0..<count]
    }
}

/// Resident set size in bytes, from /proc/self/statm.
func residentBytes() -> Int {
    let text = String(decoding: readFile("/proc/self/statm"), as: UTF8.self)
    let pages = Int(text.split(separator: " ")[1]) ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func seconds(_ start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

let arguments = CommandLine.arguments
guard arguments.count == 3 || arguments.count == 4 else {
    print("usage: names-bench ALLOWLIST QUERIES [VERDICTS]")
    exit(64)
}
let text = readFile(arguments[1])
let queries = String(decoding: readFile(arguments[2]), as: UTF8.self).split(separator: "\n").map(String.init)

let rssBefore = residentBytes()
let parseStart = DispatchTime.now()
let allowlist = try Allowlist.parse(text, source: arguments[1])
let parseSeconds = seconds(parseStart)
let buildStart = DispatchTime.now()
let checker = NameChecker(allowlist: allowlist)
let buildSeconds = seconds(buildStart)
let rssAfter = residentBytes()

var latencies: [Double] = []
var verdicts: [String: Int] = [:]
var lines: [String] = []
for query in queries {
    let start = DispatchTime.now()
    let verdict: String
    var technique = "-"
    do {
        let answer = try checker.check(query)
        verdict = answer.verdict.rawValue
        technique = answer.technique?.rawValue ?? "-"
    } catch {
        verdict = "invalid"
    }
    let elapsed = seconds(start)
    latencies.append(elapsed)
    verdicts[verdict, default: 0] += 1
    lines.append(verdict + "\t" + technique + "\t" + String(elapsed * 1000))
}
if arguments.count == 4 {
    guard let file = fopen(arguments[3], "wb") else { fatalError("cannot write \(arguments[3])") }
    fputs(lines.joined(separator: "\n") + "\n", file)
    fclose(file)
}
latencies.sort()
let sorted = latencies
@MainActor func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }

let counts = verdicts.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
print("""
    {"entries": \(allowlist.count), "owners": \(checker.index.ownerCount), "parse_s": \(parseSeconds), \
    "build_s": \(buildSeconds), "index_bytes": \(checker.index.memoryFootprint), \
    "rss_growth_bytes": \(rssAfter - rssBefore), "queries": \(queries.count), \
    "median_ms": \(percentile(0.5) * 1000), "p90_ms": \(percentile(0.9) * 1000), \
    "p99_ms": \(percentile(0.99) * 1000), "max_ms": \(latencies.last! * 1000), "verdicts": {\(counts)}}
    """)
