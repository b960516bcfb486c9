// What pulling from an OCI registry reads from outside: an `oci://` reference (a command line,
// modelpin.toml's `source`), the store's name for a registry repository, and a referrer manifest
// a registry serves. Invariants, not just "no crash": a reference splits into an `oci://` repo
// with a non-empty revision; a store name is a valid repo id under the `oci.` owner prefix; an
// accepted referrer names the subject it was asked about (checked by reading it twice, once with
// another subject, which must then be refused).
//
// Input: the first byte picks the reader (and 3: a scan report, which must hold for one file
// set only); the rest is the text.
import PinDigest
import PinLock
import PinModel
import PinWorkspace

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOCI(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let text = String(decoding: body, as: UTF8.self)
    switch selector % 4 {
    case 0:
        if let (repo, revision) = ModelRequest.splitOCI(text) {
            precondition(repo.hasPrefix("oci://") && !revision.isEmpty, "a split without a repository or a revision")
            precondition(!repo.dropFirst(6).hasPrefix("/"), "a repository with no host")
        }
    case 1:
        if let repo = try? OCIIdentity.storeRepo(for: text) {
            precondition(repo.owner.hasPrefix("oci."), "a registry repository named outside the oci. owners")
            precondition((try? RepoID(parsing: repo.description)) == repo, "a store name that is no repo id")
        }
    case 3:
        // A scan report that holds for one set of files fails for another.
        let files = [(path: "model.safetensors", sha256: SHA256.hash(Array("weights".utf8)))]
        if OCIScanReportReading.holds(body, files: files) {
            precondition(!OCIScanReportReading.holds(body, files: [(path: "model.safetensors", sha256: SHA256.hash(Array("other".utf8)))]),
                         "a scan report held for two sets of digests")
        }
    default:
        let subject = SHA256.hash(Array("subject".utf8))
        if (try? OCIReferrerReading.read(body, subject: subject)) != nil {
            precondition((try? OCIReferrerReading.read(body, subject: SHA256.hash(Array("other".utf8)))) == nil, "a referrer accepted for two subjects")
        }
    }
    return 0
}
