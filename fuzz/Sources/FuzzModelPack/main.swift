// Model manifests other tools wrote (ModelPack, vnd.cnai, Docker Model Runner), read from a
// registry or an archive: refused with a field and a reason, or every path passes
// `PathSafety`, no path twice, every size one a file can have; and reading is deterministic.
import PinModel
import PinStore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelPack(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let model = try? ModelPackReader.read(bytes) else { return 0 }
    precondition((try? ModelPackReader.read(bytes)) == model, "the reader is not deterministic")
    let paths = model.files.map(\.path)
    precondition(PathSafety.problems(in: paths).isEmpty, "a manifest with unsafe paths was accepted")
    precondition(Set(paths).count == paths.count, "a manifest naming one path twice was accepted")
    precondition(model.files.allSatisfy { FileSizeLimit.problem($0.size) == nil }, "an impossible size was accepted")
    precondition(!model.files.isEmpty, "a manifest with no files was accepted")
    return 0
}
