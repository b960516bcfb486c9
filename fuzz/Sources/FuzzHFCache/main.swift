// The text of a Hugging Face cache someone else wrote: a repo folder's name, a `refs/` file, a
// ref's name, a blob's name, a snapshot entry's link target and a shared (Xet) blob's link target (`import --hf-cache` and
// `verify --hf-cache` read all of them as hostile input). Invariants, not just "no crash":
// whatever is accepted is exactly what huggingface_hub itself would write, so it renders back
// to the same bytes; a link target accepted never climbs out of, or stays short of, the repo
// folder's blobs/.
//
// Input: the first byte picks the reader, the second is a link's depth (0–63) below its
// snapshot folder; the rest is the text.
import PinModel
import PinWorkspace

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHFCache(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard bytes.count >= 2 else { return 0 }
    let body = Array(bytes.dropFirst(2))
    let text = String(decoding: body, as: UTF8.self)
    switch bytes[0] % 7 {
    case 0:
        if case .success(let commit) = HFCacheText.commit(inRef: body) {
            precondition(Array(commit.hex.utf8) == body, "a ref was accepted with more than its commit id")
        }
    case 1:
        let depth = Int(bytes[1] % 64)
        if case .success(let etag) = HFCacheText.blob(linkTarget: text, depth: depth) {
            // The writer's form for an entry that deep: the reader accepts nothing else.
            let path = String(repeating: "d/", count: depth) + "f"
            precondition(HFCacheLayout.snapshotLinkTarget(path: path, etag: etag) == text, "a link target accepted that huggingface_hub would not write")
            precondition(!text.hasPrefix("/"), "an absolute target accepted")
        }
    case 2:
        if let repo = try? HFCacheLayout.repo(folderName: text) {
            precondition(HFCacheLayout.folderName(of: repo) == text, "a folder name that does not render back")
        }
    case 3:
        if HFCacheText.refNameProblem(text) == nil {
            precondition(!text.isEmpty && !text.hasPrefix("/") && !text.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == ".." || $0 == "." },
                         "a ref name accepted that could leave refs/")
            precondition(text.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0 != "\\" }, "a ref name with a control or a backslash")
        }
    case 4:
        // A blob that is itself a link into the cache's shared blob store: only `blobs/XX/<hex>`.
        if let shared = HFCacheLayout.sharedBlob(linkTarget: text) {
            let parts = shared.split(separator: "/", omittingEmptySubsequences: false)
            precondition(parts.count == 3 && parts[0] == "blobs" && !parts.contains("..") && !parts.contains(""), "a shared blob path that leaves blobs/")
        }
    case 5:
        // The writer's ref path for a revision: under refs/, and a safe relative path.
        if let ref = try? HFCacheLayout.ref(text) {
            precondition(ref == "refs/" + text && PathSafety.reason(text) == nil, "an unsafe ref path accepted")
        }
    default:
        if let etag = try? HFCacheETag(name: text) {
            precondition(etag.name == text, "a blob name that does not render back")
            precondition(text.utf8.count == 40 || text.utf8.count == 64, "a blob name of another length")
        }
    }
    return 0
}
