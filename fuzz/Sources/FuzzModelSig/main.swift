// model.sig readers on hostile bytes: the Sigstore bundle, the DSSE envelope and the in-toto
// statement (as a whole bundle, and the statement alone as the payload it would carry), and the
// PEM readers behind `keys import`, the Sigstore trusted-root reader, and the checkpoint (signed
// note) reader of keyless bundles. Invariants: parsing is deterministic, a parsed bundle never
// verifies with nothing pinned, and checking its resources against a model built from its own
// names never traps.
@testable import PinModelSigning

private struct Zeros: ModelFileReader {
    func read(_ file: ModelFile, range: Range<Int64>, into consume: (UnsafeRawBufferPointer) -> Void) throws {
        let count = Int(min(range.count, 1 << 16))
        [UInt8](repeating: 0, count: count).withUnsafeBytes(consume)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelSig(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let first = Result { () throws(ModelSigningError) in try ModelSignature.parse(bytes, file: "model.sig") }
    let second = Result { () throws(ModelSigningError) in try ModelSignature.parse(bytes, file: "model.sig") }
    switch (first, second) {
    case (.success(let a), .success(let b)):
        precondition(a.statement == b.statement && a.material == b.material, "parse not deterministic")
        if (try? a.verify(trust: TrustAnchors())) != nil { preconditionFailure("verified with nothing pinned") }
        let files = a.statement.resources.map { resource in
            ModelFile(path: ShardName(resource.name)?.path ?? resource.name, size: ShardName(resource.name)?.end ?? 0)
        }
        _ = try? a.checkResources(files, reader: Zeros())
        _ = try? a.checkModel(named: "model")
    case (.failure(let a), .failure(let b)):
        precondition(a == b, "parse errors differ")
    default:
        preconditionFailure("the same bytes parsed once and failed once")
    }
    _ = try? StatementReader(file: "payload").read(bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? PublicKey.parsePEM(text)
    _ = try? CertificateAuthority.parsePEM(text)
    // A trust root parses the same way twice, and its id is the hash of exactly these bytes.
    let roots = (Result { () throws(ModelSigningError) in try TrustedRoot.parse(bytes, file: "trusted_root.json") },
                 Result { () throws(ModelSigningError) in try TrustedRoot.parse(bytes, file: "trusted_root.json") })
    switch roots {
    case (.success(let a), .success(let b)): precondition(a.id == b.id && a.transparencyLogs.count == b.transparencyLogs.count, "root parse not deterministic")
    case (.failure(let a), .failure(let b)): precondition(a == b, "root parse errors differ")
    default: preconditionFailure("the same trust root parsed once and failed once")
    }
    if let checkpoint = Checkpoint(text) {
        precondition(checkpoint.rootHash.count == 32 && checkpoint.treeSize >= 0, "checkpoint fields out of range")
    }
    return 0
}
