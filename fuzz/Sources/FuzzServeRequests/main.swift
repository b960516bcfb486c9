// `modelpin serve`'s hand-written readers of what a client sends: the request target (split at
// raw `/`, then percent-decoded, then held to PathSafety), the query string and the Range header.
// Beyond not crashing, each keeps its promise: an accepted route names a valid repo, a revision
// without controls or `..`, and a path PathSafety accepts; an accepted range lies inside the file.
import PinModel
import PinServe

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServeRequests(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    checkRoute(text)
    _ = QueryParameters(Substring(text)).flag("recursive")
    for size: Int64 in [0, 1, 1000, FileSizeLimit.maximum] {
        checkRange(text, size: size)
    }
    return 0
}

func checkRoute(_ text: String) {
    guard let route = try? HubRoute(path: text) else { return }
    precondition(text.utf8.count <= HubRoute.maximumTargetLength, "an overlong target accepted")
    if let path = route.path, !path.isEmpty {
        precondition(PathSafety.reason(path) == nil, "an unsafe path reached the catalog: \(path.debugDescription)")
    }
    if let revision = route.revision {
        precondition(!revision.isEmpty, "an empty revision accepted")
        precondition(!revision.unicodeScalars.contains { $0.value < 0x20 || $0 == "\\" }, "a revision with a control character")
        precondition(!revision.split(separator: "/", omittingEmptySubsequences: false).contains(".."), "a revision with `..`")
    }
    if let repo = route.repo {
        precondition((try? RepoID(parsing: repo.description)) == repo, "a repo id that does not read back")
    }
}

func checkRange(_ header: String, size: Int64) {
    switch RangeRequest(header: header, size: size) {
    case .whole, .unsatisfiable:
        break
    case .partial(let first, let last):
        precondition(first >= 0 && first <= last && last < size, "range \(first)-\(last) accepted for \(size) bytes")
    }
}
