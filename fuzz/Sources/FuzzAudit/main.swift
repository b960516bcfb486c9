// The audit log's readers of bytes anyone who can write the store (or hand over a saved
// checkpoint or a proof) controls: the entry reader (strict canonical JSON), the signed-note
// and checkpoint parser, the tlog-proof parser and the verifier-key parser. The first byte
// picks the reader (0 entry, 1 checkpoint, 2 proof, 3 verifier key; anything else: all).
// Besides crashes, hangs and memory: an entry that reads back renders to exactly its bytes
// (one spelling per value), and the validating pass agrees with the building one.
import PinAudit

let verifier = try! NoteVerifierKey(parsing: "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")

func entry(_ bytes: [UInt8]) {
    let value = try? CanonicalJSON(canonical: bytes)
    let checked = (try? bytes.withUnsafeBytes { try CanonicalJSON.checkCanonical($0) }) != nil
    precondition(checked == (value != nil), "the checking and the reading pass disagree")
    if let value {
        precondition(value.canonicalBytes == bytes, "an entry read back does not render to its own bytes")
        _ = try? AuditEntry(json: value)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAudit(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let body = Array(bytes.dropFirst())
    let text = String(decoding: body, as: UTF8.self)
    switch bytes[0] {
    case 0: entry(body)
    case 1: _ = try? Checkpoint(parsing: text, verifier: verifier)
    case 2: _ = try? InclusionProof(parsing: text, verifier: verifier)
    case 3: _ = try? NoteVerifierKey(parsing: text)
    default:
        entry(body)
        _ = try? Checkpoint(parsing: text, verifier: verifier)
        _ = try? InclusionProof(parsing: text, verifier: verifier)
        _ = try? NoteVerifierKey(parsing: text)
    }
    return 0
}
