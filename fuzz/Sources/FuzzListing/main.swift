// The Hub's tree listing and the path validator every path from outside goes through
// (`PathSafety`: listings, locks, the snapshot record, `to`). The input is read twice: as a
// tree body (JSON), and as newline-separated paths straight into the validator. Besides
// crashes, hangs and memory: the validator is deterministic, and a path it accepts can never
// leave a directory or name a version-control or tool directory in its plain spelling.
@testable import PinHub
import PinModel
import PinTransport

let listingURL = HTTPURL("https://huggingface.co/api/models/acme/tiny/tree/main")!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzListing(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    if let files = try? HubClient.parseTree(bytes, url: listingURL) {
        checkPaths(files.map(\.path))
    }
    checkPaths(String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    return 0
}

func checkPaths(_ paths: [String]) {
    let problems = PathSafety.problems(in: paths)
    precondition(problems == PathSafety.problems(in: paths), "PathSafety is not deterministic")
    precondition(problems.isEmpty || !paths.isEmpty, "a problem with no path")
    for path in paths where PathSafety.reason(path) == nil {
        precondition(!path.isEmpty && !path.hasPrefix("/"), "accepted an empty or absolute path: \(path.debugDescription)")
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        precondition(!components.contains { $0.isEmpty || $0 == "." || $0 == ".." }, "accepted a path that leaves its root: \(path.debugDescription)")
        precondition(!path.unicodeScalars.contains { $0 == "\0" || $0 == "\\" || $0.properties.generalCategory == .control },
                     "accepted NUL, a backslash or a control character: \(path.debugDescription)")
        for component in components {
            precondition(!PathSafety.refusedComponents.contains(component.lowercased()), "accepted a refused directory: \(path.debugDescription)")
        }
    }
}
