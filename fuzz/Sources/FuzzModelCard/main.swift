// A model card is the repository owner's text: its YAML front matter (ModelCard's hand-written
// subset reader) and the licence texts in it (PinSBOM's SPDX expression parser). Invariants,
// not just "no crash": no value read is empty, and a licence that parses as SPDX reads back from
// its canonical text as the same canonical text.
import PinModel
import PinSBOM
import PinWorkspace

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelCard(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    guard let card = try? ModelCard.metadata(of: bytes) else { return 0 }
    let lists = [card.licenses, card.datasets, card.baseModels, card.tags, card.languages]
    precondition(lists.allSatisfy { $0.allSatisfy { !$0.isEmpty } }, "an empty value was read")
    for text in card.licenses + [card.licenseName].compactMap({ $0 }) {
        guard let expression = SPDX.expression(text) else { continue }
        precondition(SPDX.expression(expression.description)?.description == expression.description, "a canonical expression that does not read back")
    }
    return 0
}
