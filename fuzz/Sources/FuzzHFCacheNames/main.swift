// Names read from a Hugging Face cache (HFCacheLayout in PinWorkspace): a cache is a directory
// anyone with write access shaped, so every folder name, blob name, symlink target and ref is
// hostile text. Each input line is read as each of them. Besides crashes, hangs and memory:
// what is accepted reads back exactly as written (a folder name is the one `folderName(of:)`
// makes; a blob name is its etag's name) and never leads out of where it belongs (no `..`, no
// absolute path, nothing but `blobs/` for a shared-blob link, nothing but `refs/` for a ref).
import PinModel
import PinWorkspace

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHFCacheNames(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(64) {
        let text = String(decoding: line, as: UTF8.self)
        if let repo = try? HFCacheLayout.repo(folderName: text) {
            precondition(HFCacheLayout.folderName(of: repo) == text, "folder name does not round-trip: \(text.debugDescription)")
            precondition(!text.contains("/") && !text.contains(".."), "unsafe folder accepted: \(text.debugDescription)")
        }
        if let etag = try? HFCacheETag(name: text) {
            precondition(etag.name == text, "blob name does not round-trip: \(text.debugDescription)")
        }
        if let shared = HFCacheLayout.sharedBlob(linkTarget: text) {
            let parts = shared.split(separator: "/", omittingEmptySubsequences: false)
            precondition(parts.count == 3 && parts[0] == "blobs" && !parts.contains("..") && !parts.contains(""),
                         "shared blob path leaves blobs/: \(text.debugDescription)")
        }
        if let ref = try? HFCacheLayout.ref(text) {
            precondition(ref == "refs/" + text && PathSafety.reason(text) == nil, "unsafe ref accepted: \(text.debugDescription)")
        }
    }
    return 0
}
